//! The sampler's glue: the panel's commands and the worker's reports go into the [`Session`] each
//! frame, and what it asks for comes out: the worker started and told, weights fetched (streamed,
//! checked, cached), banners, the form, the URL, the views and the hooks for tests.

use zoo::Manifest;

use super::frames;
use super::messages::{FromChain, ToChain};
use super::panel::{self, Cmd, Panel};
use super::pool::{self, Pool};
use super::session::{Outbox, Session};
use super::views;
use crate::backend::Backend;
use crate::dom;
use crate::root::Root;
use crate::settings::HashState;
use crate::settings::sampler::manifest_url;
use crate::weights::{self, Source};
use crate::widgets::event::Event;
use crate::worker::Link;

/// The largest image side the drawing pad edits (a person's own model may say anything).
const MAX_EDIT_SIDE: usize = 256;

/// The page's end of the chain worker.
pub type ChainLink = Link<ToChain, FromChain>;

/// Started before the backend is chosen: the worker (~150 ms to start), the model list's download
/// and the opening of the weights cache.
pub struct Early {
    link: Result<ChainLink, String>,
    url: String,
    manifest: dom::Eager<Result<Manifest, String>>,
}

impl Early {
    pub fn start(hash: &mut HashState, shared: bool) -> Self {
        let link = spawn_link(shared);
        dom::mark("worker-spawned");
        // read again (with its warning) by the settings table
        let url = manifest_url(&mut hash.clone());
        let manifest = dom::eager({
            let url = url.clone();
            async move { weights::manifest(&url).await }
        });
        weights::open_cache_early();
        Self {
            link,
            url,
            manifest,
        }
    }
}

pub async fn run(
    root: &Root,
    backend: &Backend,
    hash: &mut HashState,
    early: Early,
) -> Result<(), String> {
    let kind = backend.kind.attr();
    let cores = web_sys::window().map_or(0.0, |w| w.navigator().hardware_concurrency()) as usize;
    let size = pool::size_for(kind, cores);
    if kind == "cpu" && size == 1 {
        let why = if cores == 1 {
            "This device reports one core"
        } else {
            "This browser does not say how many cores the device has"
        };
        root.message_once(
            "info",
            "pool",
            &format!("{why}: the sampler runs in one worker."),
        );
    }
    let workers = Workers::start(root, Some(early.link?), size, kind);
    let url = early.url;
    let manifest = early
        .manifest
        .get()
        .await
        .map_err(|e| format!("The model list could not be loaded: {e}."))?;
    dom::mark("manifest");
    if root.stopped() {
        return Ok(());
    }
    if manifest.generators().next().is_none() {
        return Err(format!(
            "The model list {url} names no image model, so there is nothing to sample."
        ));
    }
    // a test may set `__playground.frameBudget` (bytes) to thin a short chain
    let budget = root
        .number("frameBudget")
        .filter(|b| *b >= 1.0)
        .map_or(frames::BUDGET, |b| b as usize);
    let mut s = Session::new(hash, manifest, budget, dom::now_ms());
    let panel = Panel::build(&root.el, &s.settings, &s.manifest, panel::Queue::default())
        .map_err(|e| format!("the page could not build the widget: {e:?}"))?;
    // `__playground.crashWorker()`: a test makes the worker panic, as a GPU out-of-memory would
    root.publish_command("crashWorker", panel.queue(), Cmd::CrashWorker);
    root.publish_command("loseDevice", panel.queue(), Cmd::LoseDevice);
    root.publish_command("hugeBatch", panel.queue(), Cmd::HugeBatch);
    dom::mark("panel");
    let mut glue = Glue {
        root,
        panel,
        workers,
        backend: kind,
    };
    // the chain's play, paused while the widget is off screen (a chain being sampled goes on)
    let mut paused_chain = false;
    loop {
        if root.stopped() {
            return Ok(());
        }
        match root.screen.take_change() {
            Some(false) if s.chain_playing => {
                s.chain_playing = false;
                paused_chain = true;
                root.paused_offscreen(true);
            }
            Some(true) if paused_chain => {
                s.chain_playing = true;
                paused_chain = false;
                root.paused_offscreen(false);
            }
            _ => {}
        }
        let cmds: Vec<Cmd> = glue.panel.queue().borrow_mut().drain(..).collect();
        for cmd in cmds {
            glue.command(&mut s, cmd).await;
        }
        s.worker_dead |= glue.workers.dead();
        s.receive_all(glue.workers.receive(), dom::now_ms());
        s.tick(dom::now_ms());
        glue.carry_out(&mut s).await;
        glue.report(&s);
        // a frame, or at most a short wait where the browser sends none (a hidden tab): what the
        // worker sends is taken in and answered in the background too
        dom::next_frame_or(100).await;
    }
}

