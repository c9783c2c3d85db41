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
    #[error("unknown {what} “{name}” (known: {known})")]
    Unknown {
        what: &'static str,
        name: String,
        known: &'static str,
    },
    #[error("{name} = {value} is out of range: {expected}")]
    OutOfRange {
        name: &'static str,
        value: f64,
        expected: &'static str,
    },
    #[error("the recorded noise ran out or does not fit: {0}")]
    Noise(String),
    #[error("the sample became NaN or infinite at step {step} (t = {t})")]
    NotFinite { step: usize, t: f64 },
    /// A sampler asked of a process of the other family (a discrete sampler on an SDE, or the
    /// reverse): it names both and what to do.
    #[error("{sampler} {needs}, not {process}: {fix}")]
    Unfit {
        sampler: String,
        needs: &'static str,
        process: String,
        fix: &'static str,
    },
    #[error("{0}")]
    Unsupported(String),
}
