//! Discrete DDPM noise schedules: x_t = √ᾱ_t·x₀ + √(1−ᾱ_t)·ε for t = 0 … T−1.

use burn::prelude::*;

use crate::{DiffusionError, Level};

/// How β_t is laid out over the T training timesteps (diffusers' `beta_schedule`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BetaSchedule {
    /// β evenly spaced from `start` to `end` (Ho et al. 2020: 1e-4 … 0.02).
    Linear { start: f64, end: f64 },
    /// β = (√start … √end)² evenly spaced in √β (Stable Diffusion: 0.00085 … 0.012).
    ScaledLinear { start: f64, end: f64 },
    /// ᾱ(t) = f(t)/f(0), f(t) = cos²((t/T + s)/(1 + s)·π/2), s = 0.008, β clipped at 0.999
    /// (Nichol & Dhariwal 2021, eq. 17; diffusers' `squaredcos_cap_v2`).
    Cosine,
}

impl BetaSchedule {
    /// Ho et al.'s linear schedule.
    pub const LINEAR: Self = Self::Linear {
        start: 1e-4,
        end: 0.02,
    };
    /// Stable Diffusion's scaled-linear schedule.
    pub const SCALED_LINEAR: Self = Self::ScaledLinear {
        start: 0.00085,
        end: 0.012,
    };

    /// The schedule diffusers' `beta_schedule` names, with its `beta_start` and `beta_end` (the
    /// cosine schedule has no ends to take). Model lists, people's own scheduler configs and the
    /// conformance fixtures all say it this way, so they share one reading of it.
    pub fn from_diffusers(name: &str, start: f64, end: f64) -> Result<Self, DiffusionError> {
        match name {
            "linear" => Ok(Self::Linear { start, end }),
            "scaled_linear" => Ok(Self::ScaledLinear { start, end }),
            "squaredcos_cap_v2" => Ok(Self::Cosine),
            other => Err(DiffusionError::Unknown {
                what: "beta schedule",
                name: other.into(),
                known: "linear, scaled_linear, squaredcos_cap_v2",
            }),
        }
    }
}

/// The DDPM posterior q(x_{t'} | x_t, x₀) = N(c₀·x₀ + c_t·x_t, σ²·I) between two noise levels
/// ᾱ_t < ᾱ_{t'} (Ho et al. 2020, eq. 6–7, with β = 1 − ᾱ_t/ᾱ_{t'} spanning any skipped steps).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Posterior {
    /// c₀ = √ᾱ_{t'}·β/(1−ᾱ_t).
    pub coef_x0: f64,
    /// c_t = √(1−β)·(1−ᾱ_{t'})/(1−ᾱ_t).
    pub coef_xt: f64,
    /// β̃ = (1−ᾱ_{t'})/(1−ᾱ_t)·β, the true posterior variance.
    pub var_small: f64,
    /// β, its upper bound.
    pub var_large: f64,
}

impl Posterior {
    pub fn between(alpha_bar: f64, alpha_bar_prev: f64) -> Self {
        let beta = 1.0 - alpha_bar / alpha_bar_prev;
        Self {
            coef_x0: alpha_bar_prev.sqrt() * beta / (1.0 - alpha_bar),
            coef_xt: (1.0 - beta).sqrt() * (1.0 - alpha_bar_prev) / (1.0 - alpha_bar),
            var_small: (1.0 - alpha_bar_prev) / (1.0 - alpha_bar) * beta,
            var_large: beta,
        }
    }
}

/// A discrete schedule of T timesteps, kept in f64 so conversions stay exact.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscreteSchedule {
    betas: Vec<f64>,
    alphas_cumprod: Vec<f64>,
}

