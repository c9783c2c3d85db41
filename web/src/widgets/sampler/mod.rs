//! The image sampler: a person picks a shipped model, presses Sample, and watches noise turn into
//! images. The page fetches and checks the weights ([`crate::weights`]: streamed, checked, cached)
//! and draws; the chain itself (a [`zoo::ImageChain`], the same code as the CLI's `sample`) runs in
//! a Web Worker ([`chain_worker`]), so no step, however slow, holds the page. Every step's x_t and
//! x̂₀ arrive as bytes and are kept for the scrubber afterwards.

mod chain_worker;
mod frames;
mod messages;
mod panel;

use burn::prelude::*;
use wasm_bindgen::JsCast;
use zoo::{Entry, Manifest, Net};

use crate::backend::Backend;
use crate::dom::{self, Root, el};
use crate::hooks::{self, publish, publish_command};
use crate::readback::to_vec;
use crate::render::images::{self, Grid};
use crate::render::text;
use crate::sampler_settings::{SamplerSettings, manifest_url};
use crate::state::HashState;
use crate::weights::{self, Source};
use crate::worker::Event;
use frames::{Frame, Frames};
use messages::{ChainLink, FromChain, ToChain};
use panel::{Cmd, Panel};

/// Least milliseconds between two redraws while sampling.
const DRAW_MS: f64 = 50.0;
/// Milliseconds per step when the chain plays back.
const CHAIN_MS: f64 = 120.0;
/// Most chain columns in the downloaded strip, and most images in it.
const STRIP_STEPS: usize = 32;
const STRIP_IMAGES: usize = 8;

/// Started before the backend is chosen: the worker (~150 ms to start), the model list's download
/// and the opening of the weights cache.
pub struct Early {
    link: Result<ChainLink, String>,
    url: String,
    manifest: dom::Eager<Result<Manifest, String>>,
}

