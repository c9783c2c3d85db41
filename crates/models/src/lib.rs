//! The playground's networks as Burn modules (each with a config and `new(config, device)`, the
//! same code natively and in the browser), and their weights in safetensors.

pub mod embedding;
pub mod error;
pub mod safetensors;
pub mod unet;
pub mod weights;

pub use error::ModelError;
pub use safetensors::{Dtype, SafeTensors};
pub use unet::{UNet, UNetConfig};
pub mod classifier;
pub mod scorenet;
pub use classifier::Classifier;
pub use scorenet::{ScoreNet, ScoreNetConfig};
pub mod mlp;
pub use mlp::{Mlp, MlpConfig, TimeFeatures};