impl DiscreteSchedule {
    /// Builds the schedule of `train_steps` timesteps.
    pub fn new(kind: BetaSchedule, train_steps: usize) -> Result<Self, DiffusionError> {
        if train_steps < 2 {
            return Err(DiffusionError::TooFewTimesteps(train_steps));
        }
        let n = train_steps as f64;
        let betas: Vec<f64> = match kind {
            BetaSchedule::Linear { start, end } => (0..train_steps)
                .map(|i| start + (end - start) * i as f64 / (n - 1.0))
                .collect(),
            BetaSchedule::ScaledLinear { start, end } => {
                let (a, b) = (start.sqrt(), end.sqrt());
                (0..train_steps)
                    .map(|i| (a + (b - a) * i as f64 / (n - 1.0)).powi(2))
                    .collect()
            }
            BetaSchedule::Cosine => {
                let f = |t: f64| {
                    ((t / n + 0.008) / 1.008 * std::f64::consts::FRAC_PI_2)
                        .cos()
                        .powi(2)
                };
                (0..train_steps)
                    .map(|i| (1.0 - f(i as f64 + 1.0) / f(i as f64)).min(0.999))
                    .collect()
            }
        };
        let alphas_cumprod = betas
            .iter()
            .scan(1.0, |acc, b| {
                *acc *= 1.0 - b;
                Some(*acc)
            })
            .collect();
        Ok(Self {
            betas,
            alphas_cumprod,
        })
    }

    /// Number of training timesteps T.
    pub fn len(&self) -> usize {
        self.betas.len()
    }

    /// Always false: a schedule has at least two timesteps.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// β_t.
    pub fn beta(&self, t: usize) -> f64 {
        self.betas[t]
    }

    /// ᾱ_t = ∏_{s ≤ t} (1 − β_s).
    pub fn alpha_bar(&self, t: usize) -> f64 {
        self.alphas_cumprod[t]
    }

    /// The noise level of x_t: α = √ᾱ_t, σ = √(1−ᾱ_t).
    pub fn level(&self, t: usize) -> Level {
        Level::vp(self.alpha_bar(t))
    }

    /// A sample of q(x_t | x₀): √ᾱ_t·x₀ + √(1−ᾱ_t)·ε.
    pub fn q_sample<const D: usize>(&self, x0: Tensor<D>, t: usize, eps: Tensor<D>) -> Tensor<D> {
        let Level { alpha, sigma } = self.level(t);
        x0 * alpha + eps * sigma
    }

    /// q(x_{t−1} | x_t, x₀) between consecutive timesteps (to x₀ itself from t = 0).
    pub fn posterior(&self, t: usize) -> Posterior {
        let prev = if t == 0 { 1.0 } else { self.alpha_bar(t - 1) };
        Posterior::between(self.alpha_bar(t), prev)
    }

    /// σ̃_t = √((1−ᾱ_t)/ᾱ_t), the noise-to-signal ratio samplers in x/α space step through.
    pub fn sigma(&self, t: usize) -> f64 {
        ((1.0 - self.alphas_cumprod[t]) / self.alphas_cumprod[t]).sqrt()
    }

    /// σ̃ at a fractional timestep, linearly interpolated between integer ones (as diffusers'
    /// `np.interp` does), clamped to the schedule's ends.
    pub fn sigma_at(&self, t: f64) -> f64 {
        let last = self.len() - 1;
        let t = t.clamp(0.0, last as f64);
        let lo = t.floor() as usize;
        let hi = (lo + 1).min(last);
        let w = t - lo as f64;
        self.sigma(lo) * (1.0 - w) + self.sigma(hi) * w
    }

    /// The fractional timestep whose σ̃ is `sigma`: linear interpolation of log σ̃ between the
    /// integer timesteps around it (diffusers' `_sigma_to_t`), clamped to the schedule's ends.
    pub fn timestep_of_sigma(&self, sigma: f64) -> f64 {
        let log_sigma = sigma.max(1e-10).ln();
        let logs: Vec<f64> = (0..self.len()).map(|t| self.sigma(t).ln()).collect();
        // σ̃ grows with t: find the last index whose log σ̃ is ≤ log_sigma
        let lo = logs
            .iter()
            .rposition(|&l| l <= log_sigma)
            .unwrap_or(0)
            .min(self.len() - 2);
        let (a, b) = (logs[lo], logs[lo + 1]);
        let w = ((a - log_sigma) / (a - b)).clamp(0.0, 1.0);
        lo as f64 + w
    }
}