impl Early {
    pub fn start(hash: &mut HashState) -> Self {
        let link = spawn_link();
        dom::mark("worker-spawned");
        let url = manifest_url(hash);
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
    let mut link = early.link?;
    open(&mut link, kind);
    let url = early.url;
    let manifest = early
        .manifest
        .get()
        .await
        .map_err(|e| format!("The model list could not be loaded: {e}."))?;
    dom::mark("manifest");
    if manifest.generators().next().is_none() {
        return Err(format!(
            "The model list {url} names no image model, so there is nothing to sample."
        ));
    }
    let settings = SamplerSettings::read(hash, &manifest);
    for w in hash.warnings.drain(..) {
        root.message("warning", &w);
    }
    let panel = Panel::build(&root.0, panel::Queue::default()).map_err(js_err)?;
    panel.fill(&settings, &manifest).map_err(js_err)?;
    // `__playground.crashWorker()`: a test makes the worker panic, as a GPU out-of-memory would
    publish_command("crashWorker", panel.queue(), Cmd::CrashWorker);
    let mut w = Widget {
        root: root.clone(),
        device: backend.device.clone(),
        backend: kind,
        hash: hash.clone(),
        manifest,
        settings,
        panel,
        link,
        file: None,
        own: None,
        model: None,
        load: 0,
        respawned: false,
        autorun: false,
        classifier: None,
        run: 0,
        running: None,
        record: None,
        scrub: 0,
        chain_playing: false,
        chain_moved_at: 0.0,
        follow: None,
        drawn_at: f64::NEG_INFINITY,
        dirty: false,
    };
    w.write_hash();
    dom::mark("panel");
    w.autorun = w.settings.autorun;
    w.load_model().await;
    loop {
        w.tick().await;
        // a frame, or at most a short wait where the browser sends none (a hidden tab): what the
        // worker sends is taken in and answered in the background too
        dom::next_frame_or(100).await;
    }
}

fn spawn_link() -> Result<ChainLink, String> {
    ChainLink::spawn("sampler_chain", "the sampler's worker")
        .map_err(|e| format!("Sampling needs a Web Worker, but {e}."))
}

/// Has the worker open a device of the page's kind (`webgpu` or `cpu`).
fn open(link: &mut ChainLink, backend: &str) {
    link.send(ToChain::Open {
        backend: backend.into(),
    });
}

/// The checked weights file of the chosen model, kept to load it again into a new worker.
struct File {
    entry: Entry,
    bytes: Vec<u8>,
    source: Source,
    /// In the browser's cache (so a reload into a new worker does not store it again), or not to
    /// be stored there (a person's own files).
    cached: bool,
    /// When the page began to load it (ms since navigation).
    started_ms: f64,
}

/// The model the worker has built.
struct Model {
    id: String,
    classes: Option<usize>,
}

/// The chain the worker is sampling.
struct Running {
    run: u32,
    started_ms: f64,
    model: String,
    /// The requested class of each image (empty: none).
    classes: Vec<usize>,
}

/// The chain of the latest run.
struct Record {
    model: String,
    grid: Grid,
    len: usize,
    frames: Frames,
    step_ms: Vec<f64>,
    /// Per step: milliseconds in the sampler's step call (all of the work on the CPU; queueing
    /// on WebGPU) and in reading the result back.
    compute_ms: Vec<f64>,
    read_ms: Vec<f64>,
    total_ms: Option<f64>,
    /// The requested class of each image (empty: none).
    classes: Vec<usize>,
    /// The final images as floats (published for tests and classification).
    last_x: Vec<f32>,
}

struct Widget {
    root: Root,
    /// The page's device (the classifier runs on it).
    device: Device,
    backend: &'static str,
    hash: HashState,
    manifest: Manifest,
    settings: SamplerSettings,
    panel: Panel,
    link: ChainLink,
    file: Option<File>,
    /// The person's own model, if they opened one: its id in the model list and its weights.
    own: Option<(String, Vec<u8>)>,
    /// Set once the worker has built the file's network.
    model: Option<Model>,
    /// Numbers the loads sent to the worker.
    load: u32,
    /// A new worker was started after a crash and has not loaded a model since.
    respawned: bool,
    /// Sample as soon as the model is loaded (`autorun=1`).
    autorun: bool,
    classifier: Option<(String, Net)>,
    /// Numbers the runs sent to the worker.
    run: u32,
    running: Option<Running>,
    record: Option<Record>,
    scrub: usize,
    chain_playing: bool,
    chain_moved_at: f64,
    follow: Option<usize>,
    /// When the grids were last drawn (ms since navigation).
    drawn_at: f64,
    /// A step arrived that is not drawn yet.
    dirty: bool,
}

impl Widget {
    async fn tick(&mut self) {
        let cmds: Vec<Cmd> = self.panel.queue().borrow_mut().drain(..).collect();
        for cmd in cmds {
            self.apply(cmd).await;
        }
        for event in self.link.receive() {
            match event {
                Event::Message(msg) => self.receive(msg).await,
                Event::Failed(message) => self.message_lost(&message),
                Event::Died(message) => self.worker_died(&message),
            }
        }
        // painting the grids costs the browser more than a fast step: at most every DRAW_MS
        // while sampling (every step is kept for the scrubber), and always at the end
        if self.dirty && (self.running.is_none() || dom::now_ms() - self.drawn_at >= DRAW_MS) {
            self.draw();
        }
        if self.running.is_none()
            && self.chain_playing
            && dom::now_ms() - self.chain_moved_at >= CHAIN_MS
        {
            let len = self.record.as_ref().map_or(0, |r| r.frames.len());
            if self.scrub + 1 < len {
                self.scrub += 1;
                self.chain_moved_at = dom::now_ms();
            } else {
                self.chain_playing = false;
            }
            self.draw();
        }
    }

    async fn apply(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Set(key, value) => self.set(&key, Some(&value)).await,
            Cmd::OwnFiles => self.open_own().await,
            Cmd::Sample => self.start(),
            Cmd::Stop => {
                if self.running.is_some() {
                    self.stop();
                    if self.dirty {
                        self.draw();
                    }
                    self.root.set("status", "ready");
                    self.panel.counter.set_text_content(Some("stopped"));
                }
            }
            Cmd::ClearCache => {
                let said = weights::clear_cache().await;
                self.root.message_once("notice", "cache", &said);
            }
            Cmd::Scrub(i) => {
                self.chain_playing = false;
                self.scrub = i;
                self.draw();
            }
            Cmd::ChainPlay => {
                let len = self.record.as_ref().map_or(0, |r| r.frames.len());
                if self.running.is_none() && len > 0 {
                    self.chain_playing = !self.chain_playing;
                    if self.chain_playing && self.scrub + 1 >= len {
                        self.scrub = 0;
                    }
                    self.chain_moved_at = dom::now_ms();
                    self.draw();
                }
            }
            Cmd::Pick(x, y) => {
                if let Some(i) = self.record.as_ref().and_then(|r| r.grid.hit(x, y)) {
                    self.follow = (self.follow != Some(i)).then_some(i);
                    self.draw();
                }
            }
            Cmd::DownloadGrid => self.download_grid(),
            Cmd::DownloadChain => self.download_chain(),
            Cmd::CrashWorker => self.link.send(ToChain::Crash),
        }
    }

