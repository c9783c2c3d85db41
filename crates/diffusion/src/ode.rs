//! The ordinary differential equation a deterministic sampler integrates and a likelihood is
//! computed along, from t = 1 (the prior) down to its end: an SDE's probability-flow ODE
//! f(t)·x − ½g(t)²·∇log p_t(x) (Song et al. 2021), or the linear flow path's velocity ε − x₀.
//! [`crate::sampler::FlowRk45`] and [`crate::likelihood`] take either.

use burn::prelude::*;

use crate::denoiser::Denoiser;
use crate::sde::{Sde, SdeKind, reverse_drift};
use crate::{DiffusionError, Level, Process, flow};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ode {
    /// An SDE's probability-flow ODE.
    ProbabilityFlow(SdeKind),
    /// dx/dt = ε̂ − x̂₀ on x_t = (1−t)·x₀ + t·ε.
    Linear,
}

impl Ode {
    /// The ODE of a continuous process (a discrete schedule has none: it is an error).
    pub fn of(process: &Process) -> Result<Self, DiffusionError> {
        match process {
            Process::Sde(sde) => Ok(Self::ProbabilityFlow(*sde)),
            Process::Flow => Ok(Self::Linear),
            Process::Discrete(_) => Err(DiffusionError::Unsupported(
                "a discrete schedule has no ODE in time t; train on an SDE or the flow".into(),
            )),
        }
    }

    /// dx/dt at (x, t), and the x̂₀ the model predicted there.
    pub fn drift<const D: usize>(
        &self,
        model: &dyn Denoiser<D>,
        x: &Tensor<D>,
        t: f64,
    ) -> (Tensor<D>, Tensor<D>) {
        match self {
            Self::ProbabilityFlow(sde) => reverse_drift(sde, model, x, t, true),
            Self::Linear => {
                let p = model.predict(x, t, flow::level(t));
                (p.velocity(), p.x0)
            }
        }
    }

    /// (α, σ) at t.
    pub fn level(&self, t: f64) -> Level {
        match self {
            Self::ProbabilityFlow(sde) => sde.level(t),
            Self::Linear => flow::level(t),
        }
    }

    /// Where integration stops: the SDE's t_min (its score blows up at 0), the flow's 0.
    pub fn t_end(&self) -> f64 {
        match self {
            Self::ProbabilityFlow(sde) => sde.t_min(),
            Self::Linear => 0.0,
        }
    }

    /// Standard deviation of the prior at t = 1.
    pub fn prior_sigma(&self) -> f64 {
        match self {
            Self::ProbabilityFlow(sde) => sde.prior_sigma(),
            Self::Linear => 1.0,
        }
    }
}

impl From<SdeKind> for Ode {
    fn from(sde: SdeKind) -> Self {
        Self::ProbabilityFlow(sde)
    }
}

impl From<crate::sde::Vp> for Ode {
    fn from(sde: crate::sde::Vp) -> Self {
        Self::ProbabilityFlow(sde.into())
    }
}
