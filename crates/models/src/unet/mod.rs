//! A U-Net with diffusers' `UNet2DModel` structure and parameter names, so diffusers checkpoints
//! load into it and its own checkpoints load into diffusers: positional time embedding, optional
//! class embedding (one extra row serves as "no class" for classifier-free guidance), down blocks
//! with optional self-attention, a mid block, up blocks fed by skips, GroupNorm → SiLU → conv out.

mod attention;
mod blocks;
mod config;
mod conv_kernel;
pub mod fast_conv;
pub mod fast_norm;
mod legacy_keys;
mod resnet;

pub use attention::AttentionBlock;
pub use blocks::{BlockSettings, DownBlock, Downsample, MidBlock, UpBlock, Upsample};
pub use config::UNetConfig;
pub use legacy_keys::rename_legacy_attention;
pub use resnet::ResnetBlock;

use burn::nn::conv::Conv2d;
use burn::nn::{Embedding, EmbeddingConfig, GroupNorm, Linear, LinearConfig};
use burn::prelude::*;

use crate::ModelError;
use crate::embedding::{silu, timestep_embedding};
use resnet::{conv3x3, group_norm};

/// diffusers' `TimestepEmbedding`: Linear → SiLU → Linear.
#[derive(Module, Debug)]
pub struct TimeMlp {
    pub linear_1: Linear,
    pub linear_2: Linear,
}

#[derive(Module, Debug)]
pub struct UNet {
    pub conv_in: Conv2d,
    pub time_embedding: TimeMlp,
    pub class_embedding: Option<Embedding>,
    pub down_blocks: Vec<DownBlock>,
    pub mid_block: MidBlock,
    pub up_blocks: Vec<UpBlock>,
    pub conv_norm_out: GroupNorm,
    pub conv_out: Conv2d,
    #[module(skip)]
    pub config: UNetConfig,
}

impl UNet {
    /// Builds a freshly initialised U-Net (Burn's default initialisers).
    pub fn new(config: &UNetConfig, device: &Device) -> Result<Self, ModelError> {
        config.validate()?;
        let c = config;
        let ch = &c.block_out_channels;
        let n = ch.len();
        let temb = c.time_embed_dim();
        let s = BlockSettings {
            temb,
            groups: c.norm_num_groups,
            eps: c.norm_eps,
            dropout: c.dropout,
        };
        let mut down_blocks = Vec::with_capacity(n);
        let mut out = ch[0];
        for i in 0..n {
            let input = out;
            out = ch[i];
            let head = c
                .down_attention(i)
                .then(|| c.attention_head_dim.unwrap_or(out));
            let down = (i + 1 < n).then_some(c.downsample_padding);
            down_blocks.push(DownBlock::new(
                input,
                out,
                c.layers_per_block,
                head,
                down,
                s,
                device,
            ));
        }
        let last = ch[n - 1];
        let mid_block = MidBlock::new(
            last,
            c.attention_head_dim.unwrap_or(last),
            c.add_attention,
            c.mid_block_scale_factor,
            s,
            device,
        );
        let rev: Vec<usize> = ch.iter().rev().copied().collect();
        let mut up_blocks = Vec::with_capacity(n);
        let mut out = rev[0];
        for i in 0..n {
            let prev = out;
            out = rev[i];
            let skip_in = rev[(i + 1).min(n - 1)];
            let head = c
                .up_attention(i)
                .then(|| c.attention_head_dim.unwrap_or(out));
            up_blocks.push(UpBlock::new(
                prev,
                skip_in,
                out,
                c.layers_per_block + 1,
                head,
                i + 1 < n,
                s,
                device,
            ));
        }
        Ok(Self {
            conv_in: conv3x3(c.in_channels, ch[0], device),
            time_embedding: TimeMlp {
                linear_1: LinearConfig::new(ch[0], temb).init(device),
                linear_2: LinearConfig::new(temb, temb).init(device),
            },
            class_embedding: c
                .num_class_embeds
                .map(|k| EmbeddingConfig::new(k, temb).init(device)),
            down_blocks,
            mid_block,
            up_blocks,
            conv_norm_out: group_norm(c.norm_num_groups, ch[0], c.norm_eps, device),
            conv_out: conv3x3(ch[0], c.out_channels, device),
            config: c.clone(),
        })
    }

    /// x: [B, C, H, W]; t: [B] training timesteps (may be fractional); classes: [B] class
    /// indices (None for a class-conditional model means the "no class" row). Returns the network output,
    /// [B, out_channels, H, W].
    pub fn forward(
        &self,
        x: Tensor<4>,
        t: Tensor<1>,
        classes: Option<Tensor<1, Int>>,
    ) -> Tensor<4> {
        let c = &self.config;
        let [b] = t.dims();
        let (x, mut emb) = self.time_embedded(x, t);
        if let Some(embed) = &self.class_embedding {
            // No labels means "no class": the last row, which classifier-free training uses.
            let classes = classes.unwrap_or_else(|| {
                let null = embed.weight.dims()[0] as i64 - 1;
                Tensor::<1, Int>::full([b], null, &emb.device())
            });
            let e = embed.forward(classes.reshape([b, 1]));
            emb = emb + e.reshape([b, c.time_embed_dim()]);
        }
        self.from_embedding(x, emb)
    }

    /// The same with each image's class embedding a blend of the table's rows: `weights` is
    /// [B, rows] (a one-hot row is that class; the last row is "no class"), as interpolating
    /// between classes does. A model without classes ignores it.
    pub fn forward_blended(&self, x: Tensor<4>, t: Tensor<1>, weights: Tensor<2>) -> Tensor<4> {
        let (x, mut emb) = self.time_embedded(x, t);
        if let Some(embed) = &self.class_embedding {
            emb = emb + weights.matmul(embed.weight.val());
        }
        self.from_embedding(x, emb)
    }

    /// The input as the network takes it, and the time embedding [B, time_embed_dim].
    fn time_embedded(&self, x: Tensor<4>, t: Tensor<1>) -> (Tensor<4>, Tensor<2>) {
        let c = &self.config;
        let x = if c.center_input_sample {
            x * 2.0 - 1.0
        } else {
            x
        };
        let t_emb = timestep_embedding(t, c.block_out_channels[0], c.flip_sin_to_cos, c.freq_shift);
        let emb = self
            .time_embedding
            .linear_2
            .forward(silu(self.time_embedding.linear_1.forward(t_emb)));
        (x, emb)
    }

    /// The network after its time (and class) embedding `emb`, [B, time_embed_dim].
    fn from_embedding(&self, x: Tensor<4>, emb: Tensor<2>) -> Tensor<4> {
        let mut h = fast_conv::forward(&self.conv_in, x);
        let mut skips = vec![h.clone()];
        for block in &self.down_blocks {
            h = block.forward(h, &emb, &mut skips);
        }
        h = self.mid_block.forward(h, &emb);
        for block in &self.up_blocks {
            h = block.forward(h, &emb, &mut skips);
        }
        fast_conv::forward(
            &self.conv_out,
            fast_norm::forward(&self.conv_norm_out, h, true),
        )
    }

    /// Number of classes the embedding knows, the "no class" row included.
    pub fn class_rows(&self) -> Option<usize> {
        self.config.num_class_embeds
    }
}