    /// A setting changed (or was dropped, `None`, for its default): the settings are read again
    /// (a bad value falls back, with a warning), and a new model is loaded.
    async fn set(&mut self, key: &str, value: Option<&str>) {
        let before = self.settings.model.clone();
        self.hash.set(key, value);
        let mut h = self.hash.clone();
        self.settings = SamplerSettings::read(&mut h, &self.manifest);
        for w in h.warnings {
            self.root.message_unless_shown("warning", &w);
        }
        let _ = self.panel.fill(&self.settings, &self.manifest);
        self.write_hash();
        if self.settings.model != before {
            self.stop();
            self.load_model().await;
        }
    }

    /// Reads the files picked in "your own model" and, if they make a model, adds it to the
    /// model list (in place of an earlier one of the person's) and opens it. A wrong pick is said
    /// in the page, and the model already open stays.
    async fn open_own(&mut self) {
        let opened = match panel::picked_files(&self.panel.own).await {
            Ok(files) if files.is_empty() => return,
            Ok(files) => zoo::own_entry(files),
            Err(e) => Err(e),
        };
        match opened {
            Ok((entry, bytes)) => {
                self.root.message_once(
                    "notice",
                    "own",
                    &format!(
                        "Opened your model {} ({} parameters, {}, {}).",
                        entry.file,
                        entry.params,
                        entry.dtype,
                        entry.size_text()
                    ),
                );
                let id = entry.id.clone();
                self.manifest.models.retain(|m| !m.id.starts_with(zoo::OWN));
                self.manifest.models.push(entry);
                self.own = Some((id.clone(), bytes));
                if self.settings.model == id {
                    // the same file name again: the settings stay, the model is loaded anew
                    self.stop();
                    self.load_model().await;
                } else {
                    self.set("model", Some(&id)).await;
                }
            }
            Err(e) => self.root.message_once(
                "error",
                "own",
                &format!("Your model could not be opened: {e}."),
            ),
        }
    }

