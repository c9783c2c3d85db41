//! Langevin dynamics: x ← x + ε·∇log p(x) + √(2ε)·z. As a corrector (Song et al. 2021, alg. 4) the
//! step follows the signal-to-noise rule ε = 2·(snr·‖z‖/‖s‖)²; annealed over a ladder of noise
//! levels it is NCSN's sampler (Song & Ermon 2019, alg. 1) with ε_i = ε·σ_i²/σ_L².

use burn::prelude::*;

use super::{Denoiser, Sampler, Step};
use crate::noise::{NoiseSource, normal_like};
use crate::sde::Sde;
use crate::{DiffusionError, Level};

/// Mean over the batch (first axis) of each item's L2 norm, as a 1-element tensor.
pub(crate) fn mean_norm<const D: usize>(t: &Tensor<D>) -> Tensor<1> {
    let b = t.dims()[0];
    t.clone()
        .reshape([b as i64, -1])
        .powi_scalar(2)
        .sum_dim(1)
        .sqrt()
        .mean()
}

/// One corrector step at (t, level) with the snr rule; the step size stays on the device.
pub(crate) fn correct<const D: usize>(
    model: &dyn Denoiser<D>,
    x: Tensor<D>,
    t: f64,
    level: Level,
    snr: f64,
    noise: &mut dyn NoiseSource,
) -> Result<Tensor<D>, DiffusionError> {
    let score = model.predict(&x, t, level).score(level);
    let z = normal_like(&x, noise)?;
    let ratio = mean_norm(&z) / mean_norm(&score) * snr;
    let step = (ratio.powi_scalar(2) * 2.0).reshape([1; D]);
    Ok(x + score * step.clone() + z * (step * 2.0).sqrt())
}

/// The time at which `sde`'s noise σ(t) equals `sigma` (σ grows with t), by bisection.
pub fn time_at_sigma(sde: &dyn Sde, sigma: f64) -> f64 {
    let (mut lo, mut hi) = (0.0, 1.0);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if sde.level(mid).sigma < sigma {
            lo = mid
        } else {
            hi = mid
        }
    }
    0.5 * (lo + hi)
}

/// Annealed Langevin dynamics over L geometric noise levels from `sigma_max` to `sigma_min`,
/// `inner` steps each. One step per model evaluation (L·inner in all). With L = 1 it is plain
/// Langevin dynamics at a single noise level.
#[derive(Debug, Clone)]
pub struct AnnealedLangevin {
    /// (t, level, step size) per noise level.
    levels: Vec<(f64, Level, f64)>,
    inner: usize,
    next: usize,
}

impl AnnealedLangevin {
    /// NCSN's defaults are L = 10 levels from 1 to 0.01, ε = 2e-5, 100 inner steps.
    pub fn new(
        sde: &dyn Sde,
        levels: usize,
        sigma_max: f64,
        sigma_min: f64,
        eps: f64,
        inner: usize,
    ) -> Result<Self, DiffusionError> {
        if levels == 0 || inner == 0 {
            return Err(DiffusionError::OutOfRange {
                name: "levels × inner steps",
                value: (levels * inner) as f64,
                expected: "at least 1",
            });
        }
        if !(sigma_min > 0.0 && sigma_max >= sigma_min) {
            return Err(DiffusionError::OutOfRange {
                name: "sigma_min",
                value: sigma_min,
                expected: "0 < σ_min ≤ σ_max",
            });
        }
        if !(eps > 0.0) {
            return Err(DiffusionError::OutOfRange {
                name: "eps",
                value: eps,
                expected: "ε > 0",
            });
        }
        let ratio = if levels > 1 {
            (sigma_min / sigma_max).powf(1.0 / (levels - 1) as f64)
        } else {
            1.0
        };
        let levels = (0..levels)
            .map(|i| {
                let sigma = sigma_max * ratio.powi(i as i32);
                let t = time_at_sigma(sde, sigma);
                (
                    t,
                    sde.level(t),
                    eps * sigma * sigma / (sigma_min * sigma_min),
                )
            })
            .collect();
        Ok(Self {
            levels,
            inner,
            next: 0,
        })
    }
}

impl<const D: usize> Sampler<D> for AnnealedLangevin {
    fn len(&self) -> usize {
        self.levels.len() * self.inner
    }

    fn init_sigma(&self) -> f64 {
        self.levels[0].1.sigma.max(1.0)
    }

    fn step(
        &mut self,
        model: &dyn Denoiser<D>,
        x: &Tensor<D>,
        noise: &mut dyn NoiseSource,
    ) -> Result<Option<Step<D>>, DiffusionError> {
        let i = self.next;
        let Some(&(t, level, alpha)) = self.levels.get(i / self.inner) else {
            return Ok(None);
        };
        let p = model.predict(x, t, level);
        let next =
            x.clone() + p.score(level) * (alpha / 2.0) + normal_like(x, noise)? * alpha.sqrt();
        self.next += 1;
        Ok(Some(Step {
            index: i,
            t,
            x: next,
            x0: p.x0,
        }))
    }
}
