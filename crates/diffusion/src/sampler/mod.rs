//! Samplers: each walks a chain of noisy samples x_T → … → x₀ one step at a time, so the browser
//! can drive a step per frame, and reports x_t and the predicted x̂₀ at every step.

mod ddim;

pub use ddim::{Ddim, Spacing};

use burn::prelude::*;

/// What every sampler talks to: a model of the noise in x_t (VP convention,
/// x_t = √ᾱ·x₀ + √(1−ᾱ)·ε), evaluated at training timestep `t` whose ᾱ is `alpha_bar`.
pub trait Denoiser<const D: usize> {
    fn eps(&self, x: Tensor<D>, t: usize, alpha_bar: f64) -> Tensor<D>;
}

/// One step of a chain: the new sample and the clean sample the model predicted on the way.
#[derive(Debug, Clone)]
pub struct Step<const D: usize> {
    /// 0-based index of this step in the chain.
    pub index: usize,
    /// The sample after the step (x_{t−1}; x₀ after the last step).
    pub x: Tensor<D>,
    /// x̂₀ predicted from the sample before the step.
    pub x0: Tensor<D>,
}
