//! A chain's stepper by sampler name: a fixed-step [`Sampler`], or the adaptive [`FlowRk45`],
//! whose steps read its error norm back from the device (so stepping is `async`; natively, drive
//! it with [`super::block_on`]). Callers that walk a chain step by step (the 2-D trainer's chain,
//! natively and in the page) hold one of these and never match on which.

use burn::prelude::*;

use super::registry::{Options, build, check_fits};
use super::{Denoiser, FlowRk45, Sampler, Step};
use crate::noise::NoiseSource;
use crate::{DiffusionError, Ode, Process};

/// The adaptive solver's name in [`super::TABLE`].
pub const ADAPTIVE: &str = "rk45";

pub enum Stepper<const D: usize> {
    Fixed(Box<dyn Sampler<D>>),
    Adaptive(Box<FlowRk45<D>>),
}

impl<const D: usize> Stepper<D> {
    /// Sampler `name` on `process` ([`build`]'s errors; `rk45` with tolerance `opts.tol`).
    pub fn build(name: &str, opts: &Options, process: &Process) -> Result<Self, DiffusionError> {
        if name != ADAPTIVE {
            return build(name, opts, process).map(Self::Fixed);
        }
        check_fits(name, process)?;
        let ode = Ode::of(process)?;
        Ok(Self::Adaptive(Box::new(FlowRk45::new(
            ode, opts.tol, opts.tol,
        )?)))
    }

    /// Standard deviation of the starting noise.
    pub fn init_sigma(&self) -> f64 {
        match self {
            Self::Fixed(s) => s.init_sigma(),
            Self::Adaptive(s) => s.init_sigma(),
        }
    }

    /// Steps in the chain (for the adaptive solver, an estimate that is exact once it ends).
    pub fn len(&self) -> usize {
        match self {
            Self::Fixed(s) => s.len(),
            Self::Adaptive(s) => s.estimated_len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes the next step from `x`, or `Ok(None)` once the chain is done.
    pub async fn step(
        &mut self,
        model: &dyn Denoiser<D>,
        x: &Tensor<D>,
        noise: &mut dyn NoiseSource,
    ) -> Result<Option<Step<D>>, DiffusionError> {
        match self {
            Self::Fixed(s) => s.step(model, x, noise),
            Self::Adaptive(s) => s.step(model, x).await,
        }
    }
}
