//! diffusers' spatial self-attention (`Attention` as built by the U-Net's attention blocks):
//! GroupNorm over channels, q/k/v projections of each pixel, softmax(q·kᵀ/√d)·v per head, output
//! projection, residual.

use super::fast_norm;
use burn::nn::{GroupNorm, Linear, LinearConfig};
use burn::prelude::*;

use super::resnet::group_norm;

#[derive(Module, Debug)]
pub struct AttentionBlock {
    pub group_norm: GroupNorm,
    pub to_q: Linear,
    pub to_k: Linear,
    pub to_v: Linear,
    /// diffusers keeps `to_out` as a ModuleList [Linear, Dropout]; only the Linear has weights.
    pub to_out: Vec<Linear>,
    pub heads: usize,
    pub rescale_output_factor: f64,
}

impl AttentionBlock {
    pub fn new(
        channels: usize,
        head_dim: usize,
        groups: usize,
        eps: f64,
        rescale: f64,
        device: &Device,
    ) -> Self {
        let lin = || LinearConfig::new(channels, channels).init(device);
        Self {
            group_norm: group_norm(groups, channels, eps, device),
            to_q: lin(),
            to_k: lin(),
            to_v: lin(),
            to_out: vec![lin()],
            heads: channels / head_dim,
            rescale_output_factor: rescale,
        }
    }

    /// x: [B, C, H, W] → [B, C, H, W].
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [b, c, h, w] = x.dims();
        let n = h * w;
        let (heads, d) = (self.heads, c / self.heads);
        let hs = fast_norm::forward(&self.group_norm, x.clone(), false)
            .reshape([b, c, n])
            .swap_dims(1, 2); // [B, N, C]
        let split = |t: Tensor<3>| t.reshape([b, n, heads, d]).swap_dims(1, 2); // [B, heads, N, d]
        let q = split(self.to_q.forward(hs.clone()));
        let k = split(self.to_k.forward(hs.clone()));
        let v = split(self.to_v.forward(hs));
        let scores = q.matmul(k.swap_dims(2, 3)) / (d as f64).sqrt(); // [B, heads, N, N]
        let out = fast_norm::softmax_last(scores).matmul(v); // [B, heads, N, d]
        let out = out.swap_dims(1, 2).reshape([b, n, c]);
        let out = self.to_out[0]
            .forward(out)
            .swap_dims(1, 2)
            .reshape([b, c, h, w]);
        let out = out + x;
        if self.rescale_output_factor == 1.0 {
            out
        } else {
            out / self.rescale_output_factor
        }
    }
}
