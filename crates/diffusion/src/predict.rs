//! What a network predicts, and how to get every other prediction from it. With
//! x_t = α·x₀ + σ·ε (any process, see [`Level`]):
//! ε̂ = (x − α·x̂₀)/σ, x̂₀ = (x − σ·ε̂)/α, score = −ε̂/σ, and, on the VP-normalised sample
//! x/r with r = √(α²+σ²), v = (α·ε − σ·x₀)/r (Salimans & Ho 2022, §4); on the linear flow path
//! (α + σ = 1) the velocity is u = ε − x₀, so x̂₀ = (x − σ·u)/(α + σ) and ε̂ = u + x̂₀.

use burn::prelude::*;

use crate::{DiffusionError, Level};

/// The quantity a model outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parameterization {
    /// The noise ε (DDPM's ε-prediction).
    Epsilon,
    /// The clean sample x₀.
    Sample,
    /// The velocity v = α·ε − σ·x₀.
    Velocity,
    /// The score ∇ log p_t(x) = −ε/σ.
    Score,
    /// The linear flow path's velocity dx_t/dt = ε − x₀ (flow matching's target).
    Flow,
}

impl std::str::FromStr for Parameterization {
    type Err = DiffusionError;
    fn from_str(s: &str) -> Result<Self, DiffusionError> {
        match s {
            "epsilon" | "eps" => Ok(Self::Epsilon),
            "sample" | "x0" => Ok(Self::Sample),
            "v_prediction" | "v" => Ok(Self::Velocity),
            "score" => Ok(Self::Score),
            "flow" | "velocity" => Ok(Self::Flow),
            other => Err(DiffusionError::Unknown {
                what: "prediction type",
                name: other.into(),
                known: "epsilon, sample, v_prediction, score, flow",
            }),
        }
    }
}

/// A denoiser's answer at (x_t, level): the noise and the clean sample it implies.
#[derive(Debug, Clone)]
pub struct Prediction<const D: usize> {
    pub eps: Tensor<D>,
    pub x0: Tensor<D>,
}

impl<const D: usize> Prediction<D> {
    /// Converts a model's raw `output` of kind `kind` at sample `x` and `level`.
    pub fn from_output(
        kind: Parameterization,
        output: Tensor<D>,
        x: &Tensor<D>,
        level: Level,
    ) -> Self {
        let Level { alpha, sigma } = level;
        match kind {
            Parameterization::Epsilon => Self {
                x0: (x.clone() - output.clone() * sigma) / alpha,
                eps: output,
            },
            Parameterization::Sample => Self {
                eps: (x.clone() - output.clone() * alpha) / sigma,
                x0: output,
            },
            Parameterization::Velocity => {
                let r = (alpha * alpha + sigma * sigma).sqrt();
                let (a, s) = (alpha / r, sigma / r);
                let xn = x.clone() / r;
                Self {
                    x0: xn.clone() * a - output.clone() * s,
                    eps: xn * s + output * a,
                }
            }
            Parameterization::Score => {
                let eps = output * (-sigma);
                Self {
                    x0: (x.clone() - eps.clone() * sigma) / alpha,
                    eps,
                }
            }
            Parameterization::Flow => {
                // x = α·x₀ + σ·ε and u = ε − x₀ give x = (α + σ)·x₀ + σ·u: no division by a
                // vanishing α or σ at either end of the path
                let x0 = (x.clone() - output.clone() * sigma) / (alpha + sigma);
                Self {
                    eps: output + x0.clone(),
                    x0,
                }
            }
        }
    }

    /// The prediction expressed as `kind` (the inverse of [`Self::from_output`]).
    pub fn as_output(&self, kind: Parameterization, level: Level) -> Tensor<D> {
        let Level { alpha, sigma } = level;
        match kind {
            Parameterization::Epsilon => self.eps.clone(),
            Parameterization::Sample => self.x0.clone(),
            Parameterization::Velocity => {
                let r = (alpha * alpha + sigma * sigma).sqrt();
                (self.eps.clone() * alpha - self.x0.clone() * sigma) / r
            }
            Parameterization::Score => self.eps.clone() / (-sigma),
            Parameterization::Flow => self.velocity(),
        }
    }

    /// The linear flow path's velocity u = ε̂ − x̂₀ (what a flow sampler integrates).
    pub fn velocity(&self) -> Tensor<D> {
        self.eps.clone() - self.x0.clone()
    }

    /// ∇ log p_t(x) = −ε̂/σ.
    pub fn score(&self, level: Level) -> Tensor<D> {
        self.eps.clone() / (-level.sigma)
    }

    /// ε̂ recomputed from x̂₀ (after x̂₀ was clipped, say).
    pub fn eps_from_x0(self, x: &Tensor<D>, level: Level) -> Self {
        Self {
            eps: (x.clone() - self.x0.clone() * level.alpha) / level.sigma,
            x0: self.x0,
        }
    }
}
