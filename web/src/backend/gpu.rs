//! Burn on WebGPU (the `webgpu` feature): the runtime's one-time set-up, after the adapter probe
//! that both builds share (`backend.rs`).

use burn::prelude::*;

thread_local! {
    /// Burn's wgpu runtime can be initialised once per page; later callers reuse it, and the probe's
    /// verdict on the adapter, so that one caller allowing a software adapter does not allow it for all.
    static WEBGPU: std::cell::RefCell<Option<(Device, String, super::Adapter)>> =
        const { std::cell::RefCell::new(None) };
    /// A start under way: widgets mounted together wait for the first one's instead of starting
    /// the runtime again (it can be started once).
    static STARTING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Initialises Burn on WebGPU, or says in a sentence why it cannot (also where the only adapter is
/// a software one and `allow_software` is false).
pub async fn webgpu(allow_software: bool) -> Result<(Device, String), String> {
    // CubeCL's IR registrations are static constructors: make sure they ran, whoever calls
    crate::run_static_constructors();
    while STARTING.with(|s| s.get()) {
        crate::dom::sleep_ms(20).await;
    }
    if let Some((device, name, adapter)) = WEBGPU.with(|w| w.borrow().clone()) {
        adapter.usable(allow_software)?;
        return Ok((device, name));
    }
    STARTING.with(|s| s.set(true));
    let started = start(allow_software).await;
    STARTING.with(|s| s.set(false));
    started
}

/// Probes the adapter and, where it is usable, starts Burn's runtime on it (kept for every later
/// caller).
async fn start(allow_software: bool) -> Result<(Device, String), String> {
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
