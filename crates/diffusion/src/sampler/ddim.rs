//! DDIM (Song, Meng & Ermon 2021, eq. 12):
//! x_{t'} = √ᾱ_{t'}·x̂₀ + √(1−ᾱ_{t'}−σ_t²)·ε̂ + σ_t·z, with
//! σ_t = η·√((1−ᾱ_{t'})/(1−ᾱ_t))·√(1−ᾱ_t/ᾱ_{t'}). η = 0 is deterministic (a first-order solver of
//! the probability-flow ODE); η = 1 is DDPM's ancestral sampler with σ² = β̃.

use burn::prelude::*;

use super::spacing::alpha_bar_steps;
use super::{Denoiser, Sampler, Spacing, Step, X0Clip};
use crate::noise::{NoiseSource, normal_like};
use crate::{DiffusionError, DiscreteSchedule, Level};

/// A DDIM chain over a discrete schedule.
#[derive(Debug, Clone)]
pub struct Ddim {
    /// (t, ᾱ_t, ᾱ_prev) per step, noisiest first.
    steps: Vec<(f64, f64, f64)>,
    eta: f64,
    clip: X0Clip,
    /// Recompute ε̂ from the clipped x̂₀ (diffusers' `use_clipped_model_output`).
    clipped_eps: bool,
    next: usize,
}

impl Ddim {
    /// `steps` steps over `schedule`. As in diffusers, the step from t goes to t − ⌊T/n⌋, and past
    /// t = 0 to ᾱ = 1 (`final_alpha_one`) or to ᾱ_0.
    pub fn new(
        schedule: &DiscreteSchedule,
        steps: usize,
        spacing: Spacing,
        eta: f64,
    ) -> Result<Self, DiffusionError> {
        Self::with_options(schedule, steps, spacing, 0, eta, true)
    }

    pub fn with_options(
        schedule: &DiscreteSchedule,
        steps: usize,
        spacing: Spacing,
        offset: usize,
        eta: f64,
        final_alpha_one: bool,
    ) -> Result<Self, DiffusionError> {
        if !(0.0..=1.0).contains(&eta) {
            return Err(DiffusionError::OutOfRange {
                name: "eta",
                value: eta,
                expected: "0 ≤ η ≤ 1",
            });
        }
        let final_ab = if final_alpha_one {
            1.0
        } else {
            schedule.alpha_bar(0)
        };
        let steps = alpha_bar_steps(schedule, steps, spacing, offset, final_ab)?;
        Ok(Self {
            steps,
            eta,
            clip: X0Clip::None,
            clipped_eps: false,
            next: 0,
        })
    }

    /// Clip x̂₀; with `clipped_eps`, the direction term uses ε̂ recomputed from the clipped x̂₀.
    pub fn with_clip(mut self, clip: X0Clip, clipped_eps: bool) -> Self {
        self.clip = clip;
        self.clipped_eps = clipped_eps;
        self
    }

    /// The training timesteps visited, noisiest first.
    pub fn timesteps(&self) -> Vec<f64> {
        self.steps.iter().map(|s| s.0).collect()
    }
}

impl<const D: usize> Sampler<D> for Ddim {
    fn len(&self) -> usize {
        self.steps.len()
    }

    fn init_sigma(&self) -> f64 {
        1.0
    }

    fn step(
        &mut self,
        model: &dyn Denoiser<D>,
        x: &Tensor<D>,
        noise: &mut dyn NoiseSource,
    ) -> Result<Option<Step<D>>, DiffusionError> {
        let Some(&(t, ab, ab_prev)) = self.steps.get(self.next) else {
            return Ok(None);
        };
        let level = Level::vp(ab);
        let mut p = self.clip.apply(model.predict(x, t, level));
        if self.clipped_eps {
            p = p.eps_from_x0(x, level);
        }
        let variance = (1.0 - ab_prev) / (1.0 - ab) * (1.0 - ab / ab_prev);
        let std = self.eta * variance.sqrt();
        let mut next =
            p.x0.clone() * ab_prev.sqrt() + p.eps * (1.0 - ab_prev - std * std).max(0.0).sqrt();
        if self.eta > 0.0 {
            next = next + normal_like(x, noise)? * std;
        }
        let index = self.next;
        self.next += 1;
        Ok(Some(Step {
            index,
            t,
            x: next,
            x0: p.x0,
        }))
    }
}
