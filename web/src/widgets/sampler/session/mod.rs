//! The image sampler's state and its transitions, with no DOM, no worker and no device: what a
//! person asks for ([`Cmd`]), the weights the page fetched and what the chain worker reports come
//! in; what the glue (`widget.rs`) is to do goes out through [`Outbox`]. The model's life is one
//! [`ModelState`], and the root's `data-status` is derived from it ([`Session::status`]).
//! Compiled and tested natively (`session/tests.rs`); the chain's half is in [`chain`].

mod chain;
mod edit;
mod record;
#[cfg(test)]
mod tests;

pub use edit::interpolation;
pub use record::{File, Record, Source, Verdict};

use zoo::{Entry, Manifest};

use super::messages::ToChain;
use crate::settings::Changes;
use crate::settings::HashState;
use crate::settings::sampler::{SamplerSettings, table};
use crate::widgets::event::Say;

/// Least milliseconds between two redraws while sampling.
pub const DRAW_MS: f64 = 50.0;
/// Milliseconds per step when the chain plays back.
pub const CHAIN_MS: f64 = 120.0;

/// What a person asked for (the panel's events).
#[derive(Debug, Clone, PartialEq)]
pub enum Cmd {
    /// A setting changed (hash key, new value).
    Set(String, String),
    Sample,
    /// Edit what the pad holds (the glue read it) as `EditKind` says.
    Edit(EditKind, Painted),
    /// An edit's button was pressed: the glue reads the pad and applies [`Cmd::Edit`].
    EditPressed(EditKind),
    /// Interpolate between the last two images clicked in the sampled grid.
    Interpolate,
    /// Put the followed image of the grid on the pad (the glue's).
    UseFollowed,
    /// An image file was opened or dropped on the pad (the glue reads it).
    OpenImage,
    Stop,
    ClearCache,
    Scrub(usize),
    ChainPlay,
    /// A click on a grid at canvas coordinates (which image to follow).
    Pick(f64, f64),
    DownloadGrid,
    DownloadChain,
    /// Files were picked in "your own model": read them and open the model they make.
    OwnFiles,
    /// Test hook (`__playground.crashWorker()`): make the chain worker panic.
    CrashWorker,
    /// Test hook (`__playground.loseDevice()`): destroy the worker's WebGPU device.
    LoseDevice,
    /// Test hook (`__playground.hugeBatch()`): sample [`HUGE_BATCH`] images with the settings,
    /// past the page's own limit, so the GPU runs out of memory for real.
    HugeBatch,
}

/// Images a test's huge batch asks for: 512× the page's limit, over 3 GB in the first layer of
/// either U-Net, guided or not (more than a WebGPU buffer may hold on most devices: SwiftShader
/// allows 1 GiB).
pub const HUGE_BATCH: usize = 32768;

/// The edits made from the pad's image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditKind {
    Sdedit,
    Inpaint,
    Invert,
}

/// What the pad holds when an edit is asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Painted {
    /// [C·H·W] in [−1, 1].
    pub image: Vec<f32>,
    /// [H·W] in [0, 1]: 1 where to regenerate.
    pub mask: Vec<f32>,
    /// No image and no ink.
    pub empty: bool,
}

/// Where the chosen model is in its life.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelState {
    /// The page is fetching (or reading from the cache) the weights of model `id`.
    Fetching { id: String },
    /// The worker is building the network of load `load` from the checked file.
    Building { id: String, load: u32 },
    /// Built, with its number of classes if class-conditional.
    Ready { id: String, classes: Option<usize> },
    /// Sampling chain `run`.
    Sampling {
        id: String,
        classes: Option<usize>,
        run: u32,
        started_ms: f64,
    },
    /// It could not be loaded (the page says why): another pick, or a reload, tries again.
    Broken,
}

impl ModelState {
    /// The model built in the worker, with its classes.
    pub fn built(&self) -> Option<(&str, Option<usize>)> {
        match self {
            ModelState::Ready { id, classes } | ModelState::Sampling { id, classes, .. } => {
                Some((id, *classes))
            }
            _ => None,
        }
    }

    pub fn running(&self) -> Option<u32> {
        match self {
            ModelState::Sampling { run, .. } => Some(*run),
            _ => None,
        }
    }
}

