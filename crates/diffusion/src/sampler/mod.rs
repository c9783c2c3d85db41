//! Samplers: each walks a chain x_T → … → x₀ one step at a time (so the browser can drive a step
//! per frame) and reports x_t and the predicted x̂₀ at every step. All of them talk to the model only
//! through [`Denoiser`], and draw randomness only from the caller's [`NoiseSource`].

mod ddim;
mod ddpm;
mod dpm_solver;
mod karras;
mod langevin;
pub mod registry;
mod sde;
mod spacing;
mod ve_pc;

pub use ddim::Ddim;
pub use ddpm::{Ddpm, Variance};
pub use dpm_solver::DpmOptions;
pub use dpm_solver::DpmSolverPP2M;
pub use karras::{Euler, EulerAncestral, Heun, KarrasSigmas};
pub use langevin::{AnnealedLangevin, time_at_sigma};
pub use registry::{Options, SAMPLERS, build, ensure_finite};
pub use sde::{FlowHeun, ReverseSde};
pub use spacing::Spacing;
pub use ve_pc::VePredictorCorrector;

use burn::prelude::*;

use crate::noise::NoiseSource;
use crate::predict::{Parameterization, Prediction};
use crate::{DiffusionError, Level};

/// What every sampler talks to: the model's predictions at a sample `x` whose noise level is
/// `level` (x = α·x₀ + σ·ε), at time `t` in the process's own units (a training timestep for DDPM
/// schedules, possibly fractional; σ for variance-exploding ones).
pub trait Denoiser<const D: usize> {
    fn predict(&self, x: &Tensor<D>, t: f64, level: Level) -> Prediction<D>;
}

/// A network that outputs one [`Parameterization`], as a [`Denoiser`].
pub struct Network<F> {
    pub kind: Parameterization,
    pub f: F,
}

impl<const D: usize, F> Denoiser<D> for Network<F>
where
    F: Fn(&Tensor<D>, f64, Level) -> Tensor<D>,
{
    fn predict(&self, x: &Tensor<D>, t: f64, level: Level) -> Prediction<D> {
        Prediction::from_output(self.kind, (self.f)(x, t, level), x, level)
    }
}

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

/// A sampler, stepped one model evaluation at a time.
pub trait Sampler<const D: usize> {
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
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum X0Clip {
    #[default]
    None,
    /// Clamp to [−range, range].
    Clip { range: f64 },
}

impl X0Clip {
    /// Clips x̂₀ only; ε̂ stays the model's (samplers that want ε̂ from the clipped x̂₀ recompute it).
    pub(crate) fn apply<const D: usize>(self, p: Prediction<D>) -> Prediction<D> {
        match self {
            X0Clip::None => p,
            X0Clip::Clip { range } => Prediction {
                x0: p.x0.clamp(-range, range),
                eps: p.eps,
            },
        }
    }
}

pub(crate) fn check_steps(steps: usize, train: usize) -> Result<(), DiffusionError> {
    if steps == 0 || steps > train {
        return Err(DiffusionError::BadStepCount { steps, train });
    }
    Ok(())
}
