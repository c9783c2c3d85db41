//! The playground's browser app: one entry point that reads the URL hash, picks a compute backend
//! (WebGPU through Burn's wgpu runtime, else Burn's CPU backend) and mounts the widget the hash
//! names. Only [`state`] is platform-independent (and tested natively); the rest runs in wasm.

pub mod sampler_settings;
pub mod state;
pub mod toy2d_settings;

#[cfg(target_family = "wasm")]
mod app;
#[cfg(target_family = "wasm")]
pub mod backend;
#[cfg(target_family = "wasm")]
mod controls;
#[cfg(target_family = "wasm")]
mod dom;
#[cfg(target_family = "wasm")]
mod hooks;
#[cfg(target_family = "wasm")]
pub mod readback;
#[cfg(target_family = "wasm")]
mod render;
#[cfg(target_family = "wasm")]
mod weights;
#[cfg(target_family = "wasm")]
mod widgets;
