//! The one place that decides where tensors live: WebGPU when the browser gives an adapter (through
//! Burn's wgpu runtime, initialised asynchronously as browsers require), else Burn's CPU backend
//! (`flex`). The caller always gets a working device and a sentence saying which one and why.
//! A software WebGPU adapter (one the browser flags `isFallbackAdapter`, such as SwiftShader) is
//! used only when the URL asks for WebGPU: it is far slower than the CPU backend (docs/sampler.md:
//! 2.4 s against ~0.05 s per MNIST U-Net step). The page's loader makes the same choice
//! (Trunk.toml), so such a browser gets the CPU-only build.

use burn::prelude::*;
use wasm_bindgen::JsValue;

use crate::settings::BackendChoice;

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
    // a software adapter (SwiftShader and the like) only where the URL asks for WebGPU
    match webgpu(choice == BackendChoice::WebGpu).await {
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

/// The device a Web Worker opens: the kind the page runs on (`page`: its `data-backend`, chosen
/// already, a software adapter included). The note says something only where the worker could not
/// have that kind: WebGPU that fails in the worker falls back to the CPU.
pub async fn for_worker(page: &str) -> (Device, Option<String>) {
    if page != BackendKind::WebGpu.attr() {
        return (Device::flex(), None);
    }
    match webgpu(true).await {
        Ok((device, _)) => (device, None),
        Err(why) => (
            Device::flex(),
            Some(format!(
                "The page runs on WebGPU, but its worker could not: {why} The worker runs on the CPU."
            )),
        ),
    }
}

/// Why this worker's WebGPU device was lost, once it has been (`GPUDevice.lost`, watched by the
/// worker's bootstrap); `None` on the CPU or while the device lives.
pub fn lost_reason() -> Option<String> {
    js_sys::Reflect::get(&js_sys::global(), &"__lost".into())
        .ok()
        .and_then(|v| v.as_string())
}

/// Whether an error from the device says the device itself is gone (wgpu: "poisoned",
/// "Destroyed", "lost").
pub fn is_device_lost(message: &str) -> bool {
    lost_reason().is_some() || crate::gpu_error::says_device_lost(message)
}

/// A device loss said in a sentence: the first line of what the device said.
pub fn device_lost_sentence(message: &str) -> String {
    let why = lost_reason().unwrap_or_else(|| {
        message
            .lines()
            .find(|l| !l.trim().is_empty() && !l.starts_with("Caused by") && !l.starts_with("Backtrace"))
            .unwrap_or(message)
            .trim()
            .to_string()
    });
    format!("the GPU device was lost ({})", why.trim_end_matches('.'))
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
/// loads where the browser has no WebGPU, only a software adapter, or the URL says `#backend=cpu`
/// (Trunk.toml, scripts/trunk-cpu-build.sh). It gives the reason the full build would give where
/// there is one.
#[cfg(not(feature = "webgpu"))]
pub async fn webgpu(allow_software: bool) -> Result<(Device, String), String> {
    probe_adapter().await?.usable(allow_software)?;
    Err("this is the playground's CPU-only build.".into())
}

/// What the browser's WebGPU adapter says of itself.
#[derive(Debug, Clone)]
struct Adapter {
    /// “vendor architecture description”, skipping empty fields (may be empty).
    described: String,
    /// `isFallbackAdapter`: a software implementation.
    software: bool,
}

impl Adapter {
    /// Refuses a software adapter unless asked for, with the sentence the page shows.
    fn usable(&self, allow_software: bool) -> Result<(), String> {
        if self.software && !allow_software {
            let which = if self.described.is_empty() {
                String::new()
            } else {
                format!(" ({})", self.described)
            };
            return Err(format!(
                "this browser's only WebGPU adapter{which} is a software one, slower than the CPU here; #backend=webgpu uses it anyway."
            ));
        }
        Ok(())
    }
}

/// Asks `navigator.gpu` for an adapter before Burn does, to tell “no WebGPU in this browser” from
/// “WebGPU without a usable adapter” and from a software adapter.
async fn probe_adapter() -> Result<Adapter, String> {
    use wasm_bindgen::JsCast;
    let gpu = navigator_gpu()?;
    let request = js_sys::Reflect::get(&gpu, &"requestAdapter".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or("navigator.gpu.requestAdapter is missing.")?;
    let promise = request
        .call0(&gpu)
        .ok()
        .and_then(|p| p.dyn_into::<js_sys::Promise>().ok())
        .ok_or("navigator.gpu.requestAdapter() failed.")?;
    match wasm_bindgen_futures::JsFuture::from(promise).await {
        Ok(adapter) if !adapter.is_null() && !adapter.is_undefined() => {
            let info = js_sys::Reflect::get(&adapter, &"info".into()).unwrap_or(JsValue::UNDEFINED);
            let field = |k: &str| js_sys::Reflect::get(&info, &k.into()).ok();
            let described = ["vendor", "architecture", "description"]
                .iter()
                .filter_map(|k| field(k)?.as_string())
                .filter(|v| !v.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            // `info.isFallbackAdapter`; older browsers have it on the adapter itself
            let software = field("isFallbackAdapter")
                .and_then(|v| v.as_bool())
                .or_else(|| {
                    js_sys::Reflect::get(&adapter, &"isFallbackAdapter".into())
                        .ok()?
                        .as_bool()
                })
                == Some(true);
            Ok(Adapter {
                described,
                software,
            })
        }
        Ok(_) => Err(
            "WebGPU is present but offers no adapter (no usable GPU, or it is disabled).".into(),
        ),
        Err(e) => Err(format!("requesting a WebGPU adapter failed: {e:?}.")),
    }
}

/// `navigator.gpu` of the page or of a worker, or a sentence saying that there is none.
fn navigator_gpu() -> Result<JsValue, String> {
    let navigator = js_sys::Reflect::get(&js_sys::global(), &"navigator".into())
        .map_err(|_| "there is no navigator.")?;
    let gpu = js_sys::Reflect::get(&navigator, &"gpu".into()).unwrap_or_default();
    if gpu.is_undefined() || gpu.is_null() {
        return Err("this browser has no WebGPU (navigator.gpu is missing).".into());
    }
    Ok(gpu)
}
