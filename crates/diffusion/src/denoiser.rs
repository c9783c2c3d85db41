//! The one way samplers, likelihoods and guidance talk to a model. It lives apart from both the
//! samplers and the SDEs so that neither has to import the other to reach it.

use burn::prelude::*;

use crate::Level;
use crate::predict::{Parameterization, Prediction};

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
