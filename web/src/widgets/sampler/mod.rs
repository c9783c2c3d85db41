//! The image sampler: a person picks a shipped model, presses Sample, and watches noise turn into
//! images. The page fetches and checks the weights ([`crate::weights`]: streamed, checked, cached)
//! and draws; the chain itself (a [`zoo::ImageChain`], the same code as the CLI's `sample`) and
//! the classifier that reads MNIST results run in a Web Worker ([`chain_worker`]), so no step,
//! however slow, holds the page, and the page holds no device. Every step's x_t and x̂₀ arrive as
//! bytes and are kept for the scrubber afterwards.
//!
//! The widget's state and transitions are the [`session`] (native, tested with scripted worker
//! messages); [`widget`] is the glue that feeds it and carries out what it asks; [`views`] draws.

pub mod frames;
pub mod messages;
pub mod pool;
pub mod session;

wasm_only! {
    mod chain_worker;
    mod drawing;
    mod panel;
    mod picture;
    mod views;
    mod widget;
    pub use widget::{Early, run};
}
