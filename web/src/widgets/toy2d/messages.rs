//! What the page and the training worker say to each other. Every message about a run carries
//! the run's `generation`, so answers about a run the page has since replaced are ignored.

use serde::{Deserialize, Serialize};
use train::toy::ToyConfig;

use crate::worker::{Floats, Link};

/// The page's end of the training worker.
pub type TrainerLink = Link<ToTrainer, FromTrainer>;

/// Page → worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ToTrainer {
    /// Set up a fresh run (dropping any other): the config, the drawn points when the data set is
    /// hand-drawn, and the backend the page runs on (`webgpu` or `cpu`).
    Start {
        generation: u32,
        config: ToyConfig,
        drawn: Option<Vec<f32>>,
        backend: String,
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
}

/// Worker → page.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
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
    /// The EMA weights of `step`, flat (see `train::toy::Frozen::from_values`).
    Weights {
        generation: u32,
        step: usize,
        values: Floats,
    },
    /// Training stopped on a diverging loss; the weights are back at `step`.
    Stopped {
        generation: u32,
        step: usize,
        message: String,
    },
    /// The worker could not do what was asked (it goes on listening).
    Failed { message: String },
}
