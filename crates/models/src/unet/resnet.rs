//! diffusers' `ResnetBlock2D` (time_embedding_norm "default"): GroupNorm → SiLU → conv → + time
//! projection → GroupNorm → SiLU → dropout → conv, plus a 1×1 shortcut when channels change.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{
    Dropout, DropoutConfig, GroupNorm, GroupNormConfig, Linear, LinearConfig, PaddingConfig2d,
};
use burn::prelude::*;

use super::{fast_conv, fast_norm};
use crate::embedding::silu;

#[derive(Module, Debug)]
pub struct ResnetBlock {
    pub norm1: GroupNorm,
    pub conv1: Conv2d,
    pub time_emb_proj: Linear,
    pub norm2: GroupNorm,
    pub dropout: Dropout,
    pub conv2: Conv2d,
    pub conv_shortcut: Option<Conv2d>,
    pub output_scale_factor: f64,
}

pub fn conv3x3(cin: usize, cout: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([cin, cout], [3, 3])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .init(device)
}

pub fn group_norm(groups: usize, channels: usize, eps: f64, device: &Device) -> GroupNorm {
    GroupNormConfig::new(groups, channels)
        .with_epsilon(eps)
        .init(device)
}

impl ResnetBlock {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        cin: usize,
        cout: usize,
        temb: usize,
        groups: usize,
        eps: f64,
        dropout: f64,
        output_scale_factor: f64,
        device: &Device,
    ) -> Self {
        Self {
            norm1: group_norm(groups, cin, eps, device),
            conv1: conv3x3(cin, cout, device),
            time_emb_proj: LinearConfig::new(temb, cout).init(device),
            norm2: group_norm(groups, cout, eps, device),
            dropout: DropoutConfig::new(dropout).init(),
            conv2: conv3x3(cout, cout, device),
            conv_shortcut: (cin != cout)
                .then(|| Conv2dConfig::new([cin, cout], [1, 1]).init(device)),
            output_scale_factor,
        }
    }

    /// x: [B, Cin, H, W], temb: [B, T] → [B, Cout, H, W].
    pub fn forward(&self, x: Tensor<4>, temb: Tensor<2>) -> Tensor<4> {
        let h = fast_conv::forward(
            &self.conv1,
            fast_norm::forward(&self.norm1, x.clone(), true),
        );
        let t = self
            .time_emb_proj
            .forward(silu(temb))
            .unsqueeze_dim::<3>(2)
            .unsqueeze_dim::<4>(3);
        let h = h + t;
        let h = fast_conv::forward(
            &self.conv2,
            self.dropout
                .forward(fast_norm::forward(&self.norm2, h, true)),
        );
        let skip = match &self.conv_shortcut {
            Some(c) => c.forward(x),
            None => x,
        };
        let out = skip + h;
        if self.output_scale_factor == 1.0 {
            out
        } else {
            out / self.output_scale_factor
        }
    }
}