/// What the session asks of the glue, in this order: a new worker, the worker's messages, fetches,
/// banners, the form, the URL, the counter, storing the file in the cache, drawing, publishing.
#[derive(Debug, Default)]
pub struct Outbox {
    /// Start a new worker (in place of a dead one) and open its device.
    pub respawn: bool,
    pub chain: Vec<ToChain>,
    /// Fetch this model's checked weights and hand them to [`Session::fetched`].
    pub fetch: Option<Entry>,
    /// Fetch this classifier's checked weights and hand them to [`Session::classifier_fetched`].
    pub fetch_classifier: Option<Entry>,
    pub say: Vec<Say>,
    pub fill: bool,
    pub hash: Option<String>,
    /// The toolbar's counter text (the chain's own counter is the view's).
    pub counter: Option<String>,
    /// The fetched file was built: store it in the browser's cache.
    pub remember: bool,
    /// The model is ready: `loadMs` for tests and the benchmark.
    pub loaded_ms: Option<f64>,
    /// A run started (the hooks' last results are stale) or finished (publish them).
    pub started: bool,
    pub finished: bool,
    /// The classifier's verdict arrived.
    pub verdict: bool,
    pub draw: bool,
}

pub struct Session {
    pub settings: SamplerSettings,
    hash: HashState,
    pub manifest: Manifest,
    pub out: Outbox,
    pub model: ModelState,
    pub file: Option<File>,
    /// The person's own model, if they opened one: its id in the model list and its weights.
    own: Option<(String, Vec<u8>)>,
    /// Numbers the loads and the runs sent to the worker.
    load: u32,
    run: u32,
    /// A new worker was started after a crash and has not loaded a model since.
    respawned: bool,
    pub worker_dead: bool,
    /// Sample as soon as the model is loaded (`autorun=1`).
    autorun: bool,
    /// The last run or load failed (the page says why): `data-status` is `error` until the next.
    failed: bool,
    /// The classifier the worker holds, and the run it is classifying.
    classifier: Option<String>,
    classifying: Option<u32>,
    /// The model loaded last has finished a chain (`done`, once the classifier has read it).
    finished: bool,
    /// The class asked of each image of the run being sampled (empty: none).
    run_classes: Vec<usize>,
    /// Bytes of frames a chain may keep.
    frame_budget: usize,
    pub record: Option<Record>,
    pub verdict: Option<Verdict>,
    pub scrub: usize,
    pub chain_playing: bool,
    chain_moved_at: f64,
    pub follow: Option<usize>,
    /// The last two images clicked in the grid (the ends of an interpolation).
    pub picked: Vec<usize>,
    /// What the run being sampled is: its spec, and its edit.
    run_spec: Option<zoo::ChainSpec>,
    run_edit: Option<zoo::EditSpec>,
    /// The last inversion's reconstruction error: the mean and the largest |error| per pixel.
    pub inversion_error: Option<(f64, f64)>,
    /// When the grids were last drawn, and whether a step arrived that is not drawn yet.
    drawn_at: f64,
    dirty: bool,
}

impl Session {
    /// A session on the settings of `hash` against `manifest`, with the chosen model being
    /// loaded; `frame_budget` bounds the bytes of a chain's frames.
    pub fn new(hash: &mut HashState, manifest: Manifest, frame_budget: usize, now: f64) -> Self {
        let settings = SamplerSettings::read(hash, &manifest);
        let mut s = Self {
            autorun: settings.autorun(),
            settings,
            hash: hash.clone(),
            manifest,
            out: Outbox::default(),
            model: ModelState::Broken,
            file: None,
            own: None,
            load: 0,
            run: 0,
            respawned: false,
            worker_dead: false,
            failed: false,
            classifier: None,
            classifying: None,
            finished: false,
            run_classes: Vec::new(),
            frame_budget,
            record: None,
            verdict: None,
            scrub: 0,
            chain_playing: false,
            chain_moved_at: 0.0,
            follow: None,
            picked: Vec::new(),
            run_spec: None,
            run_edit: None,
            inversion_error: None,
            drawn_at: f64::NEG_INFINITY,
            dirty: false,
        };
        for w in std::mem::take(&mut hash.warnings) {
            s.say("warning", None, w);
        }
        s.out.fill = true;
        s.write_hash();
        s.load_model(now);
        s
    }

    /// What the glue is to carry out since the last call.
    pub fn take_out(&mut self) -> Outbox {
        std::mem::take(&mut self.out)
    }

    fn say(&mut self, kind: &'static str, key: Option<&'static str>, text: impl Into<String>) {
        self.out.say.push(Say::new(kind, key, text));
    }

    /// An error the page shows; `data-status` is `error` until the next load or run.
    fn fail(&mut self, text: impl Into<String>) {
        self.failed = true;
        self.say("error", None, text);
    }