    /// Drops the chain being sampled (the worker is told).
    fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            self.link.send(ToChain::Stop { run: r.run });
        }
    }

    /// Fetches (or takes from the cache) the chosen model's checked weights and has the worker
    /// build the network; the answer arrives as [`FromChain::Loaded`].
    async fn load_model(&mut self) {
        self.model = None;
        self.file = None;
        let Some(entry) = self.manifest.get(&self.settings.model).cloned() else {
            return;
        };
        self.root.set("status", "loading");
        self.root.set("model", &entry.id);
        let started_ms = dom::now_ms();
        let got = match self.own.as_ref().filter(|(id, _)| *id == entry.id) {
            Some((_, bytes)) => Ok((bytes.clone(), Source::Local)),
            None => {
                self.panel.counter.set_text_content(Some(&format!(
                    "loading {} ({})…",
                    entry.id,
                    entry.size_text()
                )));
                let panel = &self.panel;
                let mut progress = |got: u64, total: u64| panel.set_progress(got, total);
                weights::fetch_checked(&self.settings.manifest, &entry, &mut progress).await
            }
        };
        match got {
            Ok((bytes, source)) => {
                self.panel.set_progress(entry.bytes, entry.bytes);
                self.panel.counter.set_text_content(Some(&format!(
                    "building {} ({})…",
                    entry.id,
                    source.phrase()
                )));
                self.file = Some(File {
                    entry,
                    bytes,
                    // already in the browser's cache, or a person's own files (never stored)
                    cached: source != Source::Network,
                    source,
                    started_ms,
                });
                self.respawned = false;
                if !self.link.dead() || self.respawn() {
                    self.send_load();
                }
            }
            Err(e) => self.load_failed(&entry.id, &e),
        }
    }

    /// Sends the kept file to the worker to build.
    fn send_load(&mut self) {
        let Some(file) = &self.file else { return };
        self.load += 1;
        self.link.send(ToChain::Load {
            load: self.load,
            entry: file.entry.clone(),
            bytes: file.bytes.clone(),
        });
    }

    fn load_failed(&mut self, id: &str, e: &str) {
        self.file = None;
        self.autorun = false;
        self.panel.counter.set_text_content(Some("no model loaded"));
        self.root.fail(&format!(
            "Model {id} could not be loaded: {e}. Pick another model, or reload to try again."
        ));
    }

    /// The worker refused the person's own model: it leaves the list (with its bytes), the page
    /// says why, and the default model opens.
    async fn own_failed(&mut self, id: &str, e: &str) {
        self.file = None;
        self.own = None;
        self.manifest.models.retain(|m| m.id != id);
        self.root.message_once(
            "error",
            "own",
            &format!("Your model could not be opened: {e}. The default model opens instead."),
        );
        self.set("model", None).await;
    }

    /// A new worker in place of a dead one; false (and said in the page) if none could start.
    fn respawn(&mut self) -> bool {
        match spawn_link() {
            Ok(mut link) => {
                open(&mut link, self.backend);
                self.link = link;
                true
            }
            Err(e) => {
                self.root.fail(&e);
                false
            }
        }
    }

    async fn receive(&mut self, msg: FromChain) {
        match msg {
            FromChain::Opened { note } => {
                if let Some(note) = note {
                    self.root.message_once("notice", "worker-backend", &note);
                }
            }
            FromChain::Loaded {
                load,
                classes,
                error,
            } => {
                if load != self.load {
                    return;
                }
                let Some(file) = self.file.as_mut() else {
                    return;
                };
                let id = file.entry.id.clone();
                if let Some(e) = error {
                    if id.starts_with(zoo::OWN) {
                        return self.own_failed(&id, &e).await;
                    }
                    return self.load_failed(&id, &e);
                }
                self.respawned = false;
                if !file.cached {
                    weights::remember(&self.settings.manifest, &file.entry, &mut file.bytes).await;
                    file.cached = true;
                }
                let ms = dom::now_ms() - file.started_ms;
                self.panel.counter.set_text_content(Some(&format!(
                    "{id} ready ({}, checked, {ms:.0} ms)",
                    file.source.phrase()
                )));
                self.root.set("source", file.source.attr());
                publish("loadMs", &ms.into());
                dom::mark("model");
                self.model = Some(Model { id, classes });
                self.root.set("status", "ready");
                if std::mem::take(&mut self.autorun) {
                    self.start();
                }
            }
            FromChain::Started {
                run,
                len,
                shape,
                error,
            } => {
                let Some(r) = self.running.as_ref().filter(|r| r.run == run) else {
                    return;
                };
                let (model, classes) = (r.model.clone(), r.classes.clone());
                if let Some(e) = error {
                    self.running = None;
                    self.root.set("status", "ready");
                    self.root
                        .message_once("error", "sample", &format!("Cannot sample: {e}."));
                    return;
                }
                let grid = Grid::new(shape);
                // a test may set `__playground.frameBudget` (bytes) to thin a short chain
                let budget = hooks::number("frameBudget")
                    .filter(|b| *b >= 1.0)
                    .map_or(frames::BUDGET, |b| b as usize);
                self.record = Some(Record {
                    model,
                    grid,
                    len,
                    frames: Frames::within(len, 2 * grid.n * grid.c * grid.h * grid.w, budget),
                    step_ms: Vec::new(),
                    compute_ms: Vec::new(),
                    read_ms: Vec::new(),
                    total_ms: None,
                    classes,
                    last_x: Vec::new(),
                });
                self.follow = self.follow.filter(|&i| i < shape[0]);
            }
            FromChain::Frame {
                run,
                index,
                t,
                xt,
                x0,
                compute_ms,
                read_ms,
                step_ms,
                last,
            } => {
                let Some(started_ms) = self
                    .running
                    .as_ref()
                    .filter(|r| r.run == run)
                    .map(|r| r.started_ms)
                else {
                    return;
                };
                let Some(rec) = self.record.as_mut() else {
                    return;
                };
                let live = self.scrub + 1 >= rec.frames.len();
                rec.frames.push(Frame { index, t, xt, x0 });
                rec.step_ms.push(step_ms);
                rec.compute_ms.push(compute_ms);
                rec.read_ms.push(read_ms);
                if live {
                    self.scrub = rec.frames.len() - 1;
                }
                self.root.set("step", &rec.frames.seen().to_string());
                self.dirty = true;
                if let Some(last) = last {
                    rec.last_x = last.0;
                    self.running = None;
                    self.finish(started_ms).await;
                }
            }
            FromChain::Stopped { run, message } => {
                if self.running.as_ref().is_some_and(|r| r.run == run) {
                    self.running = None;
                    self.root.fail(&message);
                }
            }
        }
    }

    /// A message to or from the worker was lost: it may have been the one a load or a run waits
    /// for, so that load or run fails.
    fn message_lost(&mut self, message: &str) {
        if self.running.take().is_some() {
            self.root.fail(&format!("Sampling failed: {message}."));
        } else if self.model.is_none() && self.file.is_some() {
            let id = self.settings.model.clone();
            self.load_failed(&id, message);
        } else {
            self.root.message_once("warning", "worker", message);
        }
    }

    /// The worker panicked (Burn's WebGPU runtime panics on a GPU out-of-memory error) or could not
    /// start: the page
    /// says so, starts a new worker and loads the model into it again, once; what was sampled
    /// before stays on the page.
    fn worker_died(&mut self, message: &str) {
        let what = if self.running.take().is_some() {
            " while sampling"
        } else if self.model.is_none() {
            " while building the model"
        } else {
            ""
        };
        let again = !self.respawned && self.file.is_some();
        let next = if again {
            "A new worker is loading the model again; fewer images may fit."
        } else {
            "Pick a model to try again, or reload the page."
        };
        self.model = None;
        self.root.fail(&format!(
            "The sampler stopped{what} ({message}). On WebGPU this is most often the GPU running out of memory. {next}"
        ));
        if again && self.respawn() {
            self.respawned = true;
            if let Some(file) = self.file.as_mut() {
                file.started_ms = dom::now_ms();
            }
            self.send_load();
            self.root.set("status", "loading");
        }
    }

    fn start(&mut self) {
        let Some(model) = &self.model else {
            self.root.message_once(
                "warning",
                "no-model",
                "No model is loaded yet: pick a model first.",
            );
            return;
        };
        let Some(process) = self.manifest.get(&model.id).and_then(|e| e.process.clone()) else {
            return;
        };
        let spec = self.settings.spec(model.classes);
        let id = model.id.clone();
        self.stop();
        self.run += 1;
        self.link.send(ToChain::Sample {
            run: self.run,
            process,
            spec: spec.clone(),
        });
        self.running = Some(Running {
            run: self.run,
            started_ms: dom::now_ms(),
            model: id,
            classes: spec.classes,
        });
        self.scrub = 0;
        self.chain_playing = false;
        self.panel.verdict.set_text_content(None);
        self.root.set("status", "sampling");
        dom::mark("sampling");
        self.root.set("step", "0");
        publish("classified", &wasm_bindgen::JsValue::UNDEFINED);
    }

    async fn finish(&mut self, started_ms: f64) {
        let Some(rec) = self.record.as_mut() else {
            return;
        };
        // performance.now() counts from navigation: this is "navigation → first finished image"
        let first_image = dom::now_ms();
        let total = first_image - started_ms;
        rec.total_ms = Some(total);
        publish("finishedAtMs", &first_image.into());
        dom::mark("image");
        let images = js_sys::Float32Array::from(rec.last_x.as_slice());
        publish("images", &images.into());
        let shape = js_sys::Array::new();
        for d in [rec.grid.n, rec.grid.c, rec.grid.h, rec.grid.w] {
            shape.push(&(d as u32).into());
        }
        publish("shape", &shape.into());
        for (key, values) in [
            ("stepMs", &rec.step_ms),
            ("computeMs", &rec.compute_ms),
            ("readMs", &rec.read_ms),
        ] {
            publish(key, &js_sys::Float64Array::from(values.as_slice()).into());
        }
        publish("totalMs", &total.into());
        publish("model", &rec.model.clone().into());
        self.draw();
        self.classify().await;
        self.root.set("status", "done");
    }

    /// Runs the data set's classifier (if the model list has one) on the final images and says
    /// what it reads; published as `classified` (labels) and `confidence` for tests.
    async fn classify(&mut self) {
        let Some(rec) = &self.record else { return };
        let Some(entry) = self
            .manifest
            .get(&rec.model)
            .and_then(|m| self.manifest.classifier_for(&m.dataset))
            .cloned()
        else {
            return;
        };
        if [rec.grid.c, rec.grid.h, rec.grid.w] != [1, 28, 28] {
            return;
        }
        if self.classifier.as_ref().map(|c| &c.0) != Some(&entry.id) {
            match weights::load(
                &self.settings.manifest,
                &entry,
                &self.device,
                &mut |_, _| {},
            )
            .await
            {
                Ok((net, _)) => self.classifier = Some((entry.id.clone(), net)),
                Err(e) => {
                    self.root.message_once(
                        "warning",
                        "classifier",
                        &format!("The classifier could not be loaded: {e}."),
                    );
                    return;
                }
            }
        }
        let (Some((_, Net::Classifier(clf))), Some(rec)) = (&self.classifier, &self.record) else {
            return;
        };
        let n = rec.grid.n;
        let x = Tensor::<4>::from_data(
            TensorData::new(rec.last_x.clone(), [n, 1, 28, 28]),
            &self.device,
        )
        .clamp(-1.0, 1.0);
        let probs = burn::tensor::activation::softmax(clf.forward(x), 1);
        let Ok(p) = to_vec(probs).await else { return };
        let k = p.len() / n.max(1);
        let (labels, conf): (Vec<usize>, Vec<f32>) = p
            .chunks(k)
            .map(|row| {
                row.iter()
                    .enumerate()
                    .fold((0, f32::MIN), |b, (i, &v)| if v > b.1 { (i, v) } else { b })
            })
            .unzip();
        let text = if rec.classes.is_empty() {
            format!("Our MNIST classifier reads these as: {}.", join(&labels))
        } else {
            let right = labels
                .iter()
                .zip(&rec.classes)
                .filter(|(a, b)| a == b)
                .count();
            format!(
                "Our MNIST classifier reads these as: {} ({right} of {n} are the class asked for).",
                join(&labels)
            )
        };
        self.panel.verdict.set_text_content(Some(&text));
        let arr = js_sys::Array::new();
        for l in &labels {
            arr.push(&(*l as u32).into());
        }
        publish("classified", &arr.into());
        publish(
            "confidence",
            &js_sys::Float32Array::from(conf.as_slice()).into(),
        );
    }

    /// Shows step `self.scrub` of the record (and the followed image).
    fn draw(&mut self) {
        self.drawn_at = dom::now_ms();
        self.dirty = false;
        let Some(rec) = &self.record else { return };
        let Some(frame) = rec
            .frames
            .get(self.scrub.min(rec.frames.len().saturating_sub(1)))
        else {
            return;
        };
        let g = rec.grid;
        for (canvas, q) in [(&self.panel.xt, &frame.xt), (&self.panel.x0, &frame.x0)] {
            let mut px = images::grid_rgba(&g, q);
            let _ = images::put(canvas, &mut px, g.width(), g.height());
        }
        let at = self.scrub.min(rec.frames.len() - 1);
        let done = rec.total_ms.is_some();
        self.panel
            .set_scrub(if done { rec.frames.len() } else { 0 }, at);
        let thinned = match rec.frames.stride() {
            1 => String::new(),
            k => format!(" · one step in {k} kept"),
        };
        self.panel.scrub_label.set_text_content(Some(&format!(
            "step {} of {} · t = {}{thinned}",
            frame.index + 1,
            rec.len,
            text::time(frame.t)
        )));
        let mean = rec.step_ms.iter().sum::<f64>() / rec.step_ms.len().max(1) as f64;
        let counter = match rec.total_ms {
            Some(total) => format!(
                "{} steps · {:.0} ms per step · {:.2} s in all",
                rec.frames.seen(),
                mean,
                total / 1000.0
            ),
            None => format!(
                "step {} of {} · {:.0} ms per step",
                rec.frames.seen(),
                rec.len,
                mean
            ),
        };
        self.panel.counter.set_text_content(Some(&counter));
        self.panel
            .chain_play
            .set_text_content(Some(if self.chain_playing { "⏸" } else { "▶" }));
        match self.follow {
            Some(i) if i < g.n && !self.settings.hidden("follow") => {
                let _ = self.panel.follow_row.remove_attribute("hidden");
                let pair = Grid { n: 2, cols: 2, ..g };
                let mut px = images::blank(&pair);
                images::tile(&g, &frame.xt, i, &mut px, &pair, 0);
                images::tile(&g, &frame.x0, i, &mut px, &pair, 1);
                let _ = images::put(&self.panel.follow, &mut px, pair.width(), pair.height());
                let class = rec
                    .classes
                    .get(i)
                    .map_or(String::new(), |c| format!(" (class {c})"));
                self.panel.follow_label.set_text_content(Some(&format!(
                    "image {}{class}: x_t and x̂₀ at step {} — click it again in the grid to close",
                    i + 1,
                    at + 1
                )));
            }
            _ => {
                let _ = self.panel.follow_row.set_attribute("hidden", "");
            }
        }
    }

    fn download_grid(&self) {
        let Some(rec) = self.record.as_ref().filter(|r| r.total_ms.is_some()) else {
            return self.nothing_yet();
        };
        let Some(last) = rec.frames.last() else {
            return;
        };
        let g = rec.grid;
        let px = images::grid_rgba(&g, &last.xt);
        save_png(
            &px,
            g.width(),
            g.height(),
            4,
            &format!("{}-grid.png", rec.model),
        );
    }

    /// A strip: for each of the first images (or the followed one), a row of x_t and a row of x̂₀
    /// over (at most [`STRIP_STEPS`]) steps.
    fn download_chain(&self) {
        let Some(rec) = self.record.as_ref().filter(|r| r.total_ms.is_some()) else {
            return self.nothing_yet();
        };
        let g = rec.grid;
        let shown: Vec<usize> = match self.follow {
            Some(i) => vec![i],
            None => (0..g.n.min(STRIP_IMAGES)).collect(),
        };
        let k = rec.frames.len();
        let cols: Vec<usize> = (0..k.min(STRIP_STEPS))
            .map(|j| j * (k - 1) / (k.min(STRIP_STEPS) - 1).max(1))
            .collect();
        let strip = Grid {
            n: cols.len() * shown.len() * 2,
            cols: cols.len(),
            ..g
        };
        let mut px = images::blank(&strip);
        for (r, &i) in shown.iter().enumerate() {
            for (c, &j) in cols.iter().enumerate() {
                let f = &rec.frames.kept()[j];
                images::tile(&g, &f.xt, i, &mut px, &strip, 2 * r * strip.cols + c);
                images::tile(&g, &f.x0, i, &mut px, &strip, (2 * r + 1) * strip.cols + c);
            }
        }
        save_png(
            &px,
            strip.width(),
            strip.height(),
            2,
            &format!("{}-chain.png", rec.model),
        );
    }

    fn nothing_yet(&self) {
        self.root.message_once(
            "notice",
            "download",
            "Nothing to download yet: sample first.",
        );
    }

    fn write_hash(&mut self) {
        self.settings.write(&mut self.hash, &self.manifest);
        // a person's own model cannot be opened from a link: the URL leaves it out
        let mut shown = self.hash.clone();
        if self.settings.model.starts_with(zoo::OWN) {
            shown.set("model", None);
        }
        let url = shown.to_hash();
        if let Ok(history) = dom::window().history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
    }
}

