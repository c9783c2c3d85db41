//! Samplers: each walks a chain x_T → … → x₀ one step at a time (so the browser can drive a step
//! per frame) and reports x_t and the predicted x̂₀ at every step. All of them talk to the model only
//! through [`Denoiser`], and draw randomness only from the caller's [`NoiseSource`].

mod ddim;
mod ddpm;
mod dpm_solver;
mod karras;
mod langevin;
mod ode;
pub mod registry;
mod rk45;
mod sde;
mod spacing;
mod stepper;
mod ve_pc;

pub use ddim::Ddim;
pub use ddpm::{Ddpm, Variance};
pub use dpm_solver::DpmOptions;
pub use dpm_solver::DpmSolverPP2M;
pub use karras::{Euler, EulerAncestral, Heun, KarrasSigmas};
pub use langevin::{AnnealedLangevin, time_at_sigma};
pub use ode::{FixedOde, Rule};
pub use registry::{
    Family, Options, SAMPLERS, SamplerInfo, TABLE, build, ensure_finite, fitting, info,
};
pub use rk45::FlowRk45;
#[cfg(not(target_family = "wasm"))]
pub use rk45::block_on;
pub use sde::ReverseSde;
pub use spacing::Spacing;
pub use stepper::{ADAPTIVE, Stepper};
pub use ve_pc::VePredictorCorrector;

use burn::prelude::*;

use crate::DiffusionError;
pub use crate::denoiser::{Denoiser, Network};
use crate::noise::NoiseSource;
use crate::predict::Prediction;

/// One step of a chain: the new sample and the clean sample the model predicted on the way.
#[derive(Debug, Clone)]
pub struct Step<const D: usize> {
    /// 0-based index of this step in the chain.
    pub index: usize,
    /// The time the model was evaluated at.
    pub t: f64,
    /// The sample after the step (x₀ after the last step).
    pub x: Tensor<D>,
    /// x̂₀ predicted during the step.
    pub x0: Tensor<D>,
}

/// A copy of a sampler as it stands (its place in the chain and its history), so a caller can
/// take a step again from where it was: a pool of workers that splits one guided chain takes a
/// step, learns it lacks the other worker's half of a model call, and takes it again once that
/// has come. Every `Clone` sampler has it.
pub trait SamplerClone<const D: usize> {
    fn clone_box(&self) -> Box<dyn Sampler<D>>;
}

impl<const D: usize, T: Sampler<D> + Clone + 'static> SamplerClone<D> for T {
    fn clone_box(&self) -> Box<dyn Sampler<D>> {
        Box::new(self.clone())
    }
}

/// A sampler, stepped one model evaluation at a time.
pub trait Sampler<const D: usize>: SamplerClone<D> {
    /// Number of steps in the chain.
    fn len(&self) -> usize;
    /// True for a chain without steps.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Standard deviation of the starting noise: x_T = init_sigma · z.
    fn init_sigma(&self) -> f64;
    /// Takes the next step from `x`, or `Ok(None)` once the chain is done.
    fn step(
        &mut self,
        model: &dyn Denoiser<D>,
        x: &Tensor<D>,
        noise: &mut dyn NoiseSource,
    ) -> Result<Option<Step<D>>, DiffusionError>;
}

/// Optional treatment of x̂₀ before it is used (diffusers' `clip_sample` / `thresholding`).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub enum X0Clip {
    #[default]
    None,
    /// Clamp to [−range, range].
    Clip { range: f64 },
    /// Dynamic thresholding (Saharia et al. 2022, §2.3): per sample, s = the `ratio` quantile of
    /// |x̂₀| (linear interpolation, as torch.quantile) clamped to [1, `max`]; x̂₀ ← clamp(x̂₀, −s, s)/s.
    Dynamic { ratio: f64, max: f64 },
}

impl X0Clip {
    /// Treats x̂₀ only; ε̂ stays the model's (samplers that want ε̂ from the treated x̂₀ recompute it).
    pub fn apply<const D: usize>(self, p: Prediction<D>) -> Prediction<D> {
        match self {
            X0Clip::None => p,
            X0Clip::Clip { range } => Prediction {
                x0: p.x0.clamp(-range, range),
                eps: p.eps,
            },
            X0Clip::Dynamic { ratio, max } => Prediction {
                x0: dynamic_threshold(p.x0, ratio, max),
                eps: p.eps,
            },
        }
    }
}

fn dynamic_threshold<const D: usize>(x0: Tensor<D>, ratio: f64, max: f64) -> Tensor<D> {
    let shape = x0.shape();
    let b = x0.dims()[0];
    let flat = x0.clone().reshape([b as i64, -1]);
    let n = flat.dims()[1];
    let sorted = flat.abs().sort(1);
    let pos = ratio.clamp(0.0, 1.0) * (n - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, (pos.ceil() as usize).min(n - 1));
    let w = pos - lo as f64;
    let q =
        sorted.clone().slice([0..b, lo..lo + 1]) * (1.0 - w) + sorted.slice([0..b, hi..hi + 1]) * w;
    let mut dims = [1i64; D];
    dims[0] = b as i64;
    // torch.clamp(q, min=1, max=m) is min(max(q, 1), m), also for m < 1
    let s = q.clamp_min(1.0).clamp_max(max).reshape(dims).expand(shape);
    x0.max_pair(s.clone().neg()).min_pair(s.clone()) / s
}

pub(crate) fn check_steps(steps: usize, train: usize) -> Result<(), DiffusionError> {
    if steps == 0 || steps > train {
        return Err(DiffusionError::BadStepCount { steps, train });
    }
    Ok(())
}
