//! The 2-D trainer's state and its transitions, with no DOM and no worker: what a person asks for
//! ([`Cmd`]) and what the two workers report come in; messages for the workers and for the page go
//! out through [`Outbox`], which the page's glue (`widget.rs`) carries out. Compiled and tested
//! natively by feeding it scripted worker messages (`session/tests.rs`). What it asks of the
//! viewer worker and how it takes the answers is in [`viewer`].

use diffusion::SeededNoise;
use train::toy::ToySet;

use super::density::Density;
use super::messages::{FromTrainer, FromViewer, Resume, ToTrainer, ToViewer};
use super::results::Chain;
use crate::render::loss_log::LossLog;
use crate::settings::Common;
use crate::settings::toy2d::{DRAWN, MAX_DRAWN, MIN_POINTS, Toy2dSettings};
use crate::settings::{Changes, Effect, HashState};
use crate::widgets::event::{Event, Say};
pub use probe::{PROBE_DRAWS, Probe, ProbePaths};
pub use strip::{STRIP_STEPS, Strip};

mod probe;
mod strip;
#[cfg(test)]
mod tests;
mod trainer;
mod viewer;

/// Milliseconds per step when the chain plays.
pub const CHAIN_MS: f64 = 40.0;
/// While training, the page fetches the EMA weights (and redraws samples) at most this often.
pub const RESAMPLE_MS: f64 = 1500.0;
/// New workers a run gets after lost devices, before a further loss needs a Reset.
const MAX_RECOVERIES: usize = 3;
/// How long an unanswered request for weights is waited on before it is asked again.
const WEIGHTS_WAIT_MS: f64 = 10_000.0;
/// Arrows per side of the field view; cells per side of the density heatmap.
pub const FIELD_CELLS: usize = 21;
pub const DENSITY_CELLS: usize = 128;
/// Data points drawn (of the training set).
pub const SHOWN: usize = 2000;
/// Pairs a reflow draws from the model's ODE (as many as the default training set).
pub const REFLOW_PAIRS: usize = 4000;

/// What a person asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Cmd {
    Play,
    Step,
    Reset,
    /// A setting changed (hash key, new value).
    Set(String, String),
    Scrub(usize),
    ChainPlay,
    /// A point drawn at data coordinates; `true` starts a new stroke.
    Draw(f64, f64, bool),
    StrokeEnd,
    Undo,
    Clear,
    /// Replace the run by its reflow (flow matching).
    Reflow,
    /// Test hook (`__playground.crashViewer()`): make the viewer worker panic.
    CrashViewer,
    /// Test hook (`__playground.loseDevice()`): destroy both workers' WebGPU devices, as a driver
    /// reset would.
    LoseDevice,
    /// The widget left the screen (`true`) or came back: training and the chain's play pause
    /// while it is away and go on when it is back.
    Offscreen(bool),
}

/// What the session asks of the page's glue, in order: start new workers (in place of dead
/// ones), then send the messages, show the banners, fill the form and write the URL.
#[derive(Debug, Default)]
pub struct Outbox {
    pub respawn_trainer: bool,
    pub respawn_viewer: bool,
    pub trainer: Vec<ToTrainer>,
    pub viewer: Vec<ToViewer>,
    pub say: Vec<Say>,
    /// The form shows other values or choices.
    pub fill: bool,
    /// The settings as a hash, to be written to the page's URL.
    pub hash: Option<String>,
}

/// Everything the view and the root's attributes are drawn from, in brief: the loop redraws only
/// when it changes, so an idle widget costs nothing per frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    settings: Toy2dSettings,
    has_run: bool,
    step: usize,
    losses: usize,
    playing: bool,
    error: bool,
    samples: Option<usize>,
    sampling: Option<usize>,
    field: Option<(usize, u64)>,
    density: Option<usize>,
    density_done: Option<usize>,
    scrub: usize,
    chain_playing: bool,
    failed_at: Option<usize>,
    dead: (bool, bool),
    reflow: (bool, usize, bool),
    /// The probe's point (bits), whether it is being computed, and its answer's ask.
    probe: (Option<[u64; 2]>, bool, Option<usize>),
    /// The strip's model step and the rows drawn from it.
    strip: Option<(usize, usize)>,
}

