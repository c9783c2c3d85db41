//! `diffuse train`: trains a preset on its data set with Adam and EMA, logging the loss, saving
//! checkpoints that `--resume` continues from, stopping cleanly at a wall-clock budget.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::module::Module;
use burn::prelude::*;
use data::Images;
use diffusion::SeededNoise;
use models::{Dtype, SafeTensors, weights};
use serde::{Deserialize, Serialize};
use train::trainer::OptimizerState;
use train::{Trainer, TrainerConfig, objective};

use crate::presets::{Net, Preset, build_net, load_data, preset, unet_schedule};

/// `diffuse train`'s arguments (also built directly by tests).
#[derive(Debug, Clone, clap::Args)]
pub struct TrainArgs {
    pub model: String,
    /// Directory holding mnist/ and cifar10/ (the layout of ../shared/data).
    #[arg(long = "data", default_value = "../shared/data")]
    pub data_dir: PathBuf,
    #[arg(long)]
    pub out: PathBuf,
    /// Total optimisation steps (a resumed run continues up to this count).
    #[arg(long, default_value_t = 10000)]
    pub steps: usize,
    #[arg(long)]
    pub batch: Option<usize>,
    #[arg(long)]
    pub lr: Option<f64>,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// cpu, or gpu (Vulkan; binaries built with --features gpu).
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Continue from the checkpoint in --out.
    #[arg(long)]
    pub resume: bool,
    #[arg(long, default_value_t = 50)]
    pub log_every: usize,
    #[arg(long, default_value_t = 2000)]
    pub save_every: usize,
    /// Stop (and save) after this many minutes of training.
    #[arg(long)]
    pub max_minutes: Option<f64>,
    /// Train on the first N images only.
    #[arg(long)]
    pub limit: Option<usize>,
}

/// What `state.json` records next to the weights: enough to resume and to write the recipe.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TrainState {
    pub model: String,
    pub step: usize,
    pub batch: usize,
    pub lr: f64,
    pub ema_decay: f64,
    pub seed: u64,
    pub device: String,
    pub wall_seconds: f64,
    pub train_images: usize,
    pub params: usize,
    /// (step, mean loss over the preceding log interval).
    pub losses: Vec<(usize, f32)>,
}

fn save(
    out: &Path,
    net_raw: &SafeTensors,
    ema: &SafeTensors,
    config: &str,
    state: &TrainState,
    optimizer: &OptimizerState,
) -> Result<(), String> {
    let write = |name: &str, bytes: &[u8]| {
        let tmp = out.join(format!("{name}.tmp"));
        std::fs::write(&tmp, bytes)
            .and_then(|_| std::fs::rename(&tmp, out.join(name)))
            .map_err(|e| format!("cannot write {}: {e}", out.join(name).display()))
    };
    write("train.safetensors", &net_raw.to_bytes(Dtype::F32))?;
    write("model.safetensors", &ema.to_bytes(Dtype::F32))?;
    write("config.json", config.as_bytes())?;
    write(OPTIMIZER, &optimizer.bytes)?;
    write(
        OPTIMIZER_IDS,
        serde_json::to_string(&optimizer.ids)
            .expect("json")
            .as_bytes(),
    )?;
    write(
        "state.json",
        serde_json::to_string_pretty(state)
            .expect("json")
            .as_bytes(),
    )
}

/// Adam's moments (Burn's burnpack) and the parameter ids they are keyed by, in module order.
const OPTIMIZER: &str = "optimizer.bpk";
const OPTIMIZER_IDS: &str = "optimizer-ids.json";

/// The optimizer state of a run directory, if it has one (runs saved before it was kept have
/// none and warm up again).
fn load_optimizer(dir: &Path) -> Result<Option<OptimizerState>, String> {
    let (bytes, ids) = (dir.join(OPTIMIZER), dir.join(OPTIMIZER_IDS));
    if !bytes.exists() || !ids.exists() {
        return Ok(None);
    }
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()));
    let ids: Vec<u64> = serde_json::from_slice(&read(&ids)?)
        .map_err(|e| format!("{}: {e}", dir.join(OPTIMIZER_IDS).display()))?;
    Ok(Some(OptimizerState {
        ids,
        bytes: read(&bytes)?,
    }))
}

