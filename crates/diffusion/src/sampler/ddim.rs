//! Deterministic DDIM (Song, Meng & Ermon 2021, eq. 12 with σ_t = 0):
//! x_{t'} = √ᾱ_{t'}·x̂₀ + √(1−ᾱ_{t'})·ε̂, with x̂₀ = (x_t − √(1−ᾱ_t)·ε̂)/√ᾱ_t.
//! Also a first-order solver of the probability-flow ODE.

use burn::prelude::*;

use super::{Denoiser, Step};
use crate::{DiffusionError, DiscreteSchedule};

/// Where the sampling timesteps fall among the training ones (diffusers' `timestep_spacing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spacing {
    /// t = i·(T/n), i = n−1 … 0 (integer division).
    Leading,
    /// t = round(T − i·T/n) − 1, i = 0 … n−1: the chain starts at the last timestep.
    Trailing,
}

/// A DDIM chain over a schedule, stepped one timestep at a time.
#[derive(Debug, Clone)]
pub struct Ddim {
    /// (t, ᾱ_t, ᾱ_prev) per step, from noisiest to cleanest.
    steps: Vec<(usize, f64, f64)>,
    next: usize,
}

impl Ddim {
    /// `steps` sampling steps over `schedule`; the last step lands on ᾱ = 1 (a clean sample).
    pub fn new(
        schedule: &DiscreteSchedule,
        steps: usize,
        spacing: Spacing,
    ) -> Result<Self, DiffusionError> {
        let train = schedule.len();
        if steps == 0 || steps > train {
            return Err(DiffusionError::BadStepCount { steps, train });
        }
        let ts: Vec<usize> = match spacing {
            Spacing::Leading => (0..steps).rev().map(|i| i * (train / steps)).collect(),
            Spacing::Trailing => {
                let ratio = train as f64 / steps as f64;
                (0..steps)
                    .map(|i| ((train as f64 - i as f64 * ratio).round() as usize).saturating_sub(1))
                    .collect()
            }
        };
        let steps = ts
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                let prev = ts.get(i + 1).map_or(1.0, |&p| schedule.alpha_bar(p));
                (t, schedule.alpha_bar(t), prev)
            })
            .collect();
        Ok(Self { steps, next: 0 })
    }

    /// Number of steps in the chain.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// True when the chain has no steps (never, once built).
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The training timesteps visited, noisiest first.
    pub fn timesteps(&self) -> Vec<usize> {
        self.steps.iter().map(|s| s.0).collect()
    }

    /// Takes the next step from `x`, or `None` once the chain has reached x₀.
    pub fn step<const D: usize>(
        &mut self,
        model: &impl Denoiser<D>,
        x: &Tensor<D>,
    ) -> Option<Step<D>> {
        let &(t, ab, ab_prev) = self.steps.get(self.next)?;
        let eps = model.eps(x.clone(), t, ab);
        let x0 = (x.clone() - eps.clone() * (1.0 - ab).sqrt()) / ab.sqrt();
        let x = x0.clone() * ab_prev.sqrt() + eps * (1.0 - ab_prev).sqrt();
        let index = self.next;
        self.next += 1;
        Some(Step { index, x, x0 })
    }
}
