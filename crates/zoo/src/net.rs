//! A built network of any shipped kind, and building one from its manifest entry.

use burn::module::Module;
use burn::prelude::*;
use models::{Classifier, SafeTensors, ScoreNet, ScoreNetConfig, UNet, UNetConfig, weights};

use crate::manifest::Entry;

#[derive(Debug, Clone)]
pub enum Net {
    UNet(UNet),
    ScoreNet(ScoreNet),
    Classifier(Classifier),
}

impl Net {
    /// The network an entry describes, with fresh weights (to be replaced by [`Net::with_weights`]).
    pub fn from_entry(entry: &Entry, device: &Device) -> Result<Self, String> {
        let bad = |e: String| format!("model '{}' has an unusable config: {e}", entry.id);
        Ok(match entry.architecture.as_str() {
            "unet2d" => {
                let config = UNetConfig::from_json(&entry.config.to_string())
                    .map_err(|e| bad(e.to_string()))?;
                Net::UNet(UNet::new(&config, device).map_err(|e| bad(e.to_string()))?)
            }
            "scorenet" => {
                let config: ScoreNetConfig =
                    serde_json::from_value(entry.config.clone()).map_err(|e| bad(e.to_string()))?;
                config.validate().map_err(|e| bad(e.to_string()))?;
                Net::ScoreNet(ScoreNet::new(&config, device))
            }
            "classifier" => Net::Classifier(Classifier::new(device)),
            other => {
                return Err(format!(
                    "model '{}' has architecture '{other}', which this page does not know",
                    entry.id
                ));
            }
        })
    }

    /// The same network with the weights of `file` (strict: every key, every shape).
    pub fn with_weights(self, file: &SafeTensors) -> Result<Self, models::ModelError> {
        Ok(match self {
            Net::UNet(m) => Net::UNet(weights::load(m, file)?),
            Net::ScoreNet(m) => Net::ScoreNet(weights::load(m, file)?),
            Net::Classifier(m) => Net::Classifier(weights::load(m, file)?),
        })
    }

    /// Every weight under its PyTorch key.
    pub fn weights(&self) -> SafeTensors {
        match self {
            Net::UNet(m) => weights::collect(m),
            Net::ScoreNet(m) => weights::collect(m),
            Net::Classifier(m) => weights::collect(m),
        }
    }

    /// The architecture config as JSON (diffusers' config.json for the U-Net).
    pub fn config_json(&self) -> String {
        match self {
            Net::UNet(u) => u.config.to_json(),
            Net::ScoreNet(s) => serde_json::to_string_pretty(&s.config).expect("json"),
            Net::Classifier(_) => "{\"architecture\": \"mnist-classifier\"}".into(),
        }
    }

    /// `unet2d`, `scorenet` or `classifier` (the manifest's `architecture`).
    pub fn architecture(&self) -> &'static str {
        match self {
            Net::UNet(_) => "unet2d",
            Net::ScoreNet(_) => "scorenet",
            Net::Classifier(_) => "classifier",
        }
    }

    pub fn num_params(&self) -> usize {
        match self {
            Net::UNet(m) => m.num_params(),
            Net::ScoreNet(m) => m.num_params(),
            Net::Classifier(m) => m.num_params(),
        }
    }

    /// [C, H, W] of the images the network works on.
    pub fn image_shape(&self) -> [usize; 3] {
        match self {
            Net::UNet(u) => [
                u.config.in_channels,
                u.config.sample_size,
                u.config.sample_size,
            ],
            Net::ScoreNet(_) | Net::Classifier(_) => [1, 28, 28],
        }
    }

    /// The number of real classes of a class-conditional U-Net (its class rows less "no class").
    pub fn classes(&self) -> Option<usize> {
        match self {
            Net::UNet(u) => u.class_rows().map(|r| r.saturating_sub(1)),
            _ => None,
        }
    }
}
