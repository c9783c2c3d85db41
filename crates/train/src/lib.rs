//! Training, written once for the CLI and the browser: the objectives (DDPM ε-prediction with
//! label dropout for classifier-free guidance, the seeds' denoising score matching, cross-entropy
//! for the evaluation classifier), Adam steps, an exponential moving average of the weights, and
//! divergence checks that keep the last good weights.

pub mod ema;
pub mod objective;
pub mod toy;
pub mod trainer;

pub use ema::Ema;
pub use trainer::{SPIKE_MEDIAN, TrainError, Trainer, TrainerConfig};
