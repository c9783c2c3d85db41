//! The one place that decides where tensors live: WebGPU when the browser gives an adapter (through
//! Burn's wgpu runtime, initialised asynchronously as browsers require), else Burn's CPU backend
//! (`flex`). The caller always gets a working device and a sentence saying which one and why.

use burn::prelude::*;

use crate::state::BackendChoice;

/// The backend that ended up running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    WebGpu,
    Cpu,
}

impl BackendKind {
    /// The value of the widget root's `data-backend`.
    pub fn attr(self) -> &'static str {
        match self {
            BackendKind::WebGpu => "webgpu",
            BackendKind::Cpu => "cpu",
        }
    }
}

/// A device ready for tensors, with a human explanation of the choice.
#[derive(Debug, Clone)]
pub struct Backend {
    pub device: Device,
    pub kind: BackendKind,
    pub note: String,
}

/// Picks the backend for `choice`; never fails: without WebGPU it falls back to the CPU and says so.
pub async fn choose(choice: BackendChoice) -> Backend {
    if choice == BackendChoice::Cpu {
        return cpu("Running on the CPU, as the URL asks (#backend=cpu).".into());
    }
    match webgpu().await {
        Ok((device, adapter)) => Backend {
            device,
            kind: BackendKind::WebGpu,
            note: format!("Running on WebGPU ({adapter})."),
        },
        Err(why) if choice == BackendChoice::WebGpu => cpu(format!(
            "The URL asks for WebGPU, but {why} Running on the CPU instead."
        )),
        Err(why) => cpu(format!("Running on the CPU: {why}")),
    }
}

fn cpu(note: String) -> Backend {
    Backend {
        device: Device::flex(),
        kind: BackendKind::Cpu,
        note,
    }
}

#[cfg(feature = "webgpu")]
mod gpu;
#[cfg(feature = "webgpu")]
pub use gpu::webgpu;

/// A build without the `webgpu` feature has no way onto the GPU: the CPU-only app, which the page
/// loads where the browser has no WebGPU or the URL says `#backend=cpu` (Trunk.toml,
/// scripts/trunk-cpu-build.sh). It says "no WebGPU in this browser" as the full build would, where
/// that is the reason.
#[cfg(not(feature = "webgpu"))]
pub async fn webgpu() -> Result<(Device, String), String> {
    navigator_gpu()?;
    Err("this is the playground's CPU-only build.".into())
}

/// `navigator.gpu` of the page or of a worker, or a sentence saying that there is none.
fn navigator_gpu() -> Result<wasm_bindgen::JsValue, String> {
    let navigator = js_sys::Reflect::get(&js_sys::global(), &"navigator".into())
        .map_err(|_| "there is no navigator.")?;
    let gpu = js_sys::Reflect::get(&navigator, &"gpu".into()).unwrap_or_default();
    if gpu.is_undefined() || gpu.is_null() {
        return Err("this browser has no WebGPU (navigator.gpu is missing).".into());
    }
    Ok(gpu)
}
