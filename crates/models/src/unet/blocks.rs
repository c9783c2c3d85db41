//! The U-Net's down, mid and up blocks in diffusers' layout (`DownBlock2D` / `AttnDownBlock2D`,
//! `UNetMidBlock2D`, `UpBlock2D` / `AttnUpBlock2D`), with their down- and upsamplers.

use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::prelude::*;

use super::attention::AttentionBlock;
use super::fast_conv;
use super::resnet::{ResnetBlock, conv3x3};
use crate::embedding::upsample_nearest2x;

/// Strided 3×3 convolution. diffusers' `downsample_padding = 0` pads only right and bottom by one
/// before an unpadded convolution; `1` pads all sides inside the convolution.
#[derive(Module, Debug)]
pub struct Downsample {
    pub conv: Conv2d,
    pub pad_right_bottom: bool,
}

impl Downsample {
    pub fn new(channels: usize, padding: usize, device: &Device) -> Self {
        let conv = Conv2dConfig::new([channels, channels], [3, 3])
            .with_stride([2, 2])
            .with_padding(PaddingConfig2d::Explicit(
                padding, padding, padding, padding,
            ))
            .init(device);
        Self {
            conv,
            pad_right_bottom: padding == 0,
        }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let x = if self.pad_right_bottom {
            x.pad((0, 1, 0, 1), 0.0)
        } else {
            x
        };
        self.conv.forward(x)
    }
}

/// Nearest 2× upsampling then a 3×3 convolution.
#[derive(Module, Debug)]
pub struct Upsample {
    pub conv: Conv2d,
}

impl Upsample {
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        fast_conv::forward(&self.conv, upsample_nearest2x(x))
    }
}

/// One attention block per layer when the block has attention (heads of `head` channels).
fn attention_layers(
    channels: usize,
    layers: usize,
    head: Option<usize>,
    s: BlockSettings,
    device: &Device,
) -> Vec<AttentionBlock> {
    match head {
        Some(head) => (0..layers)
            .map(|_| AttentionBlock::new(channels, head, s.groups, s.eps, 1.0, device))
            .collect(),
        None => Vec::new(),
    }
}

/// Settings every block shares.
#[derive(Debug, Clone, Copy)]
pub struct BlockSettings {
    pub temb: usize,
    pub groups: usize,
    pub eps: f64,
    pub dropout: f64,
}

#[derive(Module, Debug)]
pub struct DownBlock {
    pub resnets: Vec<ResnetBlock>,
    pub attentions: Vec<AttentionBlock>,
    pub downsamplers: Vec<Downsample>,
}

impl DownBlock {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        cin: usize,
        cout: usize,
        layers: usize,
        attention_head: Option<usize>,
        downsample: Option<usize>,
        s: BlockSettings,
        device: &Device,
    ) -> Self {
        let resnets = (0..layers)
            .map(|i| {
                ResnetBlock::new(
                    if i == 0 { cin } else { cout },
                    cout,
                    s.temb,
                    s.groups,
                    s.eps,
                    s.dropout,
                    1.0,
                    device,
                )
            })
            .collect();
        let attentions = attention_layers(cout, layers, attention_head, s, device);
        let downsamplers = downsample
            .map(|p| Downsample::new(cout, p, device))
            .into_iter()
            .collect();
        Self {
            resnets,
            attentions,
            downsamplers,
        }
    }

    /// Returns the output and the states the up path will take as skips (one per layer, plus the
    /// downsampled output).
    pub fn forward(&self, x: Tensor<4>, temb: &Tensor<2>, skips: &mut Vec<Tensor<4>>) -> Tensor<4> {
        let mut h = x;
        for (i, resnet) in self.resnets.iter().enumerate() {
            h = resnet.forward(h, temb.clone());
            if let Some(attn) = self.attentions.get(i) {
                h = attn.forward(h);
            }
            skips.push(h.clone());
        }
        for d in &self.downsamplers {
            h = d.forward(h);
            skips.push(h.clone());
        }
        h
    }
}

#[derive(Module, Debug)]
pub struct MidBlock {
    pub resnets: Vec<ResnetBlock>,
    pub attentions: Vec<AttentionBlock>,
}

impl MidBlock {
    pub fn new(
        channels: usize,
        head: usize,
        attention: bool,
        scale: f64,
        s: BlockSettings,
        device: &Device,
    ) -> Self {
        let resnet = || {
            ResnetBlock::new(
                channels, channels, s.temb, s.groups, s.eps, s.dropout, scale, device,
            )
        };
        let attentions = if attention {
            vec![AttentionBlock::new(
                channels, head, s.groups, s.eps, scale, device,
            )]
        } else {
            Vec::new()
        };
        Self {
            resnets: vec![resnet(), resnet()],
            attentions,
        }
    }

    pub fn forward(&self, x: Tensor<4>, temb: &Tensor<2>) -> Tensor<4> {
        let mut h = self.resnets[0].forward(x, temb.clone());
        if let Some(attn) = self.attentions.first() {
            h = attn.forward(h);
        }
        self.resnets[1].forward(h, temb.clone())
    }
}

#[derive(Module, Debug)]
pub struct UpBlock {
    pub resnets: Vec<ResnetBlock>,
    pub attentions: Vec<AttentionBlock>,
    pub upsamplers: Vec<Upsample>,
}

impl UpBlock {
    /// `prev`: channels coming from below; `skip_in`: channels of the deepest skip this block
    /// takes last (the block input of the matching down block); `layers` = layers_per_block + 1.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        prev: usize,
        skip_in: usize,
        cout: usize,
        layers: usize,
        attention_head: Option<usize>,
        upsample: bool,
        s: BlockSettings,
        device: &Device,
    ) -> Self {
        let resnets = (0..layers)
            .map(|i| {
                let skip = if i == layers - 1 { skip_in } else { cout };
                let input = if i == 0 { prev } else { cout };
                ResnetBlock::new(
                    input + skip,
                    cout,
                    s.temb,
                    s.groups,
                    s.eps,
                    s.dropout,
                    1.0,
                    device,
                )
            })
            .collect();
        let attentions = attention_layers(cout, layers, attention_head, s, device);
        let upsamplers = if upsample {
            vec![Upsample {
                conv: conv3x3(cout, cout, device),
            }]
        } else {
            Vec::new()
        };
        Self {
            resnets,
            attentions,
            upsamplers,
        }
    }

    /// Consumes skips from the end of `skips`, one per resnet.
    pub fn forward(&self, x: Tensor<4>, temb: &Tensor<2>, skips: &mut Vec<Tensor<4>>) -> Tensor<4> {
        let mut h = x;
        for (i, resnet) in self.resnets.iter().enumerate() {
            let skip = skips
                .pop()
                .expect("the down path leaves one skip per up resnet");
            h = resnet.forward(Tensor::cat(vec![h, skip], 1), temb.clone());
            if let Some(attn) = self.attentions.get(i) {
                h = attn.forward(h);
            }
        }
        for u in &self.upsamplers {
            h = u.forward(h);
        }
        h
    }
}
