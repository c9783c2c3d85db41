//! A small MNIST classifier, used only to evaluate generated digits: its accuracy on samples of a
//! requested class, and its 256-d penultimate features for a classifier FID.
//! conv 1→32 → conv 32→64 → pool → conv 64→128 → pool → 6272→256 → 10, ReLU between.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::relu;

#[derive(Module, Debug)]
pub struct Classifier {
    pub conv1: Conv2d,
    pub conv2: Conv2d,
    pub conv3: Conv2d,
    pub pool: MaxPool2d,
    pub fc1: Linear,
    pub dropout: Dropout,
    pub fc2: Linear,
}

/// Width of the features [`Classifier::features`] returns.
pub const FEATURES: usize = 256;

impl Classifier {
    pub fn new(device: &Device) -> Self {
        let conv = |a, b| {
            Conv2dConfig::new([a, b], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device)
        };
        Self {
            conv1: conv(1, 32),
            conv2: conv(32, 64),
            conv3: conv(64, 128),
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            fc1: LinearConfig::new(128 * 7 * 7, FEATURES).init(device),
            dropout: DropoutConfig::new(0.3).init(),
            fc2: LinearConfig::new(FEATURES, 10).init(device),
        }
    }

    /// Penultimate features of images in [−1, 1], [B, 1, 28, 28] → [B, 256].
    pub fn features(&self, x: Tensor<4>) -> Tensor<2> {
        let h = relu(self.conv1.forward(x));
        let h = self.pool.forward(relu(self.conv2.forward(h)));
        let h = self.pool.forward(relu(self.conv3.forward(h)));
        let [b, c, hh, ww] = h.dims();
        relu(self.fc1.forward(h.reshape([b, c * hh * ww])))
    }

    /// Class logits, [B, 10].
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        self.fc2.forward(self.dropout.forward(self.features(x)))
    }
}