pub struct Session {
    pub settings: Toy2dSettings,
    hash: HashState,
    /// The page's kind of device (`webgpu` or `cpu`), on which both workers open their own.
    backend: String,
    pub out: Outbox,
    /// The workers are dead (the glue says so before each turn).
    pub trainer_dead: bool,
    pub viewer_dead: bool,
    /// Numbers the runs asked of the workers (reports about older ones are ignored).
    generation: u32,
    /// Numbers the Train and Pause requests.
    order: u32,
    /// Numbers the viewer's jobs.
    jobs: u32,
    /// The current run's data and process (the worker holds the model).
    pub set: Option<ToySet>,
    /// The training step the worker last reported.
    pub step: usize,
    /// The training step of the EMA weights last relayed to the viewer (what the jobs asked for
    /// since run on), and when weights were asked for (while waiting for them).
    weights: Option<usize>,
    asked_weights_at: Option<f64>,
    /// Those EMA weights themselves: a run whose device is lost goes on from them in a new worker.
    checkpoint: Option<Resume>,
    /// New workers this run got after lost devices, trainer and viewer (at most
    /// [`MAX_RECOVERIES`] each).
    recoveries: [usize; 2],
    /// One loss per training step.
    pub losses: LossLog,
    /// Training is asked for (the worker reports when it stops).
    pub playing: bool,
    pause_at: Option<usize>,
    /// Training stopped on divergence (until Train or Reset).
    pub error: bool,
    /// Start index (in points) of each drawn stroke, for undo.
    strokes: Vec<usize>,
    pub samples: Option<Chain>,
    /// The chain being drawn (its job), filled in as its frames arrive.
    pub sampling: Option<(u32, Chain)>,
    last_sample_at: f64,
    /// (model step, t, ε̂ on the field grid).
    pub field: Option<(usize, f64, Vec<f32>)>,
    /// Fields asked for and not answered: (job, model step, t), oldest first.
    fields_asked: Vec<(u32, usize, f64)>,
    pub density: Option<Density>,
    pub density_job: Option<(u32, Density)>,
    /// The noise the forward view adds to the data.
    pub forward_noise: Vec<f32>,
    pub scrub: usize,
    pub chain_playing: bool,
    chain_moved_at: f64,
    /// The model step at which sampling (or the field or density) last failed.
    failed_at: Option<usize>,
    /// A reflow is being computed; reflows done in this run; train on once it is done.
    pub reflowing: bool,
    pub reflows: usize,
    resume_after_reflow: bool,
    /// A point dropped on the plot and where the model takes it.
    pub probe: Probe,
    /// The steps strip (shown or being drawn) and its job in flight.
    pub strip: Option<Strip>,
    strip_job: Option<u32>,
    /// What leaving the screen paused (training, the chain's play), to go on when it is back.
    pub paused_offscreen: Option<(bool, bool)>,
}

impl Session {
    /// A session on the settings of `hash`, with a first run set up (and trained, for `autoplay=1`).
    pub fn new(hash: &mut HashState, backend: &str) -> Self {
        let settings = Toy2dSettings::read(hash);
        let mut s = Self {
            out: Outbox::default(),
            backend: backend.to_string(),
            hash: hash.clone(),
            trainer_dead: false,
            viewer_dead: false,
            generation: 0,
            order: 0,
            jobs: 0,
            set: None,
            step: 0,
            weights: None,
            asked_weights_at: None,
            checkpoint: None,
            recoveries: [0; 2],
            losses: LossLog::default(),
            playing: false,
            pause_at: settings.train_steps(),
            error: false,
            strokes: Vec::new(),
            samples: None,
            sampling: None,
            last_sample_at: f64::NEG_INFINITY,
            field: None,
            fields_asked: Vec::new(),
            density: None,
            density_job: None,
            forward_noise: Vec::new(),
            scrub: 0,
            chain_playing: false,
            chain_moved_at: 0.0,
            failed_at: None,
            reflowing: false,
            reflows: 0,
            resume_after_reflow: false,
            probe: Probe::default(),
            strip: None,
            strip_job: None,
            paused_offscreen: None,
            settings,
        };
        for w in std::mem::take(&mut hash.warnings) {
            s.say("warning", None, w);
        }
        s.reset();
        if s.settings.autoplay() {
            s.play();
        }
        s.write_hash();
        s
    }

    /// What the glue is to carry out since the last call.
    pub fn take_out(&mut self) -> Outbox {
        std::mem::take(&mut self.out)
    }