fn join(v: &[usize]) -> String {
    v.iter()
        .map(|l| l.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Saves RGBA pixels as a PNG download, scaled up `scale`× without smoothing.
fn save_png(px: &[u8], w: usize, h: usize, scale: usize, name: &str) {
    let go = || -> Result<(), wasm_bindgen::JsValue> {
        let small = dom::canvas(w as u32, h as u32)?;
        let mut px = px.to_vec();
        images::put(&small, &mut px, w, h)?;
        let big = dom::canvas((w * scale) as u32, (h * scale) as u32)?;
        let ctx = dom::context_2d(&big)?;
        ctx.set_image_smoothing_enabled(false);
        ctx.draw_image_with_html_canvas_element_and_dw_and_dh(
            &small,
            0.0,
            0.0,
            (w * scale) as f64,
            (h * scale) as f64,
        )?;
        let url = big.to_data_url()?;
        let a: web_sys::HtmlElement = el("a", "", "")?.dyn_into()?;
        a.set_attribute("href", &url)?;
        a.set_attribute("download", name)?;
        dom::document().body().ok_or("no body")?.append_child(&a)?;
        a.click();
        a.remove();
        Ok(())
    };
    if let Err(e) = go() {
        web_sys::console::error_1(&e);
    }
}

fn js_err(e: wasm_bindgen::JsValue) -> String {
    format!("the page could not build the widget: {e:?}")
}
