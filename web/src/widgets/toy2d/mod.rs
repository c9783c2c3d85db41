//! The 2-D trainer: a person picks (or draws) a point cloud, presses Train, and watches the
//! engine of `train::toy` (the same code as natively) learn it on this page's backend; samples,
//! the denoising chain, forward noising, the ε̂ field and the learned density are drawn from a
//! frozen copy of the EMA weights while training goes on.
//!
//! Training runs in a Web Worker ([`trainer`]) and everything drawn from the model in another
//! ([`viewer`]), each on its own thread, so the page only draws and handles input. The page starts
//! and steers the trainer (through a [`TrainerLink`]), asks it for the EMA weights when it wants to
//! sample, relays them to the viewer and asks the viewer for samples, the field and the density
//! (through a [`ViewerLink`]). One loop owns the page's state: each frame it drains the command
//! queue and both workers' reports, asks for what is missing, and redraws what changed.

mod jobs;
mod messages;
mod panel;
mod results;
pub mod trainer;
pub mod viewer;

use diffusion::SeededNoise;
use train::toy::ToySet;

use crate::backend::Backend;
use crate::dom::{self, Root};
use crate::hooks::{publish, publish_command};
use crate::render::loss_log::LossLog;
use crate::render::text;
use crate::state::HashState;
use crate::toy2d_settings::{DRAWN, EXTENT, MAX_DRAWN, MIN_POINTS, Toy2dSettings};
use crate::worker::{Event, Floats};
use messages::{FromTrainer, FromViewer, SampleSpec, ToTrainer, ToViewer, TrainerLink, ViewerLink};
use panel::{Cmd, Panel};
use results::{Chain, Density, grid};

/// Milliseconds per step when the chain plays.
const CHAIN_MS: f64 = 40.0;
/// While training, the page fetches the EMA weights (and redraws samples) at most this often.
const RESAMPLE_MS: f64 = 1500.0;
/// Particles whose trajectories the chain view draws.
const TRAJECTORIES: usize = 48;
/// Arrows per side of the field view; cells per side of the density heatmap.
const FIELD_CELLS: usize = 21;
const DENSITY_CELLS: usize = 40;
/// Data points drawn (of the training set).
const SHOWN: usize = 2000;

pub async fn run(root: &Root, backend: &Backend, hash: &mut HashState) -> Result<(), String> {
    let settings = Toy2dSettings::read(hash);
    for w in hash.warnings.drain(..) {
        root.message("warning", &w);
    }
    let queue = panel::Queue::default();
    let panel = Panel::build(&root.0, &settings, queue).map_err(js_err)?;
    // `__playground.crashViewer()`: a test makes the viewer panic, as a GPU out-of-memory would
    publish_command("crashViewer", panel.queue(), Cmd::CrashViewer);
    let link = spawn_trainer()?;
    let viewer = spawn_viewer()?;
    let mut w = Widget {
        root: root.clone(),
        backend: backend.kind.attr(),
        hash: hash.clone(),
        panel,
        link,
        viewer,
        generation: 0,
        order: 0,
        jobs: 0,
        set: None,
        step: 0,
        weights: None,
        asked_weights_at: None,
        losses: LossLog::default(),
        playing: false,
        pause_at: settings.train_steps,
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
        published_at: f64::NEG_INFINITY,
        settings,
    };
    w.reset();
    if w.settings.autoplay {
        w.play();
    }
    w.write_hash();
    let mut shown: Option<Shown> = None;
    loop {
        w.tick();
        // the computing is the workers': redraw only what changed, at most once per frame
        let now = w.shown();
        if shown.as_ref() != Some(&now) {
            w.render();
            w.report();
            shown = Some(now);
        }
        dom::next_frame().await;
    }
}

/// Everything the view and the root's attributes are drawn from, in brief: the loop redraws only
/// when it changes, so an idle widget costs nothing per frame.
#[derive(Debug, Clone, PartialEq)]
struct Shown {
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
}