fn load_file(path: &Path) -> Result<SafeTensors, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    SafeTensors::parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Hashes a seed and a step into a new seed (SplitMix64's finaliser), so resumed runs draw fresh
/// random numbers rather than a shifted copy of the first run's.
fn mix(seed: u64, step: u64) -> u64 {
    let mut z = seed
        ^ step
            .wrapping_mul(0xd1b5_4a32_d192_ed03)
            .wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A random batch: pixels in [−1, 1] (optionally mirrored) and labels.
fn batch(
    images: &Images,
    n: usize,
    hflip: bool,
    rng: &mut SeededNoise,
    device: &Device,
) -> (Tensor<4>, Vec<u8>) {
    let idx: Vec<usize> = rng
        .uniforms(n)
        .iter()
        .map(|&u| ((u as f64 * images.len() as f64) as usize).min(images.len() - 1))
        .collect();
    let mut x = images.batch_f32(&idx);
    let (c, h, w) = (images.channels, images.height, images.width);
    if hflip {
        for (i, u) in rng.uniforms(n).into_iter().enumerate() {
            if u < 0.5 {
                for row in x[i * c * h * w..(i + 1) * c * h * w].chunks_mut(w) {
                    row.reverse();
                }
            }
        }
    }
    let labels = idx.iter().map(|&i| images.labels[i]).collect();
    (
        Tensor::<4>::from_data(TensorData::new(x, [n, c, h, w]), device),
        labels,
    )
}

struct Loop<'a> {
    args: &'a TrainArgs,
    preset: &'a Preset,
    images: Images,
    state: TrainState,
    config_json: String,
    device: Device,
}

impl Loop<'_> {
    fn run<M: Module + Clone>(
        mut self,
        mut trainer: Trainer<M>,
        mut loss_of: impl FnMut(&M, Tensor<4>, &[u8], &mut SeededNoise) -> Tensor<1>,
    ) -> Result<TrainState, String> {
        let args = self.args;
        let started = Instant::now();
        let wall_before = self.state.wall_seconds;
        let mut rng = SeededNoise::new(mix(args.seed, self.state.step as u64));
        let bar = indicatif::ProgressBar::new(args.steps as u64);
        bar.set_position(self.state.step as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:30} {pos}/{len} {per_sec} eta {eta} {msg}",
            )
            .expect("template"),
        );
        let mut log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(args.out.join("log.csv"))
            .map_err(|e| format!("cannot open log.csv: {e}"))?;
        let mut acc: Option<Tensor<1>> = None;
        let mut in_acc = 0usize;
        let batch_size = self.state.batch;
        let stop_at = args.max_minutes.map(|m| m * 60.0);
        let mut since_save = 0usize;
        let mut last_print = Instant::now();
        loop {
            let out_of_time = stop_at.is_some_and(|s| started.elapsed().as_secs_f64() >= s);
            let done = trainer.step >= args.steps || out_of_time;
            if in_acc > 0 && (done || in_acc >= args.log_every) {
                let mean = acc.take().expect("accumulated").into_scalar::<f32>() / in_acc as f32;
                in_acc = 0;
                trainer.check(mean).map_err(|e| e.to_string())?;
                self.state.losses.push((trainer.step, mean));
                let elapsed = wall_before + started.elapsed().as_secs_f64();
                writeln!(
                    log,
                    "{},{mean},{:.3e},{elapsed:.1}",
                    trainer.step,
                    trainer.lr()
                )
                .ok();
                bar.set_message(format!("loss {mean:.4}"));
                if last_print.elapsed().as_secs() >= 30 || done {
                    eprintln!("step {} loss {mean:.5} ({elapsed:.0} s)", trainer.step);
                    last_print = Instant::now();
                }
            }
            if done || since_save >= args.save_every {
                self.state.step = trainer.step;
                self.state.wall_seconds = wall_before + started.elapsed().as_secs_f64();
                let raw = weights::collect(&trainer.model.valid());
                let ema = weights::collect(&trainer.ema.model);
                let optimizer = trainer.optimizer_state()?;
                save(
                    &args.out,
                    &raw,
                    &ema,
                    &self.config_json,
                    &self.state,
                    &optimizer,
                )?;
                since_save = 0;
            }
            if done {
                break;
            }
            let (x, labels) = batch(
                &self.images,
                batch_size,
                self.preset.hflip,
                &mut rng,
                &self.device,
            );
            let loss = trainer.step(|m| loss_of(m, x, &labels, &mut rng));
            acc = Some(match acc.take() {
                Some(a) => a + loss,
                None => loss,
            });
            in_acc += 1;
            since_save += 1;
            bar.set_position(trainer.step as u64);
        }
        bar.finish();
        Ok(self.state)
    }
}

