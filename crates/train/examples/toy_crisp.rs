//! Time to crisp (scripts/bench-toy-crisp.sh, docs/toy2d.md): trains the 2-D trainer natively on
//! Burn's CPU backend from a config given as `key=value` arguments over `ToyConfig::default()`
//! (data, process = ddpm-linear | vp | flow | flow-ot, target = pair | stable, times = uniform |
//! logit-normal, lr, batch, width, depth, ema, seed, noise,
//! sampler, steps = sampler steps, every = training steps between checks, max = training steps,
//! n = samples), and prints one JSON line per check: the step, seconds of training so far, and
//! the samples' quality (train::toy::Quality), until the quality is crisp or `max` is reached.

use std::time::Instant;

use burn::prelude::*;
use diffusion::sampler::Options;
use train::toy::{FlowTimes, Process, Target, ToyConfig, ToyRun};

fn main() -> Result<(), String> {
    let mut c = ToyConfig::default();
    let (mut sampler, mut steps, mut every, mut max, mut n) =
        ("ddim".to_string(), 50usize, 50usize, 3000usize, 1000usize);
    for arg in std::env::args().skip(1) {
        let (k, v) = arg.split_once('=').ok_or(format!("not key=value: {arg}"))?;
        let num = || v.parse::<f64>().map_err(|e| format!("{k}: {e}"));
        match k {
            "data" => c.dataset = v.into(),
            "process" => {
                c.process = match v {
                    "ddpm-linear" => Process::Ddpm {
                        schedule: "linear".into(),
                        steps: 1000,
                    },
                    "ddpm-cosine" => Process::Ddpm {
                        schedule: "cosine".into(),
                        steps: 1000,
                    },
                    "flow" => Process::Flow { ot: false },
                    "flow-ot" => Process::Flow { ot: true },
                    sde => Process::Sde { name: sde.into() },
                }
            }
            "lr" => c.lr = num()?,
            "batch" => c.batch = num()? as usize,
            "width" => c.width = num()? as usize,
            "depth" => c.depth = num()? as usize,
            "ema" => c.ema_decay = num()?,
            "seed" => c.seed = num()? as u64,
            "noise" => c.noise = num()?,
            "fourier" => c.fourier = v == "1",
            "target" => {
                c.target = match v {
                    "pair" => Target::Pair,
                    "stable" => Target::Stable,
                    _ => return Err(format!("target: pair or stable, not {v}")),
                }
            }
            "times" => {
                c.times = match v {
                    "uniform" => FlowTimes::Uniform,
                    "logit-normal" => FlowTimes::LogitNormal,
                    _ => return Err(format!("times: uniform or logit-normal, not {v}")),
                }
            }
            "sampler" => sampler = v.into(),
            "steps" => steps = num()? as usize,
            "every" => every = num()? as usize,
            "max" => max = num()? as usize,
            "n" => n = num()? as usize,
            other => return Err(format!("unknown key {other}")),
        }
    }
    let device = Device::flex();
    let mut run = ToyRun::new(c.clone(), &device)?;
    let options = Options {
        steps,
        ..Options::default()
    };
    let read = |l: Tensor<1>| l.into_data().iter::<f32>().next().unwrap_or(f32::NAN);
    let mut trained = 0.0;
    while run.trainer.step < max {
        let t0 = Instant::now();
        let mut loss = f32::NAN;
        for _ in 0..every {
            loss = read(run.step());
        }
        trained += t0.elapsed().as_secs_f64();
        let x = run.sample(&sampler, &options, n, 1, |_| {})?;
        let x = x
            .into_data()
            .try_into_vec::<f32>()
            .map_err(|e| format!("{e:?}"))?;
        let q = run.set.quality(&x);
        println!(
            "{{\"step\": {}, \"train_s\": {trained:.2}, \"loss\": {loss:.4}, \"crisp\": {}, \"quality\": {}}}",
            run.trainer.step,
            q.crisp(),
            serde_json::to_string(&q).map_err(|e| e.to_string())?
        );
        if q.crisp() {
            break;
        }
    }
    Ok(())
}
