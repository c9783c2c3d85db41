//! Predictor–corrector sampling of the variance-exploding SDE (Song et al. 2021, alg. 2), as
//! diffusers' ScoreSdeVeScheduler discretises it. Each step first runs Langevin corrector steps
//! with the signal-to-noise rule ε = 2·(snr·‖z‖/‖s‖)² (norms averaged over the batch), then the
//! reverse-diffusion predictor x ← x + (σ_i² − σ_{i−1}²)·s + √(σ_i² − σ_{i−1}²)·z on a geometric σ
//! ladder.

use burn::prelude::*;

use super::langevin::correct;
use super::{Denoiser, Sampler, Step};
use crate::noise::{NoiseSource, normal_like};
use crate::{DiffusionError, Level};

#[derive(Debug, Clone)]
pub struct VePredictorCorrector {
    /// σ(t_i) = σ_min·(σ_max/σ_min)^{t_i}, the level the model is evaluated at.
    sigmas: Vec<f64>,
    /// (σ_i, σ_{i−1}) of the discrete ladder, the predictor's step.
    ladder: Vec<(f64, f64)>,
    snr: f64,
    correct_steps: usize,
    sigma_max: f64,
    next: usize,
}

/// `np`/`torch.linspace` in f32, computed from both ends as torch does.
fn linspace_f32(start: f32, end: f32, n: usize) -> Vec<f32> {
    if n == 1 {
        return vec![start];
    }
    let step = (end - start) / (n - 1) as f32;
    (0..n)
        .map(|i| {
            if i < n / 2 {
                start + step * i as f32
            } else {
                end - step * (n - 1 - i) as f32
            }
        })
        .collect()
}

impl VePredictorCorrector {
    pub fn new(
        steps: usize,
        sigma_min: f64,
        sigma_max: f64,
        snr: f64,
        correct_steps: usize,
        sampling_eps: f64,
    ) -> Result<Self, DiffusionError> {
        if steps < 2 {
            return Err(DiffusionError::OutOfRange {
                name: "steps",
                value: steps as f64,
                expected: "at least 2",
            });
        }
        if !(sigma_min > 0.0 && sigma_max > sigma_min) {
            return Err(DiffusionError::OutOfRange {
                name: "sigma_min",
                value: sigma_min,
                expected: "0 < σ_min < σ_max",
            });
        }
        if !(snr >= 0.0) {
            return Err(DiffusionError::OutOfRange {
                name: "snr",
                value: snr,
                expected: "snr ≥ 0",
            });
        }
        if !(sampling_eps > 0.0 && sampling_eps < 1.0) {
            return Err(DiffusionError::OutOfRange {
                name: "sampling_eps",
                value: sampling_eps,
                expected: "0 < ε < 1",
            });
        }
        let times = linspace_f32(1.0, sampling_eps as f32, steps);
        let sigmas = times
            .iter()
            .map(|&t| sigma_min * (sigma_max / sigma_min).powf(t as f64))
            .collect();
        let (lo, hi) = (sigma_min.ln(), sigma_max.ln());
        let discrete: Vec<f64> = (0..steps)
            .map(|i| (lo + (hi - lo) * i as f64 / (steps - 1) as f64).exp())
            .collect();
        let ladder = times
            .iter()
            .map(|&t| {
                // diffusers truncates t·(N−1) in f32
                let k = (t * (steps - 1) as f32) as usize;
                (discrete[k], if k > 0 { discrete[k - 1] } else { 0.0 })
            })
            .collect();
        Ok(Self {
            sigmas,
            ladder,
            snr,
            correct_steps,
            sigma_max,
            next: 0,
        })
    }

    pub fn sigmas(&self) -> &[f64] {
        &self.sigmas
    }
}

impl<const D: usize> Sampler<D> for VePredictorCorrector {
    fn len(&self) -> usize {
        self.sigmas.len()
    }

    fn init_sigma(&self) -> f64 {
        self.sigma_max
    }

    fn step(
        &mut self,
        model: &dyn Denoiser<D>,
        x: &Tensor<D>,
        noise: &mut dyn NoiseSource,
    ) -> Result<Option<Step<D>>, DiffusionError> {
        let i = self.next;
        let Some(&sigma) = self.sigmas.get(i) else {
            return Ok(None);
        };
        let level = Level::ve(sigma);
        let mut x = x.clone();
        for _ in 0..self.correct_steps {
            x = correct(model, x, sigma, level, self.snr, noise)?;
        }
        let p = model.predict(&x, sigma, level);
        let (s, s_prev) = self.ladder[i];
        let g2 = s * s - s_prev * s_prev;
        let mean = x.clone() + p.score(level) * g2;
        let next = mean + normal_like(&x, noise)? * g2.sqrt();
        self.next += 1;
        Ok(Some(Step {
            index: i,
            t: sigma,
            x: next,
            x0: p.x0,
        }))
    }
}
