use thiserror::Error;

/// Everything the diffusion core can refuse, with a message a person can act on.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum DiffusionError {
    #[error("a schedule needs at least 2 training timesteps, got {0}")]
    TooFewTimesteps(usize),
    #[error(
        "cannot take {steps} sampling steps on a schedule of {train} timesteps (use 1..={train})"
    )]
    BadStepCount { steps: usize, train: usize },
    #[error("invalid mixture: {0}")]
    BadMixture(String),
}