/// Trains (or resumes) a preset; returns the final state.
pub fn train(args: &TrainArgs) -> Result<TrainState, String> {
    let preset = preset(&args.model)?;
    let device = crate::device::pick(&args.device)?;
    device.seed(mix(args.seed, 0));
    let ad = device.clone().autodiff();
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    let mut images = load_data(preset.dataset, &args.data_dir, true).map_err(|e| e.to_string())?;
    if let Some(n) = args.limit {
        let s = images.image_size();
        images.labels.truncate(n);
        images.pixels.truncate(n * s);
    }
    let net = build_net(&preset, &ad)?;
    let mut state = TrainState {
        model: preset.id.into(),
        batch: args.batch.unwrap_or(preset.batch),
        lr: args.lr.unwrap_or(preset.lr),
        ema_decay: preset.ema_decay,
        seed: args.seed,
        device: args.device.clone(),
        train_images: images.len(),
        params: net.num_params(),
        ..TrainState::default()
    };
    let resume = args.resume && args.out.join("state.json").exists();
    let (raw, ema, optimizer) = if resume {
        let text =
            std::fs::read_to_string(args.out.join("state.json")).map_err(|e| e.to_string())?;
        let old: TrainState =
            serde_json::from_str(&text).map_err(|e| format!("state.json: {e}"))?;
        if old.model != preset.id {
            return Err(format!(
                "{} holds a {} run, not {}",
                args.out.display(),
                old.model,
                preset.id
            ));
        }
        state.step = old.step;
        state.wall_seconds = old.wall_seconds;
        state.losses = old.losses;
        eprintln!("resuming {} at step {}", preset.id, state.step);
        let ema = load_file(&args.out.join("model.safetensors"))?;
        // Runs copied without their raw weights continue from the EMA weights.
        let raw_path = args.out.join("train.safetensors");
        let raw = if raw_path.exists() {
            load_file(&raw_path)?
        } else {
            ema.clone()
        };
        (Some(raw), Some(ema), load_optimizer(&args.out)?)
    } else {
        (None, None, None)
    };
    eprintln!(
        "{}: {} parameters, {} training images, batch {}, lr {}",
        preset.id,
        state.params,
        images.len(),
        state.batch,
        state.lr
    );
    let config = TrainerConfig {
        lr: state.lr,
        warmup: if resume { 100 } else { 500 },
        decay_from: None,
        ema_decay: preset.ema_decay,
        clip_norm: Some(1.0),
        explode_factor: Some(10.0),
        spike_after: None,
    };
    let config_json = net.config_json();
    let step0 = state.step;
    if step0 > 0 {
        // A resumed run must not replay the first run's noise.
        device.seed(mix(args.seed, step0 as u64));
    }
    let l = Loop {
        args,
        preset: &preset,
        images,
        state,
        config_json,
        device: ad,
    };
    fn restore<M: Module + Clone>(
        model: M,
        raw: &Option<SafeTensors>,
        ema: &Option<SafeTensors>,
        optimizer: &Option<OptimizerState>,
        config: TrainerConfig,
        step: usize,
    ) -> Result<Trainer<M>, String> {
        let model = match raw {
            Some(f) => weights::load(model, f).map_err(|e| e.to_string())?,
            None => model,
        };
        let mut t = Trainer::new(model, config);
        if let Some(f) = ema {
            t.ema.model = weights::load(t.ema.model.clone(), f).map_err(|e| e.to_string())?;
            t.ema.updates = step;
        }
        match optimizer {
            Some(o) => {
                t.restore_optimizer(o.clone())?;
                eprintln!("Adam's state restored: no warm-up");
            }
            None if step > 0 => eprintln!("no optimizer state in the run: Adam starts afresh"),
            None => {}
        }
        t.resume_at(step);
        Ok(t)
    }
    match net {
        Net::UNet(m) => {
            let schedule = unet_schedule();
            let t = restore(m, &raw, &ema, &optimizer, config, step0)?;
            l.run(t, move |m, x, labels, rng| {
                objective::ddpm_eps_loss(m, x, Some(labels), &schedule, 0.1, rng)
            })
        }
        Net::ScoreNet(m) => {
            let t = restore(m, &raw, &ema, &optimizer, config, step0)?;
            l.run(t, |m, x, _, rng| objective::dsm_loss(m, x, 1e-5, rng))
        }
        Net::Classifier(m) => {
            let t = restore(m, &raw, &ema, &optimizer, config, step0)?;
            l.run(t, |m, x, labels, _| {
                objective::classifier_loss(m, x, labels)
            })
        }
    }
}
