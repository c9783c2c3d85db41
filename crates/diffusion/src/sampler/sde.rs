//! Samplers of the reverse-time SDE dx = [f(t)·x − g(t)²·∇log p_t(x)] dt + g(t) dW̄ (Song et al.
//! 2021, eq. 6), on N times evenly spaced from 1 down to the SDE's t_min, as in seed 000. Its
//! probability-flow ODE is stepped by [`super::ode`].

use burn::prelude::*;

use super::langevin::correct;
use super::{Denoiser, Sampler, Step};
use crate::DiffusionError;
use crate::noise::{NoiseSource, normal_like};
use crate::sde::{Sde, SdeKind, reverse_drift};

fn times(sde: &dyn Sde, steps: usize) -> Result<Vec<f64>, DiffusionError> {
    super::ode::times(sde.t_min(), steps)
}

/// Euler–Maruyama on the reverse SDE, optionally with Langevin corrector steps first (the
/// predictor–corrector sampler). The last step adds no noise (it returns the mean, as seed 000).
/// It owns its SDE, so a built sampler borrows nothing.
#[derive(Debug, Clone)]
pub struct ReverseSde {
    sde: SdeKind,
    times: Vec<f64>,
    dt: f64,
    /// (snr, corrector steps); 0 steps is plain Euler–Maruyama.
    corrector: (f64, usize),
    next: usize,
}

impl ReverseSde {
    pub fn euler_maruyama(sde: impl Into<SdeKind>, steps: usize) -> Result<Self, DiffusionError> {
        let sde = sde.into();
        let times = times(&sde, steps)?;
        Ok(Self {
            sde,
            dt: times[0] - times[1],
            times,
            corrector: (0.0, 0),
            next: 0,
        })
    }

    /// Predictor–corrector: `correct_steps` Langevin steps with `snr` (seed 000: 0.16, 1 step).
    pub fn predictor_corrector(
        sde: impl Into<SdeKind>,
        steps: usize,
        snr: f64,
        correct_steps: usize,
    ) -> Result<Self, DiffusionError> {
        if !(snr >= 0.0) || !snr.is_finite() {
            return Err(DiffusionError::OutOfRange {
                name: "snr",
                value: snr,
                expected: "snr ≥ 0",
            });
        }
        let mut s = Self::euler_maruyama(sde, steps)?;
        s.corrector = (snr, correct_steps);
        Ok(s)
    }
}

impl<const D: usize> Sampler<D> for ReverseSde {
    fn len(&self) -> usize {
        self.times.len()
    }

    fn init_sigma(&self) -> f64 {
        self.sde.prior_sigma()
    }

    fn step(
        &mut self,
        model: &dyn Denoiser<D>,
        x: &Tensor<D>,
        noise: &mut dyn NoiseSource,
    ) -> Result<Option<Step<D>>, DiffusionError> {
        let i = self.next;
        let Some(&t) = self.times.get(i) else {
            return Ok(None);
        };
        let mut x = x.clone();
        for _ in 0..self.corrector.1 {
            x = correct(model, x, t, self.sde.level(t), self.corrector.0, noise)?;
        }
        let (drift, x0) = reverse_drift(&self.sde, model, &x, t, false);
        let mean = x.clone() - drift * self.dt;
        let next = if i + 1 == self.times.len() {
            mean
        } else {
            mean + normal_like(&x, noise)? * (self.sde.diffusion(t) * self.dt.sqrt())
        };
        self.next += 1;
        Ok(Some(Step {
            index: i,
            t,
            x: next,
            x0,
        }))
    }
}
