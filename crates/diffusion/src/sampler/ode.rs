//! Fixed-step solvers of an [`Ode`] (an SDE's probability-flow ODE, or the linear flow path's
//! velocity) on N + 1 times evenly spaced from 1 down to the ODE's end: Euler (one model
//! evaluation a step) and Heun (two). The adaptive RK45 is [`super::FlowRk45`].

use burn::prelude::*;

use super::{Denoiser, Sampler, Step};
use crate::noise::NoiseSource;
use crate::{DiffusionError, Ode};

/// `steps` times evenly spaced from 1 down to `end` (both included).
pub(super) fn times(end: f64, steps: usize) -> Result<Vec<f64>, DiffusionError> {
    if steps < 2 {
        return Err(DiffusionError::OutOfRange {
            name: "steps",
            value: steps as f64,
            expected: "at least 2",
        });
    }
    Ok((0..steps)
        .map(|i| 1.0 - (1.0 - end) * i as f64 / (steps - 1) as f64)
        .collect())
}

/// Which rule a [`FixedOde`] steps with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Euler,
    /// Heun's method: an Euler step, then the mean of the two slopes.
    Heun,
}

/// Euler or Heun on an ODE, `steps` steps from t = 1 to its end. It owns its ODE, so a built
/// sampler borrows nothing.
#[derive(Debug, Clone)]
pub struct FixedOde {
    ode: Ode,
    rule: Rule,
    times: Vec<f64>,
    next: usize,
}

impl FixedOde {
    pub fn new(ode: impl Into<Ode>, rule: Rule, steps: usize) -> Result<Self, DiffusionError> {
        let ode = ode.into();
        if steps == 0 {
            return Err(DiffusionError::OutOfRange {
                name: "steps",
                value: 0.0,
                expected: "at least 1",
            });
        }
        Ok(Self {
            times: times(ode.t_end(), steps + 1)?,
            ode,
            rule,
            next: 0,
        })
    }
}

impl<const D: usize> Sampler<D> for FixedOde {
    fn len(&self) -> usize {
        self.times.len() - 1
    }

    fn init_sigma(&self) -> f64 {
        self.ode.prior_sigma()
    }

    fn step(
        &mut self,
        model: &dyn Denoiser<D>,
        x: &Tensor<D>,
        _noise: &mut dyn NoiseSource,
    ) -> Result<Option<Step<D>>, DiffusionError> {
        let i = self.next;
        if i + 1 >= self.times.len() {
            return Ok(None);
        }
        let (t, t_next) = (self.times[i], self.times[i + 1]);
        let dt = t_next - t;
        let (d1, x0) = self.ode.drift(model, x, t);
        let euler = x.clone() + d1.clone() * dt;
        let next = match self.rule {
            Rule::Euler => euler,
            Rule::Heun => {
                let (d2, _) = self.ode.drift(model, &euler, t_next);
                x.clone() + (d1 + d2) * (dt / 2.0)
            }
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