    fn say(&mut self, kind: &'static str, key: Option<&'static str>, text: impl Into<String>) {
        self.out.say.push(Say::new(kind, key, text));
    }

    /// One turn of the loop at time `now` (ms): the commands, then both workers' reports, then what
    /// is missing is asked for and a playing chain moves on.
    pub fn turn(
        &mut self,
        now: f64,
        cmds: Vec<Cmd>,
        trainer: Vec<Event<FromTrainer>>,
        viewer: Vec<Event<FromViewer>>,
    ) {
        // a worker that died is dealt with (and a lost device's replaced) before what a person
        // asked for in the same frame
        let died = |e: &Event<_>| matches!(e, Event::Died(_));
        let (dead, trainer): (Vec<_>, Vec<_>) = trainer.into_iter().partition(died);
        for event in dead {
            if let Event::Died(message) = event {
                self.trainer_died(&message);
            }
        }
        let (dead, viewer): (Vec<_>, Vec<_>) = viewer
            .into_iter()
            .partition(|e| matches!(e, Event::Died(_)));
        for event in dead {
            if let Event::Died(message) = event {
                self.viewer_died(&message);
            }
        }
        for c in cmds {
            self.apply(c);
        }
        for event in trainer {
            match event {
                Event::Message(msg) => self.receive(msg),
                Event::Failed(message) => self.receive(FromTrainer::Failed { message }),
                Event::Died(message) => self.trainer_died(&message),
            }
        }
        for event in viewer {
            match event {
                Event::Message(msg) => self.receive_viewer(msg),
                Event::Failed(message) => {
                    // a message lost: what was asked may never be answered
                    self.cancel_sampling();
                    self.cancel_density();
                    self.cancel_fields();
                    self.cancel_strip();
                    self.probe.asked = None;
                    self.job_failed(self.weights.unwrap_or(self.step), &message);
                }
                Event::Died(message) => self.viewer_died(&message),
            }
        }
        self.ask(now);
        if self.chain_playing && now - self.chain_moved_at >= CHAIN_MS {
            self.chain_moved_at = now;
            let len = self.samples.as_ref().map_or(0, |c| c.xs.len() - 1);
            self.scrub = (self.scrub + 1).min(len);
            self.chain_playing = self.scrub < len;
        }
    }

    /// Applies one command.
    pub fn apply(&mut self, cmd: Cmd) {
        // what a person does replaces what leaving the screen paused: coming back resumes nothing
        if !matches!(cmd, Cmd::Offscreen(_) | Cmd::CrashViewer | Cmd::LoseDevice) {
            self.paused_offscreen = None;
        }
        match cmd {
            // while a reflow is computed, Train / Pause decide whether training goes on after it
            Cmd::Play if self.reflowing && !self.trainer_dead => {
                self.resume_after_reflow = !self.resume_after_reflow;
                let text = if self.resume_after_reflow {
                    "Training goes on once the reflow is done."
                } else {
                    "Training stays paused after the reflow."
                };
                self.say("notice", Some("reflow-resume"), text);
            }
            Cmd::Play if self.playing => {
                self.order += 1;
                self.out
                    .trainer
                    .push(ToTrainer::Pause { order: self.order });
                self.playing = false;
            }
            Cmd::Play | Cmd::Step => {
                if self.set.is_none() {
                    let text = format!("Draw at least {MIN_POINTS} points on the plot first.");
                    self.say("warning", Some("draw"), text);
                    return;
                }
                self.error = false;
                if cmd == Cmd::Step {
                    self.pause_at = Some(self.step + 1);
                } else if self.pause_at.is_some_and(|n| self.step >= n) {
                    self.pause_at = None;
                }
                self.play();
            }
            Cmd::Reset => self.reset(),
            Cmd::Set(key, value) => self.set(&key, &value),
            Cmd::Scrub(i) => {
                self.scrub = i;
                self.chain_playing = false;
            }
            Cmd::ChainPlay => {
                let len = self.samples.as_ref().map_or(0, |c| c.xs.len() - 1);
                if self.scrub >= len {
                    self.scrub = 0;
                }
                self.chain_playing = !self.chain_playing;
            }
            Cmd::Draw(x, y, new_stroke) => self.draw(x, y, new_stroke),
            Cmd::StrokeEnd => {
                // a stroke ends a drawing only where clicks draw (elsewhere they drop the probe)
                if self.settings.data() == DRAWN && self.settings.view() == "samples" {
                    self.reset();
                    self.write_hash();
                }
            }
            Cmd::Undo => {
                if let Some(start) = self.strokes.pop() {
                    self.settings.drawn.truncate(2 * start);
                } else {
                    self.settings.drawn.clear();
                }
                self.reset();
                self.write_hash();
            }
            Cmd::CrashViewer => self.out.viewer.push(ToViewer::Crash),
            Cmd::LoseDevice => {
                self.out.trainer.push(ToTrainer::LoseDevice);
                self.out.viewer.push(ToViewer::LoseDevice);
            }
            Cmd::Offscreen(true) => {
                let training = self.will_train();
                if training {
                    self.apply(Cmd::Play);
                }
                let chain = std::mem::take(&mut self.chain_playing);
                if training || chain {
                    self.paused_offscreen = Some((training, chain));
                }
            }
            Cmd::Offscreen(false) => {
                if let Some((training, chain)) = self.paused_offscreen.take() {
                    // a run that stopped on an error stays stopped
                    if training && !self.will_train() && !self.error && self.set.is_some() {
                        self.apply(Cmd::Play);
                    }
                    self.chain_playing |= chain;
                }
            }
            Cmd::Reflow => self.reflow(),
            Cmd::Clear => {
                self.settings.drawn.clear();
                self.strokes.clear();
                self.reset();
                self.write_hash();
            }
        }
    }