struct Widget {
    root: Root,
    /// The page's kind of device, on which both workers open their own.
    backend: &'static str,
    hash: HashState,
    settings: Toy2dSettings,
    panel: Panel,
    link: TrainerLink,
    viewer: ViewerLink,
    /// Numbers the runs asked of the workers (reports about older ones are ignored).
    generation: u32,
    /// Numbers the Train and Pause requests.
    order: u32,
    /// Numbers the viewer's jobs.
    jobs: u32,
    /// The current run's data and process (the worker holds the model).
    set: Option<ToySet>,
    /// The training step the worker last reported.
    step: usize,
    /// The training step of the EMA weights last relayed to the viewer (what the jobs asked for
    /// since run on), and when weights were asked for (while waiting for them).
    weights: Option<usize>,
    asked_weights_at: Option<f64>,
    /// One loss per training step.
    losses: LossLog,
    /// Training is asked for (the worker reports when it stops).
    playing: bool,
    pause_at: Option<usize>,
    /// Training stopped on divergence (until Train or Reset).
    error: bool,
    /// Start index (in points) of each drawn stroke, for undo.
    strokes: Vec<usize>,
    samples: Option<Chain>,
    /// The chain being drawn (its job), filled in as its frames arrive.
    sampling: Option<(u32, Chain)>,
    last_sample_at: f64,
    /// (model step, t, ε̂ on the field grid).
    field: Option<(usize, f64, Vec<f32>)>,
    /// Fields asked for and not answered: (job, model step, t), oldest first.
    fields_asked: Vec<(u32, usize, f64)>,
    density: Option<Density>,
    density_job: Option<(u32, Density)>,
    forward_noise: Vec<f32>,
    scrub: usize,
    chain_playing: bool,
    chain_moved_at: f64,
    /// The model step at which sampling (or the field or density) last failed.
    failed_at: Option<usize>,
    published_at: f64,
}

impl Widget {
    /// Drains the commands and the workers' reports and asks the viewer for what is missing.
    fn tick(&mut self) {
        let cmds: Vec<Cmd> = self.panel.queue().borrow_mut().drain(..).collect();
        for c in cmds {
            self.apply(c);
        }
        for event in self.link.receive() {
            match event {
                Event::Message(msg) => self.receive(msg),
                Event::Failed(message) => self.receive(FromTrainer::Failed { message }),
                Event::Died(message) => self.trainer_died(&message),
            }
        }
        for event in self.viewer.receive() {
            match event {
                Event::Message(msg) => self.receive_viewer(msg),
                Event::Failed(message) => {
                    // a message lost: what was asked may never be answered
                    self.cancel_sampling();
                    self.cancel_density();
                    self.cancel_fields();
                    self.job_failed(self.weights.unwrap_or(self.step), &message);
                }
                Event::Died(message) => self.viewer_died(&message),
            }
        }
        self.ask();
        if self.chain_playing && dom::now_ms() - self.chain_moved_at >= CHAIN_MS {
            self.chain_moved_at = dom::now_ms();
            let len = self.samples.as_ref().map_or(0, |c| c.xs.len() - 1);
            self.scrub = (self.scrub + 1).min(len);
            self.chain_playing = self.scrub < len;
        }
    }

