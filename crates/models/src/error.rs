//! What can go wrong when reading weights or building a model from a config.

/// Errors of this crate, each phrased so a person can act on it.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum ModelError {
    #[error("not a safetensors file: {0}")]
    NotSafetensors(String),
    #[error("the weights file is truncated: it has {got} bytes, its header describes {expected}")]
    Truncated { expected: usize, got: usize },
    #[error("the weights file has no tensor '{0}' that the model needs (is it the right model?)")]
    Missing(String),
    #[error(
        "the weights file has tensors the model does not use, e.g. '{0}' (is it the right model?)"
    )]
    Unused(String),
    #[error("tensor '{key}' has shape {found:?} in the file, the model needs {expected:?}")]
    Shape {
        key: String,
        expected: Vec<usize>,
        found: Vec<usize>,
    },
    #[error("tensor '{key}' has dtype {dtype}, only F32, F16 and BF16 are supported")]
    Dtype { key: String, dtype: String },
    #[error("unsupported model config: {0}")]
    Config(String),
}
