//! What the page and the chain worker say to each other. Loads and runs are numbered by the page,
//! so answers about a model or a chain it has since replaced are ignored.

use serde::{Deserialize, Serialize};
use zoo::{ChainSpec, EditSpec, Entry, Half, Part, Process};

use crate::floats::Floats;

/// Page → worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ToChain {
    /// Open the device of the page's kind (`webgpu` or `cpu`).
    Open { backend: String },
    /// Build `entry`'s network from its file, which the page has already checked (size, SHA-256).
    Load {
        load: u32,
        entry: Entry,
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
    },
    /// Sample a chain from the loaded network; with `edit`, edit that image instead (SDEdit).
    /// With `part`, only those images of the grid (a worker of the pool, [`super::pool`]); with
    /// `half`, the whole chain running that half of its guided batch only, the other half coming
    /// from the pool's other worker ([`zoo::halves`]).
    Sample {
        run: u32,
        process: Process,
        spec: ChainSpec,
        #[serde(default)]
        edit: Option<EditSpec>,
        #[serde(default)]
        part: Option<Part>,
        #[serde(default)]
        half: Option<Half>,
    },
    /// The other worker's half of the model's call `call` in step `step` of `run` ([N, C, H, W]
    /// as the worker's own half).
    Half {
        run: u32,
        step: usize,
        call: usize,
        values: Floats,
    },
    /// Drop the chain of `run`.
    Stop { run: u32 },
    /// Build the data set's classifier from its checked file (kept across models).
    LoadClassifier {
        entry: Entry,
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
    },
    /// Classify `images` ([N, C, H, W] `shape`, the final images of `run`) with the classifier.
    Classify {
        run: u32,
        images: Floats,
        shape: [usize; 4],
    },
    /// Test hook: panic, as Burn's WebGPU runtime does on a GPU out-of-memory error, so the
    /// recovery can be tested on a machine that has memory to spare.
    Crash,
    /// Test hook: destroy the worker's WebGPU device (`GPUDevice.destroy()`), as a lost GPU.
    LoseDevice,
}

/// Worker → page.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum FromChain {
    /// The device is open: the page's kind, or (`note` says why) the CPU in its place.
    Opened { note: Option<String> },
    /// The network of `load` is built (its number of classes, if class-conditional), or it could
    /// not be.
    Loaded {
        load: u32,
        classes: Option<usize>,
        error: Option<String>,
    },
    /// The chain of `run` is set up: `len` steps of `shape` [N, C, H, W] images; or it could not be.
    Started {
        run: u32,
        len: usize,
        shape: [usize; 4],
        error: Option<String>,
    },
    /// Step `index` of `run`: x_t and x̂₀ as bytes (`data::to_pixels`), its time, and how long it
    /// took (the step call, the read back, and all of it since the previous step). The last step
    /// also carries the final images as floats.
    Frame {
        run: u32,
        index: usize,
        t: f64,
        #[serde(with = "serde_bytes")]
        xt: Vec<u8>,
        #[serde(with = "serde_bytes")]
        x0: Vec<u8>,
        compute_ms: f64,
        read_ms: f64,
        step_ms: f64,
        last: Option<Floats>,
    },
    /// Sampling `run` failed; the chain is dropped.
    Stopped { run: u32, message: String },
    /// What the classifier reads in the final images of `run` (a label and its probability per
    /// image), or why it could not.
    Classified {
        run: u32,
        labels: Vec<usize>,
        confidence: Vec<f32>,
        error: Option<String>,
    },
}