    /// The root's `data-status`.
    pub fn status(&self) -> &'static str {
        match &self.model {
            ModelState::Broken => "error",
            _ if self.failed || self.worker_dead => "error",
            ModelState::Fetching { .. } | ModelState::Building { .. } => "loading",
            ModelState::Sampling { .. } => "sampling",
            ModelState::Ready { .. } => {
                if self.finished && self.classifying.is_none() {
                    "done"
                } else {
                    "ready"
                }
            }
        }
    }

    /// The model the root's `data-model` names (the chosen one, loaded or not).
    pub fn model_id(&self) -> &str {
        self.settings.model()
    }

    /// Applies one command (those the glue does itself, reading files or the cache, come back
    /// as [`Session::own_opened`] and such).
    pub fn apply(&mut self, cmd: Cmd, now: f64) {
        match cmd {
            Cmd::Set(key, value) => self.set(&key, Some(&value), now),
            Cmd::Sample => self.start(now, None),
            Cmd::Edit(kind, painted) => self.edit(kind, painted, now),
            Cmd::Interpolate => self.interpolate(now),
            Cmd::Stop => {
                if self.model.running().is_some() {
                    self.stop();
                    self.out.draw |= self.dirty;
                    self.out.counter = Some("stopped".into());
                }
            }
            Cmd::Scrub(i) => {
                self.chain_playing = false;
                self.scrub = i;
                self.out.draw = true;
            }
            Cmd::ChainPlay => {
                let len = self.record.as_ref().map_or(0, |r| r.frames.len());
                if self.model.running().is_none() && len > 0 {
                    self.chain_playing = !self.chain_playing;
                    if self.chain_playing && self.scrub + 1 >= len {
                        self.scrub = 0;
                    }
                    self.chain_moved_at = now;
                    self.out.draw = true;
                }
            }
            Cmd::Pick(x, y) => {
                if let Some(i) = self.record.as_ref().and_then(|r| r.grid.hit(x, y)) {
                    self.follow = (self.follow != Some(i)).then_some(i);
                    // the last two images clicked are the ends of an interpolation
                    self.picked.retain(|&p| p != i);
                    self.picked.push(i);
                    if self.picked.len() > 2 {
                        self.picked.remove(0);
                    }
                    self.out.draw = true;
                }
            }
            Cmd::CrashWorker => self.out.chain.push(ToChain::Crash),
            Cmd::LoseDevice => self.out.chain.push(ToChain::LoseDevice),
            Cmd::HugeBatch => {
                let mut spec = self.settings.spec(self.model.built().and_then(|(_, c)| c));
                spec.n = HUGE_BATCH;
                if !spec.classes.is_empty() {
                    spec.classes = spec
                        .classes
                        .iter()
                        .cycle()
                        .take(HUGE_BATCH)
                        .cloned()
                        .collect();
                }
                self.start_spec(now, spec, None);
            }
            // the glue's own (files, the cache, downloads)
            Cmd::OwnFiles
            | Cmd::ClearCache
            | Cmd::DownloadGrid
            | Cmd::DownloadChain
            | Cmd::EditPressed(_)
            | Cmd::UseFollowed
            | Cmd::OpenImage => {}
        }
    }

    /// Once per frame at `now`: redraws as they are due, and a playing chain moves on.
    pub fn tick(&mut self, now: f64) {
        // painting the grids costs the browser more than a fast step: at most every DRAW_MS
        // while sampling (every step is kept for the scrubber), and always at the end
        let running = self.model.running().is_some();
        if self.dirty && (!running || now - self.drawn_at >= DRAW_MS) {
            self.out.draw = true;
        }
        if !running && self.chain_playing && now - self.chain_moved_at >= CHAIN_MS {
            let len = self.record.as_ref().map_or(0, |r| r.frames.len());
            if self.scrub + 1 < len {
                self.scrub += 1;
                self.chain_moved_at = now;
            } else {
                self.chain_playing = false;
            }
            self.out.draw = true;
        }
    }

    /// The view drew the record at `now`.
    pub fn drawn(&mut self, now: f64) {
        self.drawn_at = now;
        self.dirty = false;
    }

    /// "Nothing to download yet" where no chain has finished; else the finished record.
    pub fn finished_record(&mut self) -> Option<&Record> {
        if self.record.as_ref().is_none_or(|r| r.total_ms.is_none()) {
            self.say(
                "notice",
                Some("download"),
                "Nothing to download yet: sample first.",
            );
            return None;
        }
        self.record.as_ref()
    }

    /// A setting changed (or was dropped, `None`, for its default): the settings are read again
    /// (a bad value falls back, with a warning), and a new model is loaded where the table says so.
    pub fn set(&mut self, key: &str, value: Option<&str>, now: f64) {
        let before = self.settings.values.clone();
        self.hash.set(key, value);
        let mut h = self.hash.clone();
        self.settings = SamplerSettings::read(&mut h, &self.manifest);
        for w in h.warnings {
            self.say("warning", None, w);
        }
        self.out.fill = true;
        self.write_hash();
        // another model rebuilds; the sampler's settings apply to the next run
        let table = table(&self.manifest, self.settings.model());
        if Changes::between(&table, &before, &self.settings.values).rebuild {
            self.stop();
            self.load_model(now);
        }
    }

    /// The person's own model, read from their files by the glue: added to the model list (in
    /// place of an earlier one of theirs) and opened; a wrong pick is said, and the model already
    /// open stays.
    pub fn own_opened(&mut self, opened: Result<(Entry, Vec<u8>), String>, now: f64) {
        match opened {
            Ok((entry, bytes)) => {
                let text = format!(
                    "Opened your model {} ({} parameters, {}, {}).",
                    entry.file,
                    entry.params,
                    entry.dtype,
                    entry.size_text()
                );
                self.say("notice", Some("own"), text);
                let id = entry.id.clone();
                self.manifest.models.retain(|m| !m.id.starts_with(zoo::OWN));
                self.manifest.models.push(entry);
                self.own = Some((id.clone(), bytes));
                if self.settings.model() == id {
                    // the same file name again: the settings stay, the model is loaded anew
                    self.stop();
                    self.load_model(now);
                } else {
                    self.set("model", Some(&id), now);
                }
            }
            Err(e) => self.say(
                "error",
                Some("own"),
                format!("Your model could not be opened: {e}."),
            ),
        }
    }

    /// Loads the chosen model: a person's own bytes at once, else the glue fetches the checked
    /// weights ([`Session::fetched`]).
    fn load_model(&mut self, now: f64) {
        self.file = None;
        let Some(entry) = self.manifest.get(self.settings.model()).cloned() else {
            self.model = ModelState::Broken;
            return;
        };
        self.failed = false;
        self.model = ModelState::Fetching {
            id: entry.id.clone(),
        };
        let own = self.own.as_ref().filter(|(id, _)| *id == entry.id);
        match own.map(|(_, bytes)| bytes.clone()) {
            Some(bytes) => self.fetched(entry, Ok((bytes, Source::Local)), now),
            None => {
                self.out.counter = Some(format!("loading {} ({})…", entry.id, entry.size_text()));
                self.out.fetch = Some(entry);
            }
        }
    }

    /// The checked weights of `entry` (fetched since `started_ms`), or why there are none: the
    /// worker is asked to build the network.
    pub fn fetched(
        &mut self,
        entry: Entry,
        got: Result<(Vec<u8>, Source), String>,
        started_ms: f64,
    ) {
        // a later pick replaced this one while it downloaded
        if !matches!(&self.model, ModelState::Fetching { id } if *id == entry.id) {
            return;
        }
        match got {
            Ok((bytes, source)) => {
                self.out.counter = Some(format!("building {} ({})…", entry.id, source.phrase()));
                self.file = Some(File {
                    entry,
                    bytes,
                    // already in the browser's cache, or a person's own files (never stored)
                    cached: source != Source::Network,
                    source,
                    started_ms,
                });
                self.respawned = false;
                if self.worker_dead {
                    self.respawn();
                }
                self.send_load();
            }
            Err(e) => self.load_failed(&entry.id, &e),
        }
    }

    /// Sends the kept file to the worker to build.
    fn send_load(&mut self) {
        let Some(file) = &self.file else { return };
        self.load += 1;
        self.finished = false;
        self.model = ModelState::Building {
            id: file.entry.id.clone(),
            load: self.load,
        };
        self.out.chain.push(ToChain::Load {
            load: self.load,
            entry: file.entry.clone(),
            bytes: file.bytes.clone(),
        });
    }

    fn load_failed(&mut self, id: &str, e: &str) {
        self.file = None;
        self.autorun = false;
        self.model = ModelState::Broken;
        self.out.counter = Some("no model loaded".into());
        self.fail(format!(
            "Model {id} could not be loaded: {e}. Pick another model, or reload to try again."
        ));
    }

    /// The worker refused the person's own model: it leaves the list (with its bytes), the page
    /// says why, and the default model opens.
    fn own_failed(&mut self, id: &str, e: &str, now: f64) {
        self.file = None;
        self.own = None;
        self.manifest.models.retain(|m| m.id != id);
        self.say(
            "error",
            Some("own"),
            format!("Your model could not be opened: {e}. The default model opens instead."),
        );
        self.set("model", None, now);
    }

    /// A new worker in place of a dead one (the glue starts it, and says so if none could start).
    fn respawn(&mut self) {
        self.out.respawn = true;
        self.worker_dead = false;
    }

    fn write_hash(&mut self) {
        self.settings.write(&mut self.hash, &self.manifest);
        // a person's own model cannot be opened from a link: the URL leaves it out
        let mut shown = self.hash.clone();
        if self.settings.model().starts_with(zoo::OWN) {
            shown.set("model", None);
        }
        self.out.hash = Some(shown.to_hash());
    }
}
