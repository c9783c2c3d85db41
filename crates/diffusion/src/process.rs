//! The noise process a model is trained on and sampled with, as one owned value: a discrete DDPM
//! schedule, one of the core's SDEs, or the linear path of flow matching. Samplers are built from it and keep what they need of it,
//! so a caller never passes a placeholder for the family it does not use, and a chain borrows
//! nothing (the page steps one across async turns).

use crate::sampler::registry::Family;
use crate::sde::{Sde, SdeKind};
use crate::{BetaSchedule, DiffusionError, DiscreteSchedule, Level};

#[derive(Debug, Clone, PartialEq)]
pub enum Process {
    /// A discrete DDPM schedule; its time is a training timestep 0 … T−1 (fractional in between).
    Discrete(DiscreteSchedule),
    /// A continuous SDE; its time is t ∈ [t_min, 1].
    Sde(SdeKind),
    /// The linear interpolant x_t = (1−t)·x₀ + t·ε, t ∈ [0, 1], of rectified flow and conditional
    /// flow matching (Liu et al. 2022, Lipman et al. 2022): a model learns its velocity
    /// dx_t/dt = ε − x₀ and samples by integrating that ODE from t = 1 to 0.
    Flow,
}

impl Process {
    /// A DDPM schedule by the name the page and the toy configs use ("linear": Ho et al.'s,
    /// "scaled-linear": Stable Diffusion's, "cosine": Nichol & Dhariwal's) with `train_steps`
    /// timesteps.
    pub fn ddpm(schedule: &str, train_steps: usize) -> Result<Self, DiffusionError> {
        let kind = match schedule {
            "linear" => BetaSchedule::LINEAR,
            "scaled-linear" => BetaSchedule::SCALED_LINEAR,
            "cosine" => BetaSchedule::Cosine,
            other => {
                return Err(DiffusionError::Unknown {
                    what: "schedule",
                    name: other.into(),
                    known: "linear, scaled-linear, cosine",
                });
            }
        };
        Ok(Self::Discrete(DiscreteSchedule::new(kind, train_steps)?))
    }

    /// An SDE by name (see [`SdeKind::by_name`]).
    pub fn sde(name: &str) -> Result<Self, DiffusionError> {
        SdeKind::by_name(name).map(Self::Sde)
    }

    pub fn is_sde(&self) -> bool {
        matches!(self, Self::Sde(_))
    }

    pub fn is_flow(&self) -> bool {
        matches!(self, Self::Flow)
    }

    /// Whether its time runs over [0, 1] (an SDE's or the flow's) rather than over training
    /// timesteps.
    pub fn is_continuous(&self) -> bool {
        !matches!(self, Self::Discrete(_))
    }

    /// The family of samplers that step this process.
    pub fn family(&self) -> Family {
        match self {
            Self::Discrete(_) => Family::Discrete,
            Self::Sde(_) => Family::Sde,
            Self::Flow => Family::Flow,
        }
    }

    /// The discrete schedule, if this is one.
    pub fn as_schedule(&self) -> Option<&DiscreteSchedule> {
        match self {
            Self::Discrete(s) => Some(s),
            _ => None,
        }
    }

    /// The SDE, if this is one.
    pub fn as_sde(&self) -> Option<&SdeKind> {
        match self {
            Self::Sde(s) => Some(s),
            _ => None,
        }
    }

    /// The process time at fraction `u` ∈ [0, 1] of its range (a training timestep for DDPM,
    /// t_min … 1 for an SDE, 0 … 1 for the flow): what the page's t-sliders mean.
    pub fn time_at(&self, u: f64) -> f64 {
        let u = u.clamp(0.0, 1.0);
        match self {
            Self::Discrete(s) => u * (s.len() - 1) as f64,
            Self::Sde(sde) => sde.t_min() + u * (1.0 - sde.t_min()),
            Self::Flow => u,
        }
    }

    /// (α, σ) at process time `t`; between integer timesteps of a schedule, σ̃ is interpolated as
    /// the samplers do, so the level matches what a model evaluated at a fractional t is told.
    pub fn level(&self, t: f64) -> Level {
        match self {
            Self::Discrete(s) => Level::vp_from_sigma(s.sigma_at(t)),
            Self::Sde(sde) => sde.level(t),
            Self::Flow => crate::flow::level(t),
        }
    }

    /// The process in a few words, for messages ("the vp SDE").
    pub fn describe(&self) -> String {
        match self {
            Self::Discrete(s) => format!("a discrete schedule of {} timesteps", s.len()),
            Self::Sde(sde) => format!("the {} SDE", sde.name()),
            Self::Flow => "the linear flow path".into(),
        }
    }
}

impl From<DiscreteSchedule> for Process {
    fn from(s: DiscreteSchedule) -> Self {
        Self::Discrete(s)
    }
}

impl From<SdeKind> for Process {
    fn from(s: SdeKind) -> Self {
        Self::Sde(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slider_fractions_span_each_process_and_levels_follow_it() {
        let ddpm = Process::ddpm("linear", 1000).unwrap();
        assert_eq!((ddpm.time_at(0.0), ddpm.time_at(1.0)), (0.0, 999.0));
        assert_eq!(ddpm.time_at(2.0), 999.0);
        let s = ddpm.as_schedule().unwrap();
        assert_eq!(ddpm.level(10.0), Level::vp_from_sigma(s.sigma(10)));
        let vp = Process::sde("vp").unwrap();
        assert!(vp.is_sde() && !ddpm.is_sde());
        assert_eq!(vp.time_at(0.0), 1e-3);
        assert_eq!(vp.level(0.5), crate::sde::Vp::default().level(0.5));
        assert_eq!(vp.describe(), "the vp SDE");
        assert!(Process::ddpm("sigmoid", 1000).is_err());
        assert!(Process::sde("vpp").is_err());
        let flow = Process::Flow;
        assert!(flow.is_flow() && flow.is_continuous() && !flow.is_sde() && !ddpm.is_continuous());
        assert_eq!(
            (flow.time_at(0.25), flow.level(0.25)),
            (
                0.25,
                Level {
                    alpha: 0.75,
                    sigma: 0.25
                }
            )
        );
    }
}
