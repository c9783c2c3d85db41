//! Burn on WebGPU (the `webgpu` feature): the runtime's one-time set-up, after the adapter probe
//! that both builds share (`backend.rs`).

use burn::prelude::*;

thread_local! {
    /// Burn's wgpu runtime can be initialised once per page; later callers reuse it, and the probe's
    /// verdict on the adapter, so that one caller allowing a software adapter does not allow it for all.
    static WEBGPU: std::cell::RefCell<Option<(Device, String, super::Adapter)>> =
        const { std::cell::RefCell::new(None) };
}

/// Initialises Burn on WebGPU, or says in a sentence why it cannot (also where the only adapter is
/// a software one and `allow_software` is false).
pub async fn webgpu(allow_software: bool) -> Result<(Device, String), String> {
    // CubeCL's IR registrations are static constructors: make sure they ran, whoever calls
    crate::run_static_constructors();
    if let Some((device, name, adapter)) = WEBGPU.with(|w| w.borrow().clone()) {
        adapter.usable(allow_software)?;
        return Ok((device, name));
    }
    let adapter = super::probe_adapter().await?;
    adapter.usable(allow_software)?;
    let (device, setup) = Device::wgpu_options()
        .init_with_setup_async()
        .await
        .map_err(|e| format!("WebGPU could not be started ({e:?})."))?;
    let info = setup.adapter.get_info();
    let name = [info.name, adapter.described.clone()]
        .into_iter()
        .find(|n| !n.is_empty())
        .unwrap_or_else(|| "adapter details hidden by the browser".into());
    WEBGPU.with(|w| *w.borrow_mut() = Some((device.clone(), name.clone(), adapter)));
    Ok((device, name))
}
