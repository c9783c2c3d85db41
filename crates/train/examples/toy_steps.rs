//! Benchmark helper (scripts/bench-toy.sh): training steps per second of the 2-D trainer's default
//! configuration (8 Gaussians, MLP 3×128, DDPM-linear T = 1000, batch 256, Adam + EMA) natively
//! with Burn on the CPU, reading the loss back every 50 steps as the page does per slice.
//! Prints one JSON line.

use burn::prelude::*;
use std::time::Instant;
use train::toy::{ToyConfig, ToyRun};

fn main() -> Result<(), String> {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10.0);
    let device = Device::flex();
    let mut run = ToyRun::new(ToyConfig::default(), &device)?;
    let read = |l: Tensor<1>| l.into_data().iter::<f32>().next().unwrap_or(f32::NAN);
    for _ in 0..50 {
        read(run.step());
    }
    let (mut steps, t0) = (0usize, Instant::now());
    while t0.elapsed().as_secs_f64() < seconds {
        let loss = run.step();
        steps += 1;
        if steps % 50 == 0 {
            run.trainer.check(read(loss)).map_err(|e| e.to_string())?;
        }
    }
    let dt = t0.elapsed().as_secs_f64();
    println!(
        "{{\"runner\": \"burn-native-cpu\", \"steps\": {steps}, \"seconds\": {dt:.3}, \"steps_per_s\": {:.3}}}",
        steps as f64 / dt
    );
    Ok(())
}