    /// Applies one command.
    fn apply(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Play if self.playing => {
                self.order += 1;
                self.link.send(ToTrainer::Pause { order: self.order });
                self.playing = false;
            }
            Cmd::Play | Cmd::Step => {
                if self.set.is_none() {
                    self.root.message_once(
                        "warning",
                        "draw",
                        &format!("Draw at least {MIN_POINTS} points on the plot first."),
                    );
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
            Cmd::Draw(x, y, new_stroke) => {
                if self.settings.data != DRAWN || self.settings.view != "samples" {
                    return;
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
            Cmd::StrokeEnd => {
                if self.settings.data == DRAWN {
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
            Cmd::CrashViewer => self.viewer.send(ToViewer::Crash),
            Cmd::Clear => {
                self.settings.drawn.clear();
                self.strokes.clear();
                self.reset();
                self.write_hash();
            }
        }
    }

    /// A setting changed in the form (or a tab or slider): checked like a hash value.
    fn set(&mut self, key: &str, value: &str) {
        let before = self.settings.clone();
        self.hash.set(key, Some(value));
        let mut next = Toy2dSettings::read(&mut self.hash);
        // the whole hash is read again on every change (a slider sends one per pixel): a
        // warning already on the page is not added again
        for w in self.hash.warnings.drain(..) {
            self.root.message_unless_shown("warning", &w);
        }
        next.drawn = before.drawn.clone();
        next.autoplay = before.autoplay;
        next.train_steps = before.train_steps;
        self.settings = next;
        let s = &self.settings;
        let rebuild = s.data != before.data
            || s.noise != before.noise
            || s.process != before.process
            || s.timesteps != before.timesteps
            || s.width != before.width
            || s.depth != before.depth
            || s.time != before.time
            || s.ema != before.ema
            || s.seed != before.seed;
        let resample = s.sampler != before.sampler
            || s.steps != before.steps
            || s.eta != before.eta
            || s.snr != before.snr
            || s.n != before.n;
        if rebuild {
            self.reset();
        } else if let Some(set) = &mut self.set {
            set.config.lr = s.lr;
            set.config.batch = s.batch;
            self.link.send(ToTrainer::Tune {
                lr: s.lr,
                batch: s.batch,
            });
            if resample {
                self.cancel_sampling();
                self.samples = None;
                // new settings may work where the old failed
                self.failed_at = None;
            }
        }
        let _ = self.panel.fill(&self.settings);
        self.write_hash();
    }

    /// Asks the worker to train (up to `pause_at`).
    fn play(&mut self) {
        if self.set.is_none() {
            return;
        }
        if self.link.dead() {
            self.error = true;
            self.root.message_once(
                "error",
                "trainer",
                "The training worker has stopped: press Reset to start a new one.",
            );
            return;
        }
        self.order += 1;
        self.link.send(ToTrainer::Train {
            order: self.order,
            until: self.pause_at,
        });
        self.playing = true;
    }

    /// Applies one report of the worker.
    fn receive(&mut self, msg: FromTrainer) {
        let current = |g: u32| g == self.generation;
        match msg {
            FromTrainer::Started {
                generation,
                note,
                error,
            } if current(generation) => {
                self.root.message_once("notice", "trainer", &note);
                if let Some(e) = error {
                    self.set = None;
                    self.playing = false;
                    self.root
                        .message("error", &format!("The model could not be set up: {e}."));
                }
            }
            FromTrainer::Progress {
                generation,
                order,
                step,
                losses,
                training,
            } if current(generation) => {
                self.losses.extend(losses);
                self.step = step;
                // a report from before the latest Train or Pause does not say whether it trains
                if order == self.order {
                    self.playing = training;
                }
            }
            FromTrainer::Weights {
                generation,
                step,
                values,
            } if current(generation) => {
                self.asked_weights_at = None;
                // the worker reports progress before it answers, so weights from beyond the
                // reported step were thrown away since (training diverged)
                if self.set.is_none() || step > self.step {
                    return;
                }
                self.viewer.send(ToViewer::Weights {
                    generation,
                    step,
                    values,
                });
                self.weights = Some(step);
            }
            FromTrainer::Stopped {
                generation,
                step,
                message,
            } if current(generation) => {
                self.playing = false;
                self.error = true;
                self.step = step;
                self.losses.truncate(step);
                // what was drawn from the weights being thrown away goes too
                if self.weights.is_some_and(|w| w > step) {
                    self.weights = None;
                    self.failed_at = None;
                }
                self.forget_drawn(|s| s > step);
                self.root.message(
                    "error",
                    &format!(
                        "Training stopped: {message}. Press Train to go on from there, or Reset."
                    ),
                );
            }
            FromTrainer::Failed { message } => {
                // not retried until the step changes (the worker says if training stopped)
                self.failed_at = Some(self.step);
                self.asked_weights_at = None;
                self.root
                    .message_once("error", "trainer", &format!("Training failed: {message}."));
            }
            // about a run that has been replaced
            FromTrainer::Started { .. }
            | FromTrainer::Progress { .. }
            | FromTrainer::Weights { .. }
            | FromTrainer::Stopped { .. } => {}
        }
    }

    /// The worker panicked or could not start: Reset starts a new one.
    fn trainer_died(&mut self, message: &str) {
        self.playing = false;
        self.error = true;
        self.asked_weights_at = None;
        self.root.message_once(
            "error",
            "trainer",
            &format!("Training stopped: {message}. Press Reset to start again."),
        );
    }

    /// A fresh run from the settings (training state, samples and derived views dropped).
    fn reset(&mut self) {
        // the old run stops even if no new one starts (too few drawn points)
        self.order += 1;
        self.link.send(ToTrainer::Pause { order: self.order });
        if self.link.dead() {
            match spawn_trainer() {
                Ok(link) => self.link = link,
                Err(e) => self.root.message_once("error", "trainer", &e),
            }
        }
        if self.viewer.dead() {
            match spawn_viewer() {
                Ok(link) => self.viewer = link,
                Err(e) => self.root.message_once("error", "viewer", &e),
            }
        }
        self.forget_drawn(|_| true);
        self.losses.clear();
        self.playing = false;
        self.error = false;
        self.scrub = 0;
        self.step = 0;
        self.weights = None;
        self.asked_weights_at = None;
        self.failed_at = None;
        self.generation += 1;
        self.set = None;
        let s = &self.settings;
        let config = s.config();
        let drawn = (s.data == DRAWN).then(|| s.drawn.clone());
        if drawn.is_some() && s.drawn.len() / 2 < MIN_POINTS {
            let _ = self.panel.fill(&self.settings);
            self.root.message_once(
                "notice",
                "draw",
                &format!(
                    "Click or drag on the plot to draw points ({} so far, at least {MIN_POINTS} to train on).",
                    s.drawn.len() / 2
                ),
            );
            return;
        }
        match ToySet::of(config.clone(), drawn.clone()) {
            Ok(set) => {
                let mut z = SeededNoise::new(s.seed.wrapping_add(0xf0a4));
                self.forward_noise = z.normals(set.data.len().min(2 * SHOWN));
                self.set = Some(set);
                self.viewer.send(ToViewer::Start {
                    generation: self.generation,
                    config: config.clone(),
                    drawn: drawn.clone(),
                    backend: self.backend.to_string(),
                });
                self.link.send(ToTrainer::Start {
                    generation: self.generation,
                    config,
                    drawn,
                    backend: self.backend.to_string(),
                });
            }
            Err(e) => {
                self.root
                    .message("error", &format!("The model could not be set up: {e}."));
            }
        }
        let _ = self.panel.fill(&self.settings);
    }

    fn shown(&self) -> Shown {
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

    /// Keeps the viewer's copy of the EMA weights fresh (once when training pauses, every
    /// [`RESAMPLE_MS`] while it runs), and asks it for a chain of samples from them and, when their
    /// view is shown, the field and the density.
    fn ask(&mut self) {
        let Some(set) = &self.set else {
            return;
        };
        if self.viewer.dead() {
            return;
        }
        let step = self.step;
        let waiting = self
            .asked_weights_at
            .is_some_and(|at| dom::now_ms() - at < 10_000.0);
        // while training, new weights are fetched for a new chain (not while one is being
        // drawn: at the largest sizes that takes a minute) or for the field
        let wanted = self.sampling.is_none() || self.settings.view == "field";
        let due = !self.playing || (wanted && dom::now_ms() - self.last_sample_at > RESAMPLE_MS);
        if self.weights != Some(step) && !waiting && due && self.failed_at != Some(step) {
            self.last_sample_at = dom::now_ms();
            self.asked_weights_at = Some(dom::now_ms());
            self.link.send(ToTrainer::Weights);
        }
        let Some(have) = self.weights else {
            return;
        };
        if self.failed_at == Some(have) {
            return;
        }
        let norm = set.normalisation;
        let stale = self.samples.as_ref().is_none_or(|c| c.model_step != have);
        if self.sampling.is_none() && stale {
            let s = &self.settings;
            let spec = SampleSpec {
                sampler: s.sampler.clone(),
                options: s.options(),
                n: s.n,
                seed: s.seed,
            };
            self.jobs += 1;
            self.viewer.send(ToViewer::Sample {
                job: self.jobs,
                spec,
            });
            self.sampling = Some((self.jobs, Chain::new(have, &s.sampler)));
        }
        match self.settings.view.as_str() {
            "field" => {
                let t = self.settings.t;
                let latest = match (self.fields_asked.last(), &self.field) {
                    (Some(&(_, fs, ft)), _) => Some((fs, ft)),
                    (None, Some((fs, ft, _))) => Some((*fs, *ft)),
                    (None, None) => None,
                };
                if latest != Some((have, t)) {
                    self.jobs += 1;
                    let points = norm.apply(&grid(FIELD_CELLS, EXTENT));
                    self.viewer.send(ToViewer::Field {
                        job: self.jobs,
                        u: t,
                        points: Floats(points),
                    });
                    self.fields_asked.push((self.jobs, have, t));
                }
            }
            "density" => {
                let current = self.density.as_ref().map(|d| d.model_step);
                let pending = self.density_job.is_some();
                let settled = !self.playing && have == step;
                if !pending && current != Some(step) && settled {
                    self.jobs += 1;
                    let points = norm.apply(&grid(DENSITY_CELLS, EXTENT));
                    self.viewer.send(ToViewer::Density {
                        job: self.jobs,
                        points: Floats(points),
                    });
                    let density = Density {
                        cells: DENSITY_CELLS,
                        model_step: have,
                        ..Density::default()
                    };
                    self.density_job = Some((self.jobs, density));
                }
            }
            _ => {}
        }
    }

    /// Applies one report of the viewer (about a job still wanted).
    fn receive_viewer(&mut self, msg: FromViewer) {
        match msg {
            FromViewer::Opened { note } => {
                if let Some(note) = note {
                    self.root.message_once(
                        "notice",
                        "viewer",
                        &format!("Sampling runs in a Web Worker. {note}"),
                    );
                }
            }
            FromViewer::Frames { job, .. } => {
                let Some((id, chain)) = &mut self.sampling else {
                    return;
                };
                if *id != job {
                    return;
                }
                let step = chain.model_step;
                match chain.extend(msg) {
                    Ok(false) => {}
                    Ok(true) => {
                        let (_, chain) = self.sampling.take().expect("a chain");
                        self.scrub = self.scrub.min(chain.xs.len() - 1);
                        if self.samples.is_none() {
                            self.scrub = chain.xs.len() - 1;
                        }
                        self.samples = Some(chain);
                    }
                    Err(e) => {
                        self.sampling = None;
                        self.job_failed(step, &e);
                    }
                }
            }
            FromViewer::Field { job, eps } => {
                let Some(k) = self.fields_asked.iter().position(|a| a.0 == job) else {
                    return;
                };
                let (_, step, t) = self.fields_asked[k];
                self.fields_asked.drain(..=k);
                self.field = Some((step, t, eps.0));
            }
            FromViewer::Density {
                job,
                log_p,
                done,
                ms,
            } => {
                let Some((id, density)) = &mut self.density_job else {
                    return;
                };
                if *id != job {
                    return;
                }
                density.log_p.extend(log_p);
                density.ms = ms;
                if done {
                    self.density = self.density_job.take().map(|(_, d)| d);
                }
            }
            FromViewer::Failed { job, step, message } => {
                let mut wanted = false;
                if self.sampling.as_ref().is_some_and(|(id, _)| *id == job) {
                    self.sampling = None;
                    wanted = true;
                }
                if self.density_job.as_ref().is_some_and(|(id, _)| *id == job) {
                    self.density_job = None;
                    wanted = true;
                }
                if let Some(k) = self.fields_asked.iter().position(|a| a.0 == job) {
                    self.fields_asked.remove(k);
                    wanted = true;
                }
                if wanted {
                    self.job_failed(step, &message);
                }
            }
        }
    }

    /// A job failed on the weights of `step`: nothing more is asked of them (until they or the
    /// sampler settings change); jobs on other weights go on.
    fn job_failed(&mut self, step: usize, message: &str) {
        self.failed_at = Some(step);
        self.root.message_once("warning", "sampling", message);
    }

    /// Drops, here and in the viewer, what was drawn or is being drawn from the weights of the
    /// training steps `gone` picks.
    fn forget_drawn(&mut self, gone: impl Fn(usize) -> bool) {
        if self
            .sampling
            .as_ref()
            .is_some_and(|(_, c)| gone(c.model_step))
        {
            self.cancel_sampling();
        }
        if self
            .density_job
            .as_ref()
            .is_some_and(|(_, d)| gone(d.model_step))
        {
            self.cancel_density();
        }
        if self.fields_asked.iter().any(|a| gone(a.1)) {
            self.cancel_fields();
        }
        self.samples = self.samples.take().filter(|c| !gone(c.model_step));
        self.density = self.density.take().filter(|d| !gone(d.model_step));
        self.field = self.field.take().filter(|f| !gone(f.0));
    }

    /// Drops the chain being drawn, here and in the viewer.
    fn cancel_sampling(&mut self) {
        if let Some((job, _)) = self.sampling.take() {
            self.viewer.send(ToViewer::Cancel { job });
        }
    }

    fn cancel_density(&mut self) {
        if let Some((job, _)) = self.density_job.take() {
            self.viewer.send(ToViewer::Cancel { job });
        }
    }

    fn cancel_fields(&mut self) {
        for (job, _, _) in std::mem::take(&mut self.fields_asked) {
            self.viewer.send(ToViewer::Cancel { job });
        }
    }

    /// The viewer panicked or could not start: Reset starts a new one.
    fn viewer_died(&mut self, message: &str) {
        self.sampling = None;
        self.density_job = None;
        self.fields_asked.clear();
        self.failed_at = Some(self.step);
        self.root.message_once(
            "error",
            "viewer",
            &format!("Sampling stopped: {message}. Press Reset to start again."),
        );
    }

    fn render(&self) {
        let p = &self.panel;
        let s = &self.settings;
        p.plot.clear();
        let Some(set) = &self.set else {
            p.plot.points(&s.drawn, "rgba(40, 50, 80, 0.85)", 4.0);
            p.caption.set_text_content(Some("No data yet."));
            p.chart.draw(&self.losses);
            return;
        };
        let norm = set.normalisation;
        let data: Vec<f32> = if s.data == DRAWN {
            s.drawn.clone()
        } else {
            norm.undo(&set.data[..set.data.len().min(2 * SHOWN)])
        };
        let model_step = |c: &Chain| c.model_step;
        let caption = match s.view.as_str() {
            "chain" => match &self.samples {
                Some(c) => {
                    let k = self.scrub.min(c.xs.len() - 1);
                    for i in 0..TRAJECTORIES.min(c.last().len() / 2) {
                        let path: Vec<f32> = c.xs[..=k]
                            .iter()
                            .flat_map(|x| [x[2 * i], x[2 * i + 1]])
                            .collect();
                        p.plot
                            .line(&norm.undo(&path), "rgba(60, 90, 200, 0.35)", 1.0);
                    }
                    if k > 0 {
                        p.plot
                            .points(&norm.undo(&c.x0s[k - 1]), "rgba(230, 120, 20, 0.35)", 2.0);
                    }
                    p.plot
                        .points(&norm.undo(&c.xs[k]), "rgba(40, 50, 80, 0.8)", 2.5);
                    p.set_scrub(c.xs.len() - 1, k);
                    let t = if k == 0 {
                        "x_T, pure noise".to_string()
                    } else {
                        format!("t = {}", text::time(c.ts[k - 1]))
                    };
                    format!(
                        "step {k} / {} of {} ({t}) · grey: x_t, orange: x̂₀, blue: {} trajectories · model of step {}",
                        c.xs.len() - 1,
                        c.sampler,
                        TRAJECTORIES,
                        c.model_step
                    )
                }
                None => match &self.sampling {
                    Some((_, c)) => format!("sampling… {:.0}%", 100.0 * c.progress()),
                    None => "sampling…".into(),
                },
            },
            "forward" => {
                let t = set.noise.time_at(s.t);
                let level = set.noise.level(t);
                let n = data.len().min(self.forward_noise.len());
                let noised: Vec<f32> = set.data[..n]
                    .iter()
                    .zip(&self.forward_noise[..n])
                    .map(|(x, z)| (level.alpha * *x as f64 + level.sigma * *z as f64) as f32)
                    .collect();
                p.plot
                    .points(&norm.undo(&noised), "rgba(40, 50, 80, 0.7)", 2.5);
                p.set_t_label(&text::time(t));
                format!(
                    "the data noised to t = {}: x_t = α·x₀ + σ·ε with α = {:.3}, σ = {:.3}",
                    text::time(t),
                    level.alpha,
                    level.sigma
                )
            }
            "field" => {
                p.plot.points(&data, "rgba(40, 50, 80, 0.18)", 2.0);
                let t = set.noise.time_at(s.t);
                p.set_t_label(&text::time(t));
                match &self.field {
                    Some((step, _, eps)) => {
                        let from = grid(FIELD_CELLS, EXTENT);
                        let cell = 2.0 * EXTENT / FIELD_CELLS as f64;
                        // −ε̂ points along the score; length ∝ |ε̂| (capped at 3)
                        let dir: Vec<f32> = eps
                            .chunks_exact(2)
                            .flat_map(|e| {
                                let m = ((e[0] * e[0] + e[1] * e[1]) as f64).sqrt();
                                let k = if m > 0.0 {
                                    (m.min(3.0) / 3.0) * 0.9 * cell / m
                                } else {
                                    0.0
                                };
                                [(-e[0] as f64 * k) as f32, (-e[1] as f64 * k) as f32]
                            })
                            .collect();
                        p.plot.arrows(&from, &dir, "rgba(20, 110, 90, 0.9)");
                        format!(
                            "−ε̂ = σ·∇log p_t: where the model pushes points at t = {} (arrow length ∝ |ε̂|), EMA model of step {step}",
                            text::time(t)
                        )
                    }
                    None => "computing the field…".into(),
                }
            }
            "density" => match (&self.density, &self.density_job) {
                (_, Some((_, job))) => {
                    format!(
                        "computing the learned density: {:.0}%",
                        100.0 * job.progress()
                    )
                }
                (Some(d), None) => {
                    p.plot.heatmap(&d.shades(), d.cells);
                    p.plot.points(&data, "rgba(255, 255, 255, 0.25)", 1.5);
                    format!(
                        "√p of the learned density (probability-flow ODE, exact divergence, {} RK4 steps) of the EMA model at step {}, {:.1} s",
                        jobs::DENSITY_STEPS,
                        d.model_step,
                        d.ms / 1000.0
                    )
                }
                (None, None) => "the density is computed when training pauses".into(),
            },
            _ => {
                if s.data == DRAWN {
                    p.plot.points(&data, "rgba(40, 50, 80, 0.9)", 5.0);
                } else {
                    p.plot.points(&data, "rgba(40, 50, 80, 0.45)", 2.5);
                }
                match &self.samples {
                    Some(c) => {
                        p.plot
                            .points(&norm.undo(c.last()), "rgba(230, 120, 20, 0.75)", 2.5);
                        format!(
                            "grey: data · orange: {} samples ({}, {} steps, {:.0} ms) from the EMA model of step {}",
                            c.last().len() / 2,
                            c.sampler,
                            c.xs.len() - 1,
                            c.ms,
                            model_step(c)
                        )
                    }
                    None => match &self.sampling {
                        Some((_, c)) => {
                            format!("grey: data · sampling… {:.0}%", 100.0 * c.progress())
                        }
                        None => "grey: data · sampling…".into(),
                    },
                }
            }
        };
        p.caption.set_text_content(Some(&caption));
        p.chart.draw(&self.losses);
    }

    /// The widget's state for tests and embeds: `data-*` on the root and `window.__playground`.
    fn report(&mut self) {
        let step = self.step;
        let status = if self.error || self.viewer.dead() {
            "error"
        } else if self.playing {
            "training"
        } else if self.sampling.is_some() || self.density_job.is_some() || self.samples_stale() {
            "sampling"
        } else if step > 0 {
            "paused"
        } else {
            "ready"
        };
        self.root.set("status", status);
        self.root.set("step", &step.to_string());
        self.root.set("view", &self.settings.view);
        let loss = self
            .losses
            .last()
            .map_or(String::new(), |l| format!("{l:.6}"));
        self.root.set("loss", &loss);
        self.panel
            .play
            .set_text_content(Some(if self.playing { "Pause" } else { "Train" }));
        self.panel
            .chain_play
            .set_text_content(Some(if self.chain_playing {
                "Pause chain"
            } else {
                "Play chain"
            }));
        self.panel.counter.set_text_content(Some(&format!(
            "step {step} · loss {}",
            if loss.is_empty() { "–" } else { &loss }
        )));
        if let Some(c) = &self.samples {
            self.root.set("sample-step", &c.model_step.to_string());
        }
        // while training, the hooks are refreshed twice a second (they copy every loss)
        if status != "training" || dom::now_ms() - self.published_at >= 500.0 {
            self.published_at = dom::now_ms();
            self.publish();
        }
    }

    fn publish(&self) {
        let Some(set) = &self.set else {
            return;
        };
        let f32s = |v: &[f32]| -> wasm_bindgen::JsValue { js_sys::Float32Array::from(v).into() };
        publish("data", &f32s(&set.data));
        if let Some(c) = &self.samples {
            publish("samples", &f32s(c.last()));
            publish("sampleStep", &(c.model_step as f64).into());
        }
        publish("losses", &f32s(self.losses.values()));
        if let Some(d) = &self.density {
            let lp: Vec<f32> = d.log_p.iter().map(|&v| v as f32).collect();
            publish("logDensity", &f32s(&lp));
        }
    }

    fn write_hash(&mut self) {
        self.settings.write(&mut self.hash);
        let url = self.hash.to_hash();
        if let Ok(history) = dom::window().history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
    }
}

fn spawn_trainer() -> Result<TrainerLink, String> {
    TrainerLink::spawn("toy2d_trainer", "the training worker")
        .map_err(|e| format!("Training needs a Web Worker, but {e}."))
}

fn spawn_viewer() -> Result<ViewerLink, String> {
    ViewerLink::spawn("toy2d_viewer", "the sampling worker")
        .map_err(|e| format!("Sampling needs a Web Worker, but {e}."))
}

fn js_err(e: wasm_bindgen::JsValue) -> String {
    format!("the page could not build the widget: {e:?}")
}