struct Glue<'a> {
    root: &'a Root,
    panel: Panel,
    workers: Workers,
    backend: &'static str,
}

/// The chain workers: one, or on the CPU a pool of them that splits a grid ([`pool`]).
struct Workers {
    links: Vec<ChainLink>,
    pool: Pool,
}

impl Workers {
    /// `size` workers (the first may be started already) with their device open. A worker that
    /// cannot be started beyond the first leaves the pool smaller, with a note.
    fn start(root: &Root, first: Option<ChainLink>, size: usize, backend: &str) -> Self {
        let mut links: Vec<ChainLink> = first.into_iter().collect();
        for slot in links.len()..size {
            match ChainLink::start_slot(SAMPLER_CHAIN, WORKER_NAME, root.shared_workers, slot) {
                Ok(link) => links.push(link),
                Err(e) => {
                    root.message_once(
                        "info",
                        "pool",
                        &format!(
                            "The sampler runs in {} worker(s), not {size}: another could not start ({e}).",
                            links.len().max(1)
                        ),
                    );
                    break;
                }
            }
        }
        // the first two workers pass the halves of a guided chain split by halves straight to
        // each other ([`pool`]); without the pipe no chain splits that way
        let piped = match &mut links[..] {
            [a, b, ..] => a.pipe(b).inspect_err(|e| web_sys::console::warn_1(&e.into())).is_ok(),
            _ => true,
        };
        // `data-workers`: how many sample a chain
        root.set("workers", &links.len().max(1).to_string());
        let mut me = Self {
            pool: if piped {
                Pool::new(links.len())
            } else {
                Pool::new(links.len()).unpiped()
            },
            links,
        };
        me.send(ToChain::Open {
            backend: backend.into(),
        });
        me
    }

    fn send(&mut self, msg: ToChain) {
        for (i, m) in self.pool.send(msg) {
            if let Some(link) = self.links.get_mut(i) {
                link.send(m);
            }
        }
    }

    /// True once any worker has died (the session then starts them again).
    fn dead(&self) -> bool {
        self.links.is_empty() || self.links.iter().any(ChainLink::dead)
    }

    /// What the workers said, gathered by the pool.
    fn receive(&mut self) -> Vec<Event<FromChain>> {
        let mut heard = Vec::new();
        for i in 0..self.links.len() {
            for event in self.links[i].receive() {
                match event {
                    Event::Message(msg) => {
                        let (said, tell) = self.pool.receive(i, msg);
                        heard.extend(said.into_iter().map(Event::Message));
                        for (j, m) in tell {
                            if let Some(link) = self.links.get_mut(j) {
                                link.send(m);
                            }
                        }
                    }
                    other => heard.push(other),
                }
            }
        }
        heard
    }
}

