//! What a load and a run leave behind: the checked file (kept to load it again into a new
//! worker), the chain's record for the scrubber, and the classifier's verdict.

use super::super::frames::Frames;
use crate::render::grid::Grid;
use zoo::Entry;

/// Where the model's bytes came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Network,
    Cache,
    /// A person's own files, read in the page.
    Local,
}

impl Source {
    /// The root's `data-source`.
    pub fn attr(self) -> &'static str {
        match self {
            Source::Network => "downloaded",
            Source::Cache => "cache",
            Source::Local => "local",
        }
    }

    pub fn phrase(self) -> &'static str {
        match self {
            Source::Network => "downloaded",
            Source::Cache => "from the browser's cache",
            Source::Local => "from your files",
        }
    }
}

/// The checked weights file of the chosen model, kept to load it again into a new worker.
pub struct File {
    pub entry: Entry,
    pub bytes: Vec<u8>,
    pub source: Source,
    /// In the browser's cache (so a reload into a new worker does not store it again), or not to
    /// be stored there (a person's own files).
    pub cached: bool,
    /// When the page began to load it (ms since navigation).
    pub started_ms: f64,
}

/// The chain of the latest run.
pub struct Record {
    pub model: String,
    pub grid: Grid,
    pub len: usize,
    pub frames: Frames,
    pub step_ms: Vec<f64>,
    /// Per step: milliseconds in the sampler's step call (all of the work on the CPU; queueing
    /// on WebGPU) and in reading the result back.
    pub compute_ms: Vec<f64>,
    pub read_ms: Vec<f64>,
    pub total_ms: Option<f64>,
    /// The requested class of each image (empty: none).
    pub classes: Vec<usize>,
    /// The final images as floats (published for tests).
    pub last_x: Vec<f32>,
    /// What was asked: the chain's spec (its seed, sampler and classes: an interpolation walks
    /// between two images of it), and the edit it made, if any.
    pub spec: Option<zoo::ChainSpec>,
    pub edit: Option<&'static str>,
}

/// What the classifier read in the last run's images.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub labels: Vec<usize>,
    pub confidence: Vec<f32>,
    pub text: String,
}
