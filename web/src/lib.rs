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
#[cfg(target_family = "wasm")]
mod worker;

#[cfg(target_family = "wasm")]
unsafe extern "C" {
    /// Synthesised by the linker (wasm-ld): runs the static constructors, here the `inventory`
    /// registrations of CubeCL's IR dialects that Burn's WebGPU backend relies on.
    fn __wasm_call_ctors();
}

/// Runs the static constructors once. Unless some exported function calls `__wasm_call_ctors`,
/// wasm-ld links the module "command-style" and runs the constructors again at the top of
/// *every* export: every call from JS into wasm (each closure, each resolved promise) re-ran
/// them, which a CPU profile of sampling showed as ~35 ms per step. The app's start calls this
/// first, and [`backend::webgpu`] (the way into CubeCL) again, so other callers such as the wasm
/// tests are covered too.
#[cfg(target_family = "wasm")]
pub fn run_static_constructors() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // SAFETY: the linker's constructor function takes no arguments and runs once (Once).
    ONCE.call_once(|| unsafe { __wasm_call_ctors() });
}