impl Glue<'_> {
    /// A command: the session's, or one the glue does itself (files, the cache, downloads).
    async fn command(&mut self, s: &mut Session, cmd: Cmd) {
        match &cmd {
            Cmd::OwnFiles => {
                let opened = match panel::picked_files(&self.panel.own).await {
                    Ok(files) if files.is_empty() => return,
                    Ok(files) => zoo::own_entry(files),
                    Err(e) => Err(e),
                };
                s.own_opened(opened, dom::now_ms());
            }
            Cmd::ClearCache => {
                let said = weights::clear_cache().await;
                self.root.message_once("notice", "cache", &said);
            }
            Cmd::DownloadGrid => {
                if let Some(rec) = s.finished_record() {
                    views::download_grid(rec);
                }
            }
            Cmd::EditPressed(kind) => {
                let shape = s
                    .manifest
                    .get(s.settings.model())
                    .map_or([1, 28, 28], zoo::Entry::image_shape);
                if shape[1].max(shape[2]) > MAX_EDIT_SIDE {
                    let text = format!(
                        "This model makes {}×{} images: the editing pad edits images up to \
                         {MAX_EDIT_SIDE}×{MAX_EDIT_SIDE}.",
                        shape[2], shape[1]
                    );
                    self.root.message_once("warning", "empty-drawing", &text);
                    return;
                }
                match self.panel.pad.read(shape) {
                    Ok(painted) => {
                        if !painted.empty {
                            // an earlier "the drawing is empty" no longer holds
                            self.root.unmessage("empty-drawing");
                        }
                        s.apply(Cmd::Edit(*kind, painted), dom::now_ms());
                    }
                    Err(e) => self.root.message_once("warning", "edit-image", &e),
                }
                return;
            }
            Cmd::UseFollowed => {
                match s.followed_image() {
                    Ok((image, shape)) => {
                        self.root.unmessage("edit-image");
                        self.panel.pad.set_base(image, shape);
                    }
                    Err(e) => self.root.message_once("warning", "edit-image", &e),
                }
                return;
            }
            Cmd::OpenImage => {
                let shape = s
                    .manifest
                    .get(s.settings.model())
                    .map_or([1, 28, 28], zoo::Entry::image_shape);
                match super::picture::open(&self.panel.pad.file, shape).await {
                    Ok(None) => {}
                    Ok(Some((image, note))) => {
                        self.root.unmessage("edit-image");
                        if let Some(note) = note {
                            self.root.message_once("info", "edit-image", &note);
                        }
                        self.panel.pad.set_base(image, shape);
                    }
                    Err(e) => self.root.message_once("warning", "edit-image", &e),
                }
                return;
            }
            Cmd::DownloadChain => {
                let follow = s.follow;
                if let Some(rec) = s.finished_record() {
                    views::download_chain(rec, follow);
                }
            }
            _ => {}
        }
        s.apply(cmd, dom::now_ms());
    }

    /// Carries out what the session asked, until it asks nothing more (a fetched file is handed
    /// back, and the session then asks the worker to build it).
    async fn carry_out(&mut self, s: &mut Session) {
        loop {
            let out = s.take_out();
            let (fetch, fetch_classifier) = (out.fetch.clone(), out.fetch_classifier.clone());
            self.apply(s, out).await;
            if let Some(entry) = fetch {
                let started = dom::now_ms();
                let panel = &self.panel;
                let mut progress = |got: u64, total: u64| panel.set_progress(got, total);
                let share = self.root.shared_workers;
                let got =
                    weights::fetch_checked(s.settings.manifest(), &entry, &mut progress, share)
                        .await;
                if got.is_ok() {
                    self.panel.set_progress(entry.bytes, entry.bytes);
                }
                s.fetched(entry, got, started);
            } else if let Some(entry) = fetch_classifier {
                let share = self.root.shared_workers;
                let got =
                    weights::fetch_checked(s.settings.manifest(), &entry, &mut |_, _| {}, share)
                        .await;
                if let Ok((bytes, Source::Network)) = &got {
                    weights::remember(s.settings.manifest(), &entry, &mut bytes.clone()).await;
                }
                s.classifier_fetched(entry, got.map(|(bytes, _)| bytes));
            } else {
                return;
            }
        }
    }

    async fn apply(&mut self, s: &mut Session, out: Outbox) {
        if out.respawn {
            // after a worker died, the chain runs in one: whatever killed it (memory, a
            // device) is less likely to strike one worker again than many
            let size = self.workers.pool.size();
            if size > 1 {
                self.root.message_once(
                    "info",
                    "pool",
                    &format!(
                        "A worker of the sampler's pool of {size} stopped: the sampler now runs in one worker."
                    ),
                );
            }
            self.workers.links.clear();
            match spawn_link(self.root.shared_workers) {
                Ok(link) => self.workers = Workers::start(self.root, Some(link), 1, self.backend),
                Err(e) => {
                    s.worker_dead = true;
                    self.root.fail(&e);
                }
            }
        }
        for msg in out.chain {
            let sample = matches!(msg, ToChain::Sample { .. });
            self.workers.send(msg);
            if sample {
                // `data-split`: how the pool splits the chain (`halves`, `parts` or `whole`)
                self.root.set("split", self.workers.pool.split());
            }
        }
        for say in out.say {
            match say.key {
                Some(key) => self.root.message_once(say.kind, key, &say.text),
                None => self.root.message_unless_shown(say.kind, &say.text),
            }
        }
        if out.fill {
            let _ = self.panel.fill(&s.settings, &s.manifest);
        }
        if let Some(hash) = out.hash {
            self.root.write_hash(&hash);
        }
        if out.remember {
            let manifest = s.settings.manifest().to_string();
            if let Some(file) = s.file.as_mut() {
                weights::remember(&manifest, &file.entry, &mut file.bytes).await;
            }
        }
        if let Some(ms) = out.loaded_ms {
            if let Some(file) = &s.file {
                self.root.set("source", file.source.attr());
            }
            self.root.publish("loadMs", &ms.into());
            dom::mark("model");
        }
        if out.started {
            // what an edit's refusal said no longer holds once a chain runs
            for key in ["interpolate", "mask", "empty-drawing", "inversion"] {
                self.root.unmessage(key);
            }
            self.panel.verdict.set_text_content(None);
            self.root
                .publish("classified", &wasm_bindgen::JsValue::UNDEFINED);
            dom::mark("sampling");
        }
        if out.draw {
            views::draw(&self.panel, s);
            s.drawn(dom::now_ms());
        }
        // after the draw, which writes the chain's own counter ("stopped" stays)
        if let Some(text) = out.counter {
            self.panel.counter.set_text_content(Some(&text));
        }
        if out.finished {
            self.publish_record(s);
        }
        if out.verdict {
            self.publish_verdict(s);
        }
    }

    /// The root's `data-*` for tests and embeds.
    fn report(&self, s: &Session) {
        self.root.set("status", s.status());
        self.root.set("model", s.model_id());
        let step = s.record.as_ref().map_or(0, |r| r.frames.seen());
        self.root.set("step", &step.to_string());
    }

    /// `__playground`'s images, shape and timings of the finished chain.
    fn publish_record(&self, s: &Session) {
        let Some(rec) = &s.record else { return };
        let Some(total) = rec.total_ms else { return };
        // performance.now() counts from navigation: this is "navigation → first finished image"
        let root = self.root;
        root.publish("finishedAtMs", &dom::now_ms().into());
        dom::mark("image");
        let images = js_sys::Float32Array::from(rec.last_x.as_slice());
        root.publish("images", &images.into());
        let shape = js_sys::Array::new();
        for d in [rec.grid.n, rec.grid.c, rec.grid.h, rec.grid.w] {
            shape.push(&(d as u32).into());
        }
        root.publish("shape", &shape.into());
        for (key, values) in [
            ("stepMs", &rec.step_ms),
            ("computeMs", &rec.compute_ms),
            ("readMs", &rec.read_ms),
        ] {
            root.publish(key, &js_sys::Float64Array::from(values.as_slice()).into());
        }
        root.publish("totalMs", &total.into());
        let inversion = match s.inversion_error {
            Some((mean, max)) => js_sys::Float64Array::from(&[mean, max][..]).into(),
            None => wasm_bindgen::JsValue::UNDEFINED,
        };
        root.publish("inversionError", &inversion);
        root.publish("model", &rec.model.clone().into());
    }

    /// What the classifier read: the sentence under the grids, and `classified` / `confidence`.
    fn publish_verdict(&self, s: &Session) {
        let Some(v) = &s.verdict else { return };
        self.panel.verdict.set_text_content(Some(&v.text));
        let labels = js_sys::Array::new();
        for l in &v.labels {
            labels.push(&(*l as u32).into());
        }
        self.root.publish("classified", &labels.into());
        let confidence = js_sys::Float32Array::from(v.confidence.as_slice());
        self.root.publish("confidence", &confidence.into());
    }
}

const SAMPLER_CHAIN: &str = "sampler_chain";
const WORKER_NAME: &str = "the sampler's worker";

fn spawn_link(shared: bool) -> Result<ChainLink, String> {
    ChainLink::start(SAMPLER_CHAIN, WORKER_NAME, shared)
        .map_err(|e| format!("Sampling needs a Web Worker, but {e}."))
}