    /// A point drawn on the plot (only on the drawn data set's samples view).
    fn draw(&mut self, x: f64, y: f64, new_stroke: bool) {
        if self.settings.data() != DRAWN || self.settings.view() != "samples" {
            // outside drawing, a click or a drag drops the probe
            return self.drop_probe(x, y);
        }
        let pts = &mut self.settings.drawn;
        if pts.len() / 2 >= MAX_DRAWN {
            return;
        }
        if new_stroke {
            self.strokes.push(pts.len() / 2);
        } else if let [.., px, py] = pts[..] {
            // while dragging, a point every ~0.08 data units
            if ((px as f64 - x).powi(2) + (py as f64 - y).powi(2)).sqrt() < 0.08 {
                return;
            }
        }
        pts.extend([x as f32, y as f32]);
    }

    /// A setting changed in the form (or a tab or slider): checked like a hash value, and the
    /// settings table says what must be redone.
    fn set(&mut self, key: &str, value: &str) {
        let before = self.settings.clone();
        self.hash.set(key, Some(value));
        let mut next = Toy2dSettings::read(&mut self.hash);
        // the whole hash is read again on every change (a slider sends one per pixel): a
        // warning already on the page is not added again
        for w in std::mem::take(&mut self.hash.warnings) {
            self.say("warning", None, w);
        }
        next.drawn = before.drawn.clone();
        let table = next.table();
        // the settings read once, when the widget starts, keep their first values
        for row in table.iter().filter(|r| r.effect == Effect::Start) {
            next.values.set(row.key, before.values.get(row.key).clone());
        }
        let changes = Changes::between(&table, &before.values, &next.values);
        self.settings = next;
        if changes.rebuild {
            self.reset();
        } else if let Some(set) = &mut self.set {
            let c = self.settings.config();
            set.config.lr = c.lr;
            set.config.batch = c.batch;
            if changes.retune {
                self.out.trainer.push(ToTrainer::Tune {
                    lr: c.lr,
                    batch: c.batch,
                });
            }
            if changes.resample {
                self.cancel_sampling();
                self.samples = None;
                // new settings may work where the old failed
                self.failed_at = None;
            }
        }
        self.out.fill = true;
        self.write_hash();
    }

