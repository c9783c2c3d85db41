//! The 2-D denoiser of the in-tab trainer: an MLP on [x, time features] with SiLU, width and depth
//! adjustable; time features sinusoidal (diffusers-style) or the seeds' Gaussian Fourier ones.

use burn::module::Param;
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::Distribution;
use serde::{Deserialize, Serialize};

use crate::ModelError;
use crate::embedding::{fourier_embedding, silu, timestep_embedding};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum TimeFeatures {
    /// [sin, cos] of t at geometric frequencies (10000^(−k/(dim/2 − 1))).
    Sinusoidal,
    /// The seeds' random Fourier features with N(0, scale²) frequencies.
    Fourier { scale: f64 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlpConfig {
    pub dim: usize,
    pub width: usize,
    /// Hidden layers.
    pub depth: usize,
    pub time_dim: usize,
    pub time_features: TimeFeatures,
    /// The model sees t·time_scale (e.g. 1000 for SDE times in (0, 1] with sinusoidal features).
    pub time_scale: f64,
}

impl Default for MlpConfig {
    fn default() -> Self {
        Self {
            dim: 2,
            width: 128,
            depth: 3,
            time_dim: 32,
            time_features: TimeFeatures::Sinusoidal,
            time_scale: 1.0,
        }
    }
}

#[derive(Module, Debug)]
pub struct Mlp {
    pub fourier_w: Option<Param<Tensor<1>>>,
    pub input: Linear,
    pub hidden: Vec<Linear>,
    pub output: Linear,
    #[module(skip)]
    pub config: MlpConfig,
}

impl Mlp {
    pub fn new(config: &MlpConfig, device: &Device) -> Result<Self, ModelError> {
        let c = config;
        if c.depth == 0
            || c.width == 0
            || c.width > 4096
            || c.depth > 16
            || c.time_dim < 2
            || c.time_dim % 2 != 0
        {
            return Err(ModelError::Config(format!(
                "MLP needs 1–16 hidden layers of 1–4096 units and an even time_dim ≥ 2 (got depth {}, width {}, time_dim {})",
                c.depth, c.width, c.time_dim
            )));
        }
        let fourier_w = match c.time_features {
            TimeFeatures::Fourier { scale } => Some(
                Param::from_tensor(Tensor::<1>::random(
                    [c.time_dim / 2],
                    Distribution::Normal(0.0, scale),
                    device,
                ))
                .set_require_grad(false),
            ),
            TimeFeatures::Sinusoidal => None,
        };
        Ok(Self {
            fourier_w,
            input: LinearConfig::new(c.dim + c.time_dim, c.width).init(device),
            hidden: (1..c.depth)
                .map(|_| LinearConfig::new(c.width, c.width).init(device))
                .collect(),
            output: LinearConfig::new(c.width, c.dim).init(device),
            config: c.clone(),
        })
    }

    /// x: [B, dim], t: [B] → [B, dim].
    pub fn forward(&self, x: Tensor<2>, t: Tensor<1>) -> Tensor<2> {
        let t = t * self.config.time_scale;
        let temb = match &self.fourier_w {
            Some(w) => fourier_embedding(t, w.val()),
            None => timestep_embedding(t, self.config.time_dim, false, 1.0),
        };
        let mut h = silu(self.input.forward(Tensor::cat(vec![x, temb], 1)));
        for layer in &self.hidden {
            h = silu(layer.forward(h));
        }
        self.output.forward(h)
    }
}
