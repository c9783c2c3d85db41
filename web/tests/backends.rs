//! In-browser tests (wasm-bindgen-test in headless Chromium, see web/webdriver.json): the same
//! diffusion computation on Burn's WebGPU backend (SwiftShader here) and on its CPU backend.
#![cfg(target_family = "wasm")]

use burn::prelude::*;
use diffusion::sampler::{Ddim, Sampler};
use diffusion::{BetaSchedule, DiscreteSchedule, GaussianMixture, SeededNoise, Spacing};
use playground_web::backend::{self, BackendKind};
use playground_web::readback::to_vec;
use playground_web::settings::BackendChoice;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// ε of the 8-mode ring at three noise levels, then a 10-step DDIM chain, all read back.
/// The chain runs on the linear schedule: on the cosine one the first step starts at ᾱ ≈ 2e-9, where
/// x̂₀ = (x − √(1−ᾱ)·ε)/√ᾱ magnifies a 1-ulp difference in ε some 20,000 times (measured: ε agrees
/// to 1e-6 across backends, the cosine chain's end only to 1e-2).
async fn compute(device: &Device) -> Vec<f32> {
    let mix = GaussianMixture::ring(8, 2.0, 0.1).unwrap();
    let n = 512;
    let mut noise = SeededNoise::new(5);
    let start = noise.normals(n * 2);
    let x = Tensor::<2>::from_data(TensorData::new(start, [n, 2]), device);
    let mut out = Vec::new();
    for alpha_bar in [0.9, 0.3, 0.01] {
        out.extend(to_vec(mix.eps(x.clone(), alpha_bar)).await.unwrap());
    }
    let schedule = DiscreteSchedule::new(BetaSchedule::LINEAR, 1000).unwrap();
    let mut ddim = Ddim::new(&schedule, 10, Spacing::Trailing, 0.0).unwrap();
    let mut x = x;
    while let Some(step) = ddim.step(&mix, &x, &mut noise).unwrap() {
        x = step.x;
    }
    out.extend(to_vec(x).await.unwrap());
    out
}

#[wasm_bindgen_test]
async fn webgpu_and_cpu_give_the_same_numbers() {
    let (gpu, adapter) = backend::webgpu(true)
        .await
        .expect("WebGPU (SwiftShader) in headless Chromium");
    console_log!("WebGPU adapter: {adapter}");
    let a = compute(&gpu).await;
    let b = compute(&Device::flex()).await;
    assert_eq!(a.len(), b.len());
    let worst = a
        .iter()
        .zip(&b)
        .map(|(p, q)| (p - q).abs() / q.abs().max(1.0))
        .fold(0.0f32, f32::max);
    console_log!("max relative difference WebGPU vs CPU: {worst:e}");
    assert!(worst < 1e-4, "WebGPU and CPU differ by {worst:e}");
    assert!(a.iter().all(|v| v.is_finite()));
}

#[wasm_bindgen_test]
async fn auto_passes_over_a_software_adapter_and_either_backend_can_be_forced() {
    // headless Chromium's only adapter is SwiftShader, which it flags as a fallback adapter
    let auto = backend::choose(BackendChoice::Auto).await;
    assert_eq!(auto.kind, BackendKind::Cpu, "{}", auto.note);
    assert!(auto.note.contains("software"), "{}", auto.note);
    assert!(auto.note.contains("#backend=webgpu"), "{}", auto.note);
    let gpu = backend::choose(BackendChoice::WebGpu).await;
    assert_eq!(gpu.kind, BackendKind::WebGpu, "{}", gpu.note);
    let cpu = backend::choose(BackendChoice::Cpu).await;
    assert_eq!(cpu.kind, BackendKind::Cpu);
    assert!(cpu.note.contains("#backend=cpu"), "{}", cpu.note);
}
