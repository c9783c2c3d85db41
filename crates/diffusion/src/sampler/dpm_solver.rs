//! DPM-Solver++(2M) (Lu et al. 2022, alg. 2): a second-order multistep solver of the
//! probability-flow ODE in data-prediction form. With λ = log(α/σ) and h = λ_t − λ_s,
//! x_t = (σ_t/σ_s)·x_s − α_t·(e^{−h} − 1)·(D₀ + D₁/2), D₀ = x̂₀(s), D₁ = (x̂₀(s) − x̂₀(s'))·h/h₀;
//! the first step (and by default the last) is first order.

use burn::prelude::*;

use super::karras::karras_sigmas;
use super::{Denoiser, Sampler, Spacing, Step, X0Clip, check_steps};
use crate::noise::NoiseSource;
use crate::{DiffusionError, DiscreteSchedule, Level};

#[derive(Debug, Clone)]
pub struct DpmSolverPP2M<const D: usize> {
    timesteps: Vec<f64>,
    /// σ̃ per step, then the final one (0 unless `final_sigma_min`).
    sigmas: Vec<f64>,
    order: usize,
    lower_order_final: bool,
    euler_at_final: bool,
    final_zero: bool,
    clip: X0Clip,
    prev_x0: Option<Tensor<D>>,
    next: usize,
}

/// Options beyond the step count (diffusers' names in brackets).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DpmOptions {
    pub spacing: Spacing,
    pub offset: usize,
    /// Karras et al.'s ρ = 7 σ spacing [`use_karras_sigmas`].
    pub karras: bool,
    /// 1 or 2 [`solver_order`].
    pub order: usize,
    /// First order at the last step of short chains (< 15 steps) [`lower_order_final`].
    pub lower_order_final: bool,
    /// First order at the last step whatever the length [`euler_at_final`].
    pub euler_at_final: bool,
    /// End at σ = 0 rather than σ̃_0 [`final_sigmas_type`]; the last step is then first order.
    pub final_zero: bool,
    /// Treatment of x̂₀ [`thresholding`].
    pub clip: X0Clip,
}

impl Default for DpmOptions {
    fn default() -> Self {
        Self {
            spacing: Spacing::Linspace,
            offset: 0,
            karras: false,
            order: 2,
            lower_order_final: true,
            euler_at_final: false,
            final_zero: true,
            clip: X0Clip::None,
        }
    }
}

impl<const D: usize> DpmSolverPP2M<D> {
    pub fn new(
        schedule: &DiscreteSchedule,
        steps: usize,
        opts: DpmOptions,
    ) -> Result<Self, DiffusionError> {
        let train = schedule.len();
        check_steps(steps, train)?;
        if !(1..=2).contains(&opts.order) {
            return Err(DiffusionError::OutOfRange {
                name: "solver_order",
                value: opts.order as f64,
                expected: "1 or 2 (2M is a second-order method)",
            });
        }
        // diffusers spaces n + 1 points and drops the last one
        let mut timesteps: Vec<f64> = match opts.spacing {
            Spacing::Linspace => super::spacing::linspace_desc(train, steps + 1)
                .into_iter()
                .map(f64::round_ties_even)
                .take(steps)
                .collect(),
            Spacing::Leading => {
                let ratio = train / (steps + 1);
                (1..=steps)
                    .rev()
                    .map(|i| (i * ratio + opts.offset) as f64)
                    .collect()
            }
            Spacing::Trailing => Spacing::Trailing.timesteps(train, steps, 0),
        };
        let mut sigmas: Vec<f64> = timesteps.iter().map(|&t| schedule.sigma_at(t)).collect();
        if opts.karras {
            sigmas = karras_sigmas(schedule.sigma(0), schedule.sigma(train - 1), steps);
            timesteps = sigmas
                .iter()
                .map(|&s| schedule.timestep_of_sigma(s).round_ties_even())
                .collect();
        }
        sigmas.push(if opts.final_zero {
            0.0
        } else {
            schedule.sigma(0)
        });
        Ok(Self {
            timesteps,
            sigmas,
            order: opts.order,
            lower_order_final: opts.lower_order_final,
            euler_at_final: opts.euler_at_final,
            final_zero: opts.final_zero,
            clip: opts.clip,
            prev_x0: None,
            next: 0,
        })
    }

    pub fn timesteps(&self) -> &[f64] {
        &self.timesteps
    }
}

/// λ = log α − log σ of the VP level with noise-to-signal ratio σ̃ (+∞ at σ̃ = 0).
fn lambda(sigma_tilde: f64) -> f64 {
    let l = Level::vp_from_sigma(sigma_tilde);
    l.alpha.ln() - l.sigma.ln()
}

impl<const D: usize> Sampler<D> for DpmSolverPP2M<D> {
    fn len(&self) -> usize {
        self.timesteps.len()
    }

    fn init_sigma(&self) -> f64 {
        1.0
    }

    fn step(
        &mut self,
        model: &dyn Denoiser<D>,
        x: &Tensor<D>,
        _noise: &mut dyn NoiseSource,
    ) -> Result<Option<Step<D>>, DiffusionError> {
        let i = self.next;
        let Some(&t) = self.timesteps.get(i) else {
            return Ok(None);
        };
        let n = self.timesteps.len();
        let (s, s_to) = (self.sigmas[i], self.sigmas[i + 1]);
        let (from, to) = (Level::vp_from_sigma(s), Level::vp_from_sigma(s_to));
        let x0 = self.clip.apply(model.predict(x, t, from)).x0;
        let h = lambda(s_to) - lambda(s);
        let c = -to.alpha * ((-h).exp() - 1.0);
        let last = i == n - 1;
        let lower_final =
            last && (self.euler_at_final || (self.lower_order_final && n < 15) || self.final_zero);
        // a repeated timestep (e.g. 1000 steps rounded onto 1000 timesteps) gives h₀ = 0: first order
        let h0 = if i > 0 {
            lambda(s) - lambda(self.sigmas[i - 1])
        } else {
            0.0
        };
        let next = match &self.prev_x0 {
            Some(prev) if self.order == 2 && !lower_final && h0 > 0.0 && (h / h0).is_finite() => {
                let d1 = (x0.clone() - prev.clone()) * (h / h0);
                x.clone() * (to.sigma / from.sigma) + x0.clone() * c + d1 * (0.5 * c)
            }
            _ => x.clone() * (to.sigma / from.sigma) + x0.clone() * c,
        };
        self.prev_x0 = Some(x0.clone());
        self.next += 1;
        Ok(Some(Step {
            index: i,
            t,
            x: next,
            x0,
        }))
    }
}
