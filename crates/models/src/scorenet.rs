//! The seeds' ScoreNet (Song's score-SDE tutorial, seed 000) for 28×28 MNIST on the VE SDE with
//! σ = 25: Gaussian Fourier time features (dim 256, scale 30), four unpadded convolutions
//! 1→32→64→128→256 (strides 1, 2, 2, 2) each with a dense time injection, GroupNorm (4 groups
//! first, then 32) and SiLU, three transposed convolutions back up with skip concatenation, and
//! the output divided by the marginal std σ(t) = √((σ^{2t} − 1)/(2 ln σ)), so it predicts the score.

use burn::module::Param;
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{GroupNorm, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::Distribution;
use serde::{Deserialize, Serialize};

use crate::embedding::{fourier_embedding, silu};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScoreNetConfig {
    pub channels: [usize; 4],
    pub embed_dim: usize,
    pub fourier_scale: f64,
    /// σ of the VE SDE the model was trained on.
    pub sigma: f64,
}

impl Default for ScoreNetConfig {
    fn default() -> Self {
        Self {
            channels: [32, 64, 128, 256],
            embed_dim: 256,
            fourier_scale: 30.0,
            sigma: 25.0,
        }
    }
}

#[derive(Module, Debug)]
pub struct ScoreNet {
    /// Fixed random frequencies (not trained), [embed_dim/2].
    pub fourier_w: Param<Tensor<1>>,
    pub embed: Linear,
    pub conv1: Conv2d,
    pub dense1: Linear,
    pub gnorm1: GroupNorm,
    pub conv2: Conv2d,
    pub dense2: Linear,
    pub gnorm2: GroupNorm,
    pub conv3: Conv2d,
    pub dense3: Linear,
    pub gnorm3: GroupNorm,
    pub conv4: Conv2d,
    pub dense4: Linear,
    pub gnorm4: GroupNorm,
    pub tconv4: ConvTranspose2d,
    pub dense5: Linear,
    pub tgnorm4: GroupNorm,
    pub tconv3: ConvTranspose2d,
    pub dense6: Linear,
    pub tgnorm3: GroupNorm,
    pub tconv2: ConvTranspose2d,
    pub dense7: Linear,
    pub tgnorm2: GroupNorm,
    pub tconv1: ConvTranspose2d,
    #[module(skip)]
    pub config: ScoreNetConfig,
}

fn conv(cin: usize, cout: usize, stride: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([cin, cout], [3, 3])
        .with_stride([stride, stride])
        .with_bias(false)
        .init(device)
}

fn tconv(
    cin: usize,
    cout: usize,
    stride: usize,
    out_pad: usize,
    bias: bool,
    device: &Device,
) -> ConvTranspose2d {
    ConvTranspose2dConfig::new([cin, cout], [3, 3])
        .with_stride([stride, stride])
        .with_padding_out([out_pad, out_pad])
        .with_bias(bias)
        .init(device)
}

fn gn(groups: usize, ch: usize, device: &Device) -> GroupNorm {
    burn::nn::GroupNormConfig::new(groups, ch).init(device)
}

/// Adds a dense time projection [B, C] to a feature map [B, C, H, W].
fn add_time(h: Tensor<4>, dense: &Linear, embed: &Tensor<2>) -> Tensor<4> {
    h + dense
        .forward(embed.clone())
        .unsqueeze_dim::<3>(2)
        .unsqueeze_dim::<4>(3)
}

impl ScoreNetConfig {
    /// Refuses configs the network cannot be built with (its GroupNorms take 4 groups on the
    /// first level and 32 on every other), naming the field.
    pub fn validate(&self) -> Result<(), crate::ModelError> {
        let bad = |m: String| Err(crate::ModelError::Config(m));
        let [c1, c2, c3, c4] = self.channels;
        if c1 == 0 || c1 % 32 != 0 {
            return bad(format!(
                "channels[0] = {c1} must be a positive multiple of 32"
            ));
        }
        if let Some(c) = [c2, c3, c4].into_iter().find(|c| *c == 0 || c % 32 != 0) {
            return bad(format!(
                "channels {:?}: {c} is not a positive multiple of 32",
                self.channels
            ));
        }
        if self.embed_dim < 2 || self.embed_dim % 2 != 0 {
            return bad(format!(
                "embed_dim = {} must be even and at least 2",
                self.embed_dim
            ));
        }
        if !(self.fourier_scale.is_finite() && self.fourier_scale > 0.0) {
            return bad(format!(
                "fourier_scale = {} must be positive",
                self.fourier_scale
            ));
        }
        if !(self.sigma.is_finite() && self.sigma > 1.0) {
            return bad(format!("sigma = {} must be above 1", self.sigma));
        }
        Ok(())
    }
}

impl ScoreNet {
    /// The network for a config (check it first with [`ScoreNetConfig::validate`]; a config it
    /// refuses panics here).
    pub fn new(config: &ScoreNetConfig, device: &Device) -> Self {
        let [c1, c2, c3, c4] = config.channels;
        let e = config.embed_dim;
        let dense = |c: usize| LinearConfig::new(e, c).init(device);
        let w = Tensor::<1>::random(
            [e / 2],
            Distribution::Normal(0.0, config.fourier_scale),
            device,
        );
        Self {
            fourier_w: Param::from_tensor(w).set_require_grad(false),
            embed: LinearConfig::new(e, e).init(device),
            conv1: conv(1, c1, 1, device),
            dense1: dense(c1),
            gnorm1: gn(4, c1, device),
            conv2: conv(c1, c2, 2, device),
            dense2: dense(c2),
            gnorm2: gn(32, c2, device),
            conv3: conv(c2, c3, 2, device),
            dense3: dense(c3),
            gnorm3: gn(32, c3, device),
            conv4: conv(c3, c4, 2, device),
            dense4: dense(c4),
            gnorm4: gn(32, c4, device),
            tconv4: tconv(c4, c3, 2, 0, false, device),
            dense5: dense(c3),
            tgnorm4: gn(32, c3, device),
            tconv3: tconv(c3 + c3, c2, 2, 1, false, device),
            dense6: dense(c2),
            tgnorm3: gn(32, c2, device),
            tconv2: tconv(c2 + c2, c1, 2, 1, false, device),
            dense7: dense(c1),
            tgnorm2: gn(32, c1, device),
            tconv1: tconv(c1 + c1, 1, 1, 0, true, device),
            config: config.clone(),
        }
    }

    /// Marginal std of the VE SDE at times t: √((σ^{2t} − 1)/(2 ln σ)).
    pub fn marginal_std(&self, t: Tensor<1>) -> Tensor<1> {
        let ln_s = self.config.sigma.ln();
        ((t * (2.0 * ln_s)).exp() - 1.0)
            .div_scalar(2.0 * ln_s)
            .sqrt()
    }

    /// x: [B, 1, 28, 28], t: [B] in (0, 1] → the score, [B, 1, 28, 28].
    pub fn forward(&self, x: Tensor<4>, t: Tensor<1>) -> Tensor<4> {
        let embed = silu(
            self.embed
                .forward(fourier_embedding(t.clone(), self.fourier_w.val())),
        );
        let h1 = silu(
            self.gnorm1
                .forward(add_time(self.conv1.forward(x), &self.dense1, &embed)),
        );
        let h2 = silu(self.gnorm2.forward(add_time(
            self.conv2.forward(h1.clone()),
            &self.dense2,
            &embed,
        )));
        let h3 = silu(self.gnorm3.forward(add_time(
            self.conv3.forward(h2.clone()),
            &self.dense3,
            &embed,
        )));
        let h4 = silu(self.gnorm4.forward(add_time(
            self.conv4.forward(h3.clone()),
            &self.dense4,
            &embed,
        )));
        let h = silu(
            self.tgnorm4
                .forward(add_time(self.tconv4.forward(h4), &self.dense5, &embed)),
        );
        let h = Tensor::cat(vec![h, h3], 1);
        let h = silu(
            self.tgnorm3
                .forward(add_time(self.tconv3.forward(h), &self.dense6, &embed)),
        );
        let h = Tensor::cat(vec![h, h2], 1);
        let h = silu(
            self.tgnorm2
                .forward(add_time(self.tconv2.forward(h), &self.dense7, &embed)),
        );
        let h = self.tconv1.forward(Tensor::cat(vec![h, h1], 1));
        let std = self
            .marginal_std(t)
            .unsqueeze_dim::<2>(1)
            .unsqueeze_dim::<3>(2)
            .unsqueeze_dim::<4>(3);
        h / std
    }
}
