//! Native per-step latency of the shipped image models (the reference the browser benchmark
//! divides by): for each generator in `static/weights/manifest.json` and each batch size, the
//! median wall time of one sampler step on Burn's CPU backend, printed as JSON.
//!
//! `cargo run --release -p zoo --example step_latency -- [BATCH ...]` (default 1 16 64).
//! `BENCH_STEPS=N` (default 5) runs chains of N steps and times the second half of them (all but
//! the first when N ≤ 5): the same rule as `scripts/bench/sampler-browser.mjs`, where a long
//! chain lets V8 finish compiling the hot code before the timed steps.

use std::time::Instant;

use burn::prelude::*;
use diffusion::sampler::Options;
use zoo::{ChainSpec, ImageChain, Manifest};

/// Steps per chain, and how many of the first are left untimed.
fn steps_and_skip() -> Result<(usize, usize), String> {
    let steps: usize = match std::env::var("BENCH_STEPS") {
        Ok(v) => v.parse().map_err(|e| format!("BENCH_STEPS={v}: {e}"))?,
        Err(_) => 5,
    };
    if steps < 2 {
        return Err("BENCH_STEPS must be at least 2".into());
    }
    Ok((steps, if steps > 5 { steps / 2 } else { 1 }))
}

/// The single-evaluation sampler used for timing each kind of model.
pub fn bench_sampler(sde: bool) -> &'static str {
    if sde { "euler-maruyama" } else { "dpm++2m" }
}

fn main() -> Result<(), String> {
    let batches: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().map_err(|e| format!("{a}: {e}")))
        .collect::<Result<_, _>>()?;
    let batches = if batches.is_empty() {
        vec![1, 16, 64]
    } else {
        batches
    };
    let root =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    let dir = format!("{root}/../../static/weights");
    let manifest = Manifest::parse(
        &std::fs::read_to_string(format!("{dir}/manifest.json")).map_err(|e| e.to_string())?,
    )?;
    let (steps, skip) = steps_and_skip()?;
    let device = Device::flex();
    let mut rows = Vec::new();
    for entry in manifest.generators() {
        let bytes = std::fs::read(format!("{dir}/{}", entry.file)).map_err(|e| e.to_string())?;
        let net = zoo::load(entry, &bytes, &device).map_err(|e| e.to_string())?;
        let process = entry.process.clone().ok_or("no process")?;
        for &n in &batches {
            let spec = ChainSpec {
                sampler: bench_sampler(process.is_sde()).into(),
                options: Options {
                    steps,
                    clip: zoo::IMAGE_CLIP,
                    ..Options::default()
                },
                n,
                classes: if entry.conditional {
                    (0..n).map(|i| i % entry.classes.len()).collect()
                } else {
                    Vec::new()
                },
                guidance: 2.0,
                seed: 0,
            };
            let mut chain = ImageChain::new(&net, &process, &spec, &device)?;
            let mut x = chain.start();
            let mut ms = Vec::new();
            for _ in 0..steps {
                let t = Instant::now();
                let step = chain.step(&x)?.ok_or("chain ended early")?;
                // force the computation (the CPU backend is eager; a read makes it certain)
                let _ = step.x.clone().slice([0..1, 0..1, 0..1, 0..1]).into_data();
                ms.push(t.elapsed().as_secs_f64() * 1e3);
                x = step.x;
            }
            ms.drain(..skip);
            ms.sort_by(f64::total_cmp);
            let median = ms[ms.len() / 2];
            eprintln!("{} batch {n}: {median:.1} ms per step", entry.id);
            rows.push(format!(
                "{{\"model\": \"{}\", \"sampler\": \"{}\", \"batch\": {n}, \"median_ms\": {median:.3}}}",
                entry.id, spec.sampler
            ));
        }
    }
    println!("[{}]", rows.join(",\n "));
    Ok(())
}
