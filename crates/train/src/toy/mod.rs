//! The 2-D playground's engine, the same code natively and in the tab: a data set of points
//! ([`ToySet`]), an MLP trained with an objective (DDPM ε on a discrete schedule, DSM on an SDE, or
//! flow matching on the linear path, with a reflow from its own pairs) by Adam + EMA ([`ToyRun`]), its EMA model frozen for sampling, score fields and
//! likelihoods ([`Frozen`]), and a sampling chain stepped with any sampler of the core
//! ([`ToyChain`]), which the native [`ToyRun::sample`] and the page's sampling job both walk.

mod chain;
mod frozen;
mod quality;
mod run;
mod set;
mod truth;

pub use crate::objective::FlowTimes;
pub use chain::{ToyChain, paths};
pub use frozen::{DDPM_LIKELIHOOD_SDE, Frozen};
pub use quality::{BLUR, CRISP_WITHIN, Quality};
pub use run::ToyRun;
pub use set::ToySet;
pub use truth::{KERNEL_POINTS, blob_density, total_variation};

use diffusion::{DiffusionError, SeededNoise};
use serde::{Deserialize, Serialize};

/// The toy's noise process: the core's [`diffusion::Process`], under the name the page reads it
/// by (`set.noise.time_at(u)`, `set.noise.level(t)`).
pub type Noise = diffusion::Process;

/// What the model is trained to undo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Process {
    /// A discrete DDPM schedule ("linear" or "cosine") with `steps` training timesteps.
    Ddpm { schedule: String, steps: usize },
    /// An SDE by name ("vp", "subvp", "ve").
    Sde { name: String },
    /// Flow matching on the linear path; `ot` pairs each batch's noise with its data by minibatch
    /// optimal transport.
    Flow { ot: bool },
}

impl Process {
    /// Flow matching (with or without minibatch OT).
    pub fn is_flow(&self) -> bool {
        matches!(self, Process::Flow { .. })
    }

    /// The core's process this config names.
    pub fn process(&self) -> Result<Noise, DiffusionError> {
        match self {
            Process::Ddpm { schedule, steps } => diffusion::Process::ddpm(schedule, *steps),
            Process::Sde { name } => diffusion::Process::sde(name),
            Process::Flow { .. } => Ok(diffusion::Process::Flow),
        }
    }
}

/// What the network regresses on at each x_t.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// The noise (or velocity) of the pair x_t was made from: the textbook objective.
    Pair,
    /// The stable target (Xu et al. 2023): the same quantity for the posterior mean of x₀ over
    /// the batch ([`crate::objective::posterior_mean`]). Far less variance, so far fewer steps to
    /// crisp samples. Applies where the noise is drawn independently of the data (not to
    /// minibatch-OT pairs or a reflow's pairs, which then regress on their pair).
    #[default]
    Stable,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToyConfig {
    pub dataset: String,
    pub noise: f64,
    /// Size of the training set.
    pub points: usize,
    pub process: Process,
    pub width: usize,
    pub depth: usize,
    pub fourier: bool,
    pub lr: f64,
    pub batch: usize,
    pub ema_decay: f64,
    pub seed: u64,
    #[serde(default)]
    pub target: Target,
    /// Flow matching's time sampling.
    #[serde(default)]
    pub times: crate::objective::FlowTimes,
}

impl Default for ToyConfig {
    fn default() -> Self {
        Self {
            dataset: "8gaussians".into(),
            noise: 0.05,
            points: 4000,
            process: Process::Flow { ot: false },
            width: 128,
            depth: 3,
            fourier: false,
            lr: 1e-2,
            batch: 256,
            ema_decay: 0.995,
            seed: 0,
            target: Target::Stable,
            times: crate::objective::FlowTimes::Uniform,
        }
    }
}

impl ToyConfig {
    /// The textbook DDPM run (ε on a linear schedule of 1,000 steps, each row's own noise as the
    /// target, lr 1e-3): the defaults until flow matching on the stable target replaced them.
    pub fn textbook_ddpm() -> Self {
        Self {
            process: Process::Ddpm {
                schedule: "linear".into(),
                steps: 1000,
            },
            lr: 1e-3,
            target: Target::Pair,
            ..Self::default()
        }
    }
}

/// Draws `n` points of the config's data set from `rng`.
pub fn toy_points(c: &ToyConfig, n: usize, rng: &mut SeededNoise) -> Result<Vec<f32>, String> {
    let (nu, nz) = data::toy::DRAWS_PER_POINT;
    let u = rng.uniforms(nu * n);
    let z = rng.normals(nz * n);
    data::toy::toy(&c.dataset, n, c.noise, &u, &z)
}

// One seed, three streams. A link names one seed; the data set, the training batches and a
// sampling chain each draw from their own stream of it, so that none of them repeats another's
// draws, and the same seed gives the same points, model and samples natively and in the page.

/// The data set's stream (what [`ToySet::new`] draws the training points from).
pub fn data_noise(seed: u64) -> SeededNoise {
    SeededNoise::new(seed)
}

/// The training stream: batch indices, noise and timesteps of every Adam step.
pub fn training_noise(seed: u64) -> SeededNoise {
    SeededNoise::new(seed ^ 0x7a11)
}

/// A reflow's stream: the noise its pairs start from.
pub fn reflow_noise(seed: u64) -> SeededNoise {
    SeededNoise::new(seed ^ 0x4ef1_0000)
}

/// A sampling chain's stream: x_T and every draw of a stochastic sampler. It is offset from the
/// seed so that a chain seeded like its data set does not start from the data set's own normals.
pub fn sampling_noise(seed: u64) -> SeededNoise {
    SeededNoise::new(seed.wrapping_add(0x5a301e))
}
