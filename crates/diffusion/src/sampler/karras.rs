//! The σ-space samplers of Karras et al. 2022 / k-diffusion, as diffusers runs them: the state is
//! x̃ = x/α with noise level σ̃ = σ/α, the ODE is dx̃/dσ̃ = (x̃ − x̂₀)/σ̃, and the model sees
//! x = x̃/√(1+σ̃²). Euler (alg. 2 with optional churn), Euler-ancestral, and Heun (alg. 1).

use burn::prelude::*;

use super::{Denoiser, Sampler, Spacing, Step, check_steps};
use crate::noise::{NoiseSource, normal_like};
use crate::{DiffusionError, DiscreteSchedule, Level};

/// Karras et al.'s σ_i = (σ_max^{1/ρ} + i/(n−1)·(σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ with ρ = 7.
pub fn karras_sigmas(sigma_min: f64, sigma_max: f64, n: usize) -> Vec<f64> {
    let rho = 7.0;
    let (lo, hi) = (sigma_min.powf(1.0 / rho), sigma_max.powf(1.0 / rho));
    (0..n)
        .map(|i| {
            let ramp = if n > 1 {
                i as f64 / (n - 1) as f64
            } else {
                0.0
            };
            (hi + ramp * (lo - hi)).powf(rho)
        })
        .collect()
}

/// The σ̃ ladder of a σ-space sampler: model times, σ̃ per step and a final 0.
#[derive(Debug, Clone, PartialEq)]
pub struct KarrasSigmas {
    pub timesteps: Vec<f64>,
    /// One per timestep, then 0.
    pub sigmas: Vec<f64>,
    /// Standard deviation of x̃_T.
    pub init_sigma: f64,
    /// The schedule, to map a σ̃ off the ladder (Euler's churn) back to a model time.
    schedule: DiscreteSchedule,
}

impl KarrasSigmas {
    /// diffusers' `set_timesteps` for the Euler family: fractional timesteps by `spacing`, σ̃
    /// interpolated linearly in t, or Karras-spaced σ̃ when `karras` (timesteps then follow σ̃).
    pub fn new(
        schedule: &DiscreteSchedule,
        steps: usize,
        spacing: Spacing,
        offset: usize,
        karras: bool,
    ) -> Result<Self, DiffusionError> {
        let train = schedule.len();
        check_steps(steps, train)?;
        let mut timesteps = spacing.fractional_timesteps(train, steps, offset);
        let mut sigmas: Vec<f64> = timesteps.iter().map(|&t| schedule.sigma_at(t)).collect();
        if karras {
            let (lo, hi) = (sigmas[sigmas.len() - 1], sigmas[0]);
            sigmas = karras_sigmas(lo, hi, steps);
            timesteps = sigmas
                .iter()
                .map(|&s| schedule.timestep_of_sigma(s))
                .collect();
        }
        let max = sigmas.iter().cloned().fold(0.0, f64::max);
        let init_sigma = match spacing {
            Spacing::Linspace | Spacing::Trailing => max,
            Spacing::Leading => (max * max + 1.0).sqrt(),
        };
        sigmas.push(0.0);
        Ok(Self {
            timesteps,
            sigmas,
            init_sigma,
            schedule: schedule.clone(),
        })
    }

    /// x̂₀ from the state x̃ at σ̃ (the model sees the VP sample x̃·α).
    fn denoise<const D: usize>(
        model: &dyn Denoiser<D>,
        x: &Tensor<D>,
        t: f64,
        sigma: f64,
    ) -> Tensor<D> {
        let level = Level::vp_from_sigma(sigma);
        model.predict(&(x.clone() * level.alpha), t, level).x0
    }
}

/// Euler's method on the PF-ODE in σ̃, with Karras et al.'s optional “churn” (noise re-injection).
#[derive(Debug, Clone)]
pub struct Euler {
    ladder: KarrasSigmas,
    /// (s_churn, s_tmin, s_tmax, s_noise); s_churn = 0 is the plain ODE solver.
    churn: (f64, f64, f64, f64),
    next: usize,
}

impl Euler {
    pub fn new(ladder: KarrasSigmas) -> Self {
        Self {
            ladder,
            churn: (0.0, 0.0, f64::INFINITY, 1.0),
            next: 0,
        }
    }

    pub fn with_churn(mut self, s_churn: f64, s_tmin: f64, s_tmax: f64, s_noise: f64) -> Self {
        self.churn = (s_churn, s_tmin, s_tmax, s_noise);
        self
    }
}

impl<const D: usize> Sampler<D> for Euler {
    fn len(&self) -> usize {
        self.ladder.timesteps.len()
    }

    fn init_sigma(&self) -> f64 {
        self.ladder.init_sigma
    }