    /// A fresh run from the settings (training state, samples and derived views dropped).
    pub fn reset(&mut self) {
        // the old run stops even if no new one starts (too few drawn points)
        self.order += 1;
        self.out
            .trainer
            .push(ToTrainer::Pause { order: self.order });
        if self.trainer_dead {
            self.out.respawn_trainer = true;
            self.trainer_dead = false;
        }
        if self.viewer_dead {
            self.out.respawn_viewer = true;
            self.viewer_dead = false;
        }
        self.forget_drawn(|_| true);
        self.probe = Probe::default();
        self.losses.clear();
        self.playing = false;
        self.reflowing = false;
        self.reflows = 0;
        self.resume_after_reflow = false;
        self.error = false;
        self.scrub = 0;
        self.step = 0;
        self.weights = None;
        self.asked_weights_at = None;
        self.checkpoint = None;
        self.recoveries = [0; 2];
        self.failed_at = None;
        self.generation += 1;
        self.set = None;
        self.out.fill = true;
        let s = &self.settings;
        let config = s.config();
        let drawn = (s.data() == DRAWN).then(|| s.drawn.clone());
        if drawn.is_some() && s.drawn.len() / 2 < MIN_POINTS {
            let text = format!(
                "Click or drag on the plot to draw points ({} so far, at least {MIN_POINTS} to train on).",
                s.drawn.len() / 2
            );
            self.say("notice", Some("draw"), text);
            return;
        }
        match ToySet::of(config.clone(), drawn.clone()) {
            Ok(set) => {
                let mut z = SeededNoise::new(s.seed().wrapping_add(0xf0a4));
                self.forward_noise = z.normals(set.data.len().min(2 * SHOWN));
                self.set = Some(set);
                self.out.viewer.push(ToViewer::Start {
                    generation: self.generation,
                    config: config.clone(),
                    drawn: drawn.clone(),
                    backend: self.backend.clone(),
                });
                self.out.trainer.push(ToTrainer::Start {
                    generation: self.generation,
                    config,
                    drawn,
                    backend: self.backend.clone(),
                    resume: None,
                });
            }
            Err(e) => self.say(
                "error",
                None,
                format!("The model could not be set up: {e}."),
            ),
        }
    }

    /// The run's config and, for a drawn data set, its points: what both workers build it from.
    fn run_spec(&self) -> (train::toy::ToyConfig, Option<Vec<f32>>) {
        let s = &self.settings;
        (s.config(), (s.data() == DRAWN).then(|| s.drawn.clone()))
    }

    /// Whether training runs, or goes on by itself once the reflow being computed is done (the
    /// Train button then reads Pause).
    pub fn will_train(&self) -> bool {
        self.playing || (self.reflowing && self.resume_after_reflow)
    }

    /// The widget's state in brief (see [`Shown`]).
    pub fn shown(&self) -> Shown {
        Shown {
            settings: self.settings.clone(),
            has_run: self.set.is_some(),
            step: self.step,
            losses: self.losses.len(),
            playing: self.playing,
            error: self.error,
            samples: self.samples.as_ref().map(|c| c.model_step),
            sampling: self.sampling.as_ref().map(|(_, c)| c.x0s.len()),
            field: self.field.as_ref().map(|(s, t, _)| (*s, t.to_bits())),
            density: self.density.as_ref().map(|d| d.model_step),
            density_done: self.density_job.as_ref().map(|(_, d)| d.log_p.len()),
            scrub: self.scrub,
            chain_playing: self.chain_playing,
            failed_at: self.failed_at,
            dead: (self.trainer_dead, self.viewer_dead),
            reflow: (self.reflowing, self.reflows, self.resume_after_reflow),
            // summaries, not copies: this is computed every frame
            probe: (
                self.probe.at.map(|a| a.map(f64::to_bits)),
                self.probe.asked.is_some(),
                self.probe.paths.as_ref().map(|p| p.ask.model_step),
            ),
            strip: self.strip.as_ref().map(|s| {
                let current = s.rows.iter().flatten().filter(|r| r.2 == s.model_step);
                (s.model_step, current.count())
            }),
        }
    }

    /// The root's `data-status`.
    pub fn status(&self) -> &'static str {
        if self.error || self.viewer_dead {
            "error"
        } else if self.playing || self.reflowing {
            "training"
        } else if self.sampling.is_some()
            || self.density_job.is_some()
            || self.strip_job.is_some()
            || self.samples_stale()
        {
            "sampling"
        } else if self.step > 0 {
            "paused"
        } else {
            "ready"
        }
    }

    /// True while the shown samples are not from the current weights (a job will redraw them).
    fn samples_stale(&self) -> bool {
        self.set.is_some()
            && self.failed_at != Some(self.step)
            && self
                .samples
                .as_ref()
                .is_none_or(|c| c.model_step != self.step)
    }

    fn write_hash(&mut self) {
        self.settings.write(&mut self.hash);
        self.out.hash = Some(self.hash.to_hash());
    }
}
