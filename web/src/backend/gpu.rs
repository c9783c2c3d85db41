//! Burn on WebGPU (the `webgpu` feature): the adapter probe and the runtime's one-time set-up.

use burn::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

thread_local! {
    /// Burn's wgpu runtime can be initialised once per page; later callers reuse it.
    static WEBGPU: std::cell::RefCell<Option<(Device, String)>> = const { std::cell::RefCell::new(None) };
}

/// Initialises Burn on WebGPU, or says in a sentence why it cannot.
pub async fn webgpu() -> Result<(Device, String), String> {
    // CubeCL's IR registrations are static constructors: make sure they ran, whoever calls
    crate::run_static_constructors();
    if let Some(ready) = WEBGPU.with(|w| w.borrow().clone()) {
        return Ok(ready);
    }
    let described = probe_adapter().await?;
    let (device, setup) = Device::wgpu_options()
        .init_with_setup_async()
        .await
        .map_err(|e| format!("WebGPU could not be started ({e}).", e = format!("{e:?}")))?;
    let info = setup.adapter.get_info();
    let name = [info.name, described]
        .into_iter()
        .find(|n| !n.is_empty())
        .unwrap_or_else(|| "adapter details hidden by the browser".into());
    let ready = (device, name);
    WEBGPU.with(|w| *w.borrow_mut() = Some(ready.clone()));
    Ok(ready)
}

/// Asks `navigator.gpu` for an adapter before Burn does, to tell “no WebGPU in this browser” from
/// “WebGPU without a usable adapter”; returns what `adapter.info` says of it (may be empty).
async fn probe_adapter() -> Result<String, String> {
    let gpu = super::navigator_gpu()?;
    let request = js_sys::Reflect::get(&gpu, &"requestAdapter".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or("navigator.gpu.requestAdapter is missing.")?;
    let promise = request
        .call0(&gpu)
        .ok()
        .and_then(|p| p.dyn_into::<js_sys::Promise>().ok())
        .ok_or("navigator.gpu.requestAdapter() failed.")?;
    match JsFuture::from(promise).await {
        Ok(adapter) if !adapter.is_null() && !adapter.is_undefined() => Ok(adapter_info(&adapter)),
        Ok(_) => Err(
            "WebGPU is present but offers no adapter (no usable GPU, or it is disabled).".into(),
        ),
        Err(e) => Err(format!("requesting a WebGPU adapter failed: {e:?}.")),
    }
}

/// “vendor architecture description” from a `GPUAdapter`'s `info`, skipping empty fields.
fn adapter_info(adapter: &JsValue) -> String {
    let info = js_sys::Reflect::get(adapter, &"info".into()).unwrap_or(JsValue::UNDEFINED);
    ["vendor", "architecture", "description"]
        .iter()
        .filter_map(|k| js_sys::Reflect::get(&info, &(*k).into()).ok()?.as_string())
        .filter(|v| !v.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