    fn step(
        &mut self,
        model: &dyn Denoiser<D>,
        x: &Tensor<D>,
        noise: &mut dyn NoiseSource,
    ) -> Result<Option<Step<D>>, DiffusionError> {
        let i = self.next;
        let Some(&t) = self.ladder.timesteps.get(i) else {
            return Ok(None);
        };
        let (sigma, sigma_next) = (self.ladder.sigmas[i], self.ladder.sigmas[i + 1]);
        let (s_churn, s_tmin, s_tmax, s_noise) = self.churn;
        let gamma = if (s_tmin..=s_tmax).contains(&sigma) {
            (s_churn / self.ladder.timesteps.len() as f64).min(2f64.sqrt() - 1.0)
        } else {
            0.0
        };
        let sigma_hat = sigma * (gamma + 1.0);
        let mut x = x.clone();
        if gamma > 0.0 {
            let z = normal_like(&x, noise)?;
            x = x + z * (s_noise * (sigma_hat * sigma_hat - sigma * sigma).sqrt());
        }
        // with churn the model sees σ̂, so it is told the time of σ̂ (k-diffusion: model(x, σ̂))
        let t_model = if gamma > 0.0 {
            self.ladder.schedule.timestep_of_sigma(sigma_hat)
        } else {
            t
        };
        let x0 = KarrasSigmas::denoise(model, &x, t_model, sigma_hat);
        let d = (x.clone() - x0.clone()) / sigma_hat;
        let next = x + d * (sigma_next - sigma_hat);
        self.next += 1;
        Ok(Some(Step {
            index: i,
            t,
            x: next,
            x0,
        }))
    }
}

/// Euler-ancestral: an Euler step down to σ_down, then fresh noise of σ_up
/// (σ_up² = σ'²(σ² − σ'²)/σ², σ_down² = σ'² − σ_up²).
#[derive(Debug, Clone)]
pub struct EulerAncestral {
    ladder: KarrasSigmas,
    next: usize,
}

impl EulerAncestral {
    pub fn new(ladder: KarrasSigmas) -> Self {
        Self { ladder, next: 0 }
    }
}

impl<const D: usize> Sampler<D> for EulerAncestral {
    fn len(&self) -> usize {
        self.ladder.timesteps.len()
    }

    fn init_sigma(&self) -> f64 {
        self.ladder.init_sigma
    }

    fn step(
        &mut self,
        model: &dyn Denoiser<D>,
        x: &Tensor<D>,
        noise: &mut dyn NoiseSource,
    ) -> Result<Option<Step<D>>, DiffusionError> {
        let i = self.next;
        let Some(&t) = self.ladder.timesteps.get(i) else {
            return Ok(None);
        };
        let (from, to) = (self.ladder.sigmas[i], self.ladder.sigmas[i + 1]);
        let up = (to * to * (from * from - to * to) / (from * from)).sqrt();
        let down = (to * to - up * up).sqrt();
        let x0 = KarrasSigmas::denoise(model, x, t, from);
        let d = (x.clone() - x0.clone()) / from;
        let next = x.clone() + d * (down - from) + normal_like(x, noise)? * up;
        self.next += 1;
        Ok(Some(Step {
            index: i,
            t,
            x: next,
            x0,
        }))
    }
}

/// Heun's second-order method: an Euler step, then a correction with the slope at its end
/// (skipped on the final step to σ̃ = 0). Each model evaluation is one step, so n sampling steps
/// take 2n − 1 steps.
#[derive(Debug, Clone)]
pub struct Heun<const D: usize> {
    ladder: KarrasSigmas,
    /// (slope, dt, sample) of the pending Euler step, when the next step is its correction.
    pending: Option<(Tensor<D>, f64, Tensor<D>)>,
    /// Index into the ladder of the next Euler step.
    rung: usize,
    next: usize,
}

impl<const D: usize> Heun<D> {
    pub fn new(ladder: KarrasSigmas) -> Self {
        Self {
            ladder,
            pending: None,
            rung: 0,
            next: 0,
        }
    }
}

impl<const D: usize> Sampler<D> for Heun<D> {
    fn len(&self) -> usize {
        (2 * self.ladder.timesteps.len()).saturating_sub(1)
    }

    fn init_sigma(&self) -> f64 {
        self.ladder.init_sigma
    }

    fn step(
        &mut self,
        model: &dyn Denoiser<D>,
        x: &Tensor<D>,
        _noise: &mut dyn NoiseSource,
    ) -> Result<Option<Step<D>>, DiffusionError> {
        if self.next >= Sampler::<D>::len(self) {
            return Ok(None);
        }
        let index = self.next;
        self.next += 1;
        match self.pending.take() {
            None => {
                let i = self.rung;
                let t = self.ladder.timesteps[i];
                let (sigma, sigma_next) = (self.ladder.sigmas[i], self.ladder.sigmas[i + 1]);
                let x0 = KarrasSigmas::denoise(model, x, t, sigma);
                let d = (x.clone() - x0.clone()) / sigma;
                let dt = sigma_next - sigma;
                let next = x.clone() + d.clone() * dt;
                self.pending = Some((d, dt, x.clone()));
                self.rung += 1;
                Ok(Some(Step {
                    index,
                    t,
                    x: next,
                    x0,
                }))
            }
            Some((d_prev, dt, start)) => {
                let i = self.rung;
                let t = self.ladder.timesteps[i];
                let sigma = self.ladder.sigmas[i];
                let x0 = KarrasSigmas::denoise(model, x, t, sigma);
                let d = ((x.clone() - x0.clone()) / sigma + d_prev) / 2.0;
                Ok(Some(Step {
                    index,
                    t,
                    x: start + d * dt,
                    x0,
                }))
            }
        }
    }
}
