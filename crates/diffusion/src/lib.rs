//! The diffusion math of the playground, written once over Burn tensors so the same code runs
//! natively and in the browser (WebGPU or CPU): how noise is added ([`schedule`], [`level`]), what a
//! model predicts and how predictions convert ([`predict`]), exact denoisers for distributions with
//! a closed form ([`mixture`]), where randomness comes from ([`noise`]) and how noise is taken away
//! again ([`sampler`], built from a [`Process`] and talking to the model through [`Denoiser`]);
//! [`conformance`] replays diffusers' reference trajectories through the samplers.
//!
//! Nothing here does I/O or knows about the web; the flow is one way:
//! data → process → model → denoiser → sampler → view.

pub mod conformance;
pub mod denoiser;
pub mod edit;
pub mod error;
pub mod flow;
pub mod guidance;
pub mod level;
pub mod likelihood;
pub mod metrics;
pub mod mixture;
pub mod noise;
pub mod ode;
pub mod predict;
pub mod process;
pub mod sampler;
pub mod schedule;
pub mod sde;

pub use denoiser::{Denoiser, Network};
pub use error::DiffusionError;
pub use level::Level;
pub use mixture::GaussianMixture;
pub use noise::{NoiseSource, PartNoise, RecordedNoise, SeededNoise};
pub use ode::Ode;
pub use predict::{Parameterization, Prediction};
pub use process::Process;
pub use sampler::{Sampler, Spacing, Step};
pub use schedule::{BetaSchedule, DiscreteSchedule, Posterior};
