//! DDPM ancestral sampling (Ho et al. 2020, eq. 6–7): x_{t'} ~ N(μ̃(x_t, x̂₀), σ²I) with the posterior
//! mean μ̃ = √ᾱ_{t'}·β/(1−ᾱ_t)·x̂₀ + √α·(1−ᾱ_{t'})/(1−ᾱ_t)·x_t, where β = 1 − ᾱ_t/ᾱ_{t'} spans the
//! skipped timesteps, and σ² = β̃ = (1−ᾱ_{t'})/(1−ᾱ_t)·β (“fixed small”) or σ² = β (“fixed large”).

use burn::prelude::*;

use super::spacing::alpha_bar_steps;
use super::{Denoiser, Sampler, Spacing, Step, X0Clip};
use crate::noise::{NoiseSource, normal_like};
use crate::schedule::Posterior;
use crate::{DiffusionError, DiscreteSchedule, Level};

/// The reverse-step variance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Variance {
    /// σ² = β̃_t, the true posterior variance given x₀.
    #[default]
    FixedSmall,
    /// σ² = β_t, the upper bound (Ho et al. found both equally good).
    FixedLarge,
}

impl std::str::FromStr for Variance {
    type Err = DiffusionError;
    fn from_str(s: &str) -> Result<Self, DiffusionError> {
        match s {
            "fixed_small" => Ok(Self::FixedSmall),
            "fixed_large" => Ok(Self::FixedLarge),
            other => Err(DiffusionError::Unknown {
                what: "DDPM variance type",
                name: other.into(),
                known: "fixed_small, fixed_large",
            }),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Ddpm {
    /// (t, ᾱ_t, ᾱ_prev) per step, noisiest first.
    steps: Vec<(f64, f64, f64)>,
    variance: Variance,
    clip: X0Clip,
    /// No noise on the last step even when it starts above t = 0 (trailing spacing); diffusers
    /// adds it there, so conformance keeps this off.
    clean_end: bool,
    next: usize,
}

impl Ddpm {
    pub fn new(
        schedule: &DiscreteSchedule,
        steps: usize,
        spacing: Spacing,
        offset: usize,
        variance: Variance,
    ) -> Result<Self, DiffusionError> {
        let steps = alpha_bar_steps(schedule, steps, spacing, offset, 1.0)?;
        Ok(Self {
            steps,
            variance,
            clip: X0Clip::None,
            clean_end: false,
            next: 0,
        })
    }

    pub fn with_clip(mut self, clip: X0Clip) -> Self {
        self.clip = clip;
        self
    }

    /// End on the posterior mean: the chain's output is then x̂-free of added noise.
    pub fn with_clean_end(mut self, clean_end: bool) -> Self {
        self.clean_end = clean_end;
        self
    }

    pub fn timesteps(&self) -> Vec<f64> {
        self.steps.iter().map(|s| s.0).collect()
    }
}

impl<const D: usize> Sampler<D> for Ddpm {
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
        let p = self.clip.apply(model.predict(x, t, level));
        let post = Posterior::between(ab, ab_prev);
        let mut next = p.x0.clone() * post.coef_x0 + x.clone() * post.coef_xt;
        let last = self.next + 1 == self.steps.len();
        if t > 0.0 && !(self.clean_end && last) {
            let var = match self.variance {
                Variance::FixedSmall => post.var_small.max(1e-20),
                Variance::FixedLarge => post.var_large,
            };
            next = next + normal_like(x, noise)? * var.sqrt();
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
