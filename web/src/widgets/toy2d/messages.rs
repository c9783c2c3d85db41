//! What the page says to its two workers, the trainer and the viewer, and what they answer.
//! Every message about a run carries the run's `generation`, and every job of the viewer its
//! number, so answers about a run or a job the page has since replaced are ignored.
//!
//! The three enums that carry weights, [`ToTrainer`], [`FromTrainer`] and [`ToViewer`], put a variant's fields under
//! `body`: serde reads such an enum's `type` before its fields, so the weights' [`JsFloats`] stay
//! one JS array from trainer to viewer. Under an internal tag serde first copies every field into
//! a buffer of its own, which a preserved JS value does not survive.

use diffusion::sampler::Options;
use serde::{Deserialize, Serialize};
use train::toy::Quality;
use train::toy::ToyConfig;

use crate::floats::{Floats, JsFloats};

/// Page → worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", content = "body", rename_all = "kebab-case")]
pub enum ToTrainer {
    /// Set up a fresh run (dropping any other): the config, the drawn points when the data set is
    /// hand-drawn, and the backend the page runs on (`webgpu` or `cpu`); with `resume`, the run
    /// goes on from the EMA weights the page kept (`train::toy::ToyRun::resumed`).
    Start {
        generation: u32,
        config: ToyConfig,
        drawn: Option<Vec<f32>>,
        backend: String,
        resume: Option<Resume>,
    },
    /// Train until step `until` (or until paused). `order` numbers Train and Pause, so the page
    /// can tell which of its requests a progress report answers.
    Train {
        order: u32,
        until: Option<usize>,
    },
    Pause {
        order: u32,
    },
    /// Settings that apply to the next step without a new run.
    Tune {
        lr: f64,
        batch: usize,
    },
    /// Send the current EMA weights.
    Weights,
    /// Replace the run by its reflow on `pairs` pairs of its own ODE (`train::toy::ToyRun::reflow`);
    /// training stops until the page asks again.
    Reflow {
        pairs: usize,
    },
    /// Test hook (`__playground.loseDevice()`): destroy the worker's WebGPU device.
    LoseDevice,
}

/// The EMA weights of `step` that the page was last sent, kept to go on from on a new device.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Resume {
    pub step: usize,
    pub values: JsFloats,
}

/// Worker → page.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", content = "body", rename_all = "kebab-case")]
pub enum FromTrainer {
    /// The run of `generation` is set up, on the device `note` names; or it could not be.
    Started {
        generation: u32,
        note: String,
        error: Option<String>,
    },
    /// A slice of training went well: its losses, the step reached, and whether training goes on.
    Progress {
        generation: u32,
        /// The last Train or Pause the worker applied.
        order: u32,
        step: usize,
        losses: Vec<f32>,
        training: bool,
    },
    /// The EMA weights of `step`, flat (see `train::toy::Frozen::from_values`); the page passes
    /// them on to the viewer unread.
    Weights {
        generation: u32,
        step: usize,
        values: JsFloats,
    },
    /// Training stopped on a diverging loss; the weights are back at `step`.
    Stopped {
        generation: u32,
        step: usize,
        message: String,
    },
    /// The loss of a long run spiked (`train::TrainError::Spike`); training goes on.
    Spike { generation: u32, message: String },
    /// The run of `generation` was replaced by its reflow at `step`, or could not be.
    Reflowed {
        generation: u32,
        step: usize,
        error: Option<String>,
    },
    /// The worker could not do what was asked (it goes on listening).
    Failed { message: String },
}

/// How to draw a chain of samples (from [`crate::settings::toy2d::Toy2dSettings`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleSpec {
    pub sampler: String,
    pub options: Options,
    /// Points drawn.
    pub n: usize,
    pub seed: u64,
}

/// Page → viewer. Jobs are numbered by the page; each runs on the weights sent last before it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", content = "body", rename_all = "kebab-case")]
pub enum ToViewer {
    /// A fresh run (dropping the weights and jobs of any other): its data set is rebuilt from the
    /// same config and points as the trainer's, for its normalisation and process. The first
    /// Start also opens the device of the page's kind (`webgpu` or `cpu`).
    Start {
        generation: u32,
        config: ToyConfig,
        drawn: Option<Vec<f32>>,
        backend: String,
    },
    /// The trainer's EMA weights of `step`, flat.
    Weights {
        generation: u32,
        step: usize,
        values: JsFloats,
    },
    /// Draw a chain of samples (replacing any chain being drawn).
    Sample { job: u32, spec: SampleSpec },
    /// ε̂ at `points` (normalised coordinates) at slider position `u` (replacing any field asked
    /// for and not yet computed).
    Field { job: u32, u: f64, points: Floats },
    /// The log-density at `points` (replacing any density being computed).
    Density { job: u32, points: Floats },
    /// Where a point dropped by hand goes: from `z` (the model's coordinates, standard-normal
    /// units) along the ODE of the model's family, and `draws` paths of the spec's sampler too
    /// when it draws noise (`train::toy::paths`).
    Probe {
        job: u32,
        z: [f32; 2],
        spec: SampleSpec,
        draws: usize,
    },
    /// The steps strip: one chain of the spec for each number of steps (replacing any strip
    /// being drawn).
    Strip {
        job: u32,
        spec: SampleSpec,
        steps: Vec<usize>,
    },
    /// Drop job `job` (the page no longer wants it).
    Cancel { job: u32 },
    /// Test hook: panic, as Burn's WebGPU runtime does on a GPU out-of-memory error.
    Crash,
    /// Test hook (`__playground.loseDevice()`): destroy the worker's WebGPU device.
    LoseDevice,
}

/// Viewer → page.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum FromViewer {
    /// The device is open: the page's kind, or (`note` says why) the CPU in its place.
    Opened { note: Option<String> },
    /// The next frames of chain `job`: `steps` steps, each with x after it and the x̂₀ it
    /// predicted (both flat, step after step); the first message also carries x_T. `len` is the
    /// chain's number of steps, `ms` its time so far.
    Frames {
        job: u32,
        len: usize,
        start: Option<Floats>,
        xs: Floats,
        x0s: Floats,
        ts: Vec<f64>,
        done: bool,
        ms: f64,
        /// With the last frames: how good the samples are (`train::toy::Quality`).
        #[serde(default)]
        quality: Option<Quality>,
    },
    /// ε̂ of field `job`.
    Field { job: u32, eps: Floats },
    /// The next block of density `job`'s log-densities; the first also carries the data set's
    /// true density at all the job's points, where it is known.
    Density {
        job: u32,
        log_p: Vec<f64>,
        #[serde(default)]
        truth: Option<Vec<f64>>,
        done: bool,
        ms: f64,
    },
    /// Probe `job`'s paths, flat, step after step: the ODE's (one point a step) and the
    /// stochastic sampler's draws (`draws` points a step; empty for none), with their times.
    Probe {
        job: u32,
        ode: Floats,
        ode_ts: Vec<f64>,
        sde: Floats,
        draws: usize,
    },
    /// Chain `index` of strip `job`: its samples after `steps` steps, and how good they are.
    Strip {
        job: u32,
        index: usize,
        steps: usize,
        x: Floats,
        quality: Option<Quality>,
    },
    /// Job `job` failed on the weights of `step`, which the page then stops asking about.
    Failed {
        job: u32,
        step: usize,
        message: String,
    },
}
