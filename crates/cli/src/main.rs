//! `diffuse`: the playground's native command line.

use std::path::PathBuf;
use std::process::ExitCode;

use burn::prelude::*;
use clap::{Parser, Subcommand};
use diffusion::conformance::{Case, run};

#[derive(Parser)]
#[command(
    name = "diffuse",
    version,
    about = "Diffusion playground: native tools"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Replay diffusers reference trajectories (JSON fixtures) and report the worst error of each.
    Conformance {
        /// Fixture files (format: tests/fixtures/diffusers/README.md).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Largest acceptable absolute error at any step.
        #[arg(long, default_value_t = 1e-4)]
        tol: f64,
    },
    /// Train a model preset (mnist-unet-cond, mnist-scorenet-ve, cifar10-unet-cond,
    /// mnist-classifier) on its data set; writes model.safetensors (EMA weights), train.safetensors,
    /// config.json, state.json and log.csv into --out.
    Train(diffuse::train_cmd::TrainArgs),
    /// Edit an image with a trained model: sdedit (noise it part of the way and denoise, once per
    /// seed), inpaint (regenerate a masked part, RePaint), interpolate (between two samples'
    /// noise), invert (DDIM inversion and back, with the error). Writes a PNG grid.
    Edit(diffuse::edit_cmd::EditArgs),
    /// Sample a grid of images from a trained run directory, or from a diffusers UNet2DModel
    /// folder (and optionally the chain as a strip).
    Sample {
        /// Run directory written by `train` (model.safetensors, state.json).
        #[arg(
            long,
            required_unless_present = "diffusers",
            conflicts_with = "diffusers"
        )]
        run: Option<PathBuf>,
        /// A diffusers UNet2DModel folder: config.json and a .safetensors file (and
        /// scheduler_config.json if any), or a pipeline folder with unet/ and scheduler/.
        #[arg(long)]
        diffusers: Option<PathBuf>,
        #[arg(long, default_value = "dpm++2m")]
        sampler: String,
        #[arg(long, default_value_t = 20)]
        steps: usize,
        #[arg(long, default_value_t = 0.0)]
        eta: f64,
        #[arg(long, default_value_t = 0.16)]
        snr: f64,
        /// Number of images.
        #[arg(long, default_value_t = 100)]
        n: usize,
        /// Class of every image (default: classes cycle 0, 1, …).
        #[arg(long)]
        class: Option<u8>,
        /// Classifier-free guidance scale w.
        #[arg(long, default_value_t = 1.0)]
        guidance: f64,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[arg(long, default_value = "cpu")]
        device: String,
        /// Output PNG grid.
        #[arg(long)]
        out: PathBuf,
        /// Also write the chain (x_t above x̂₀, one column per step) of the first image.
        #[arg(long)]
        chain: Option<PathBuf>,
    },
    /// Evaluate a model. MNIST: sample accuracy under our classifier and classifier FID.
    /// CIFAR-10: draws N samples and writes them with N real train and test images as .npy
    /// beside --out, for scripts/cifar-fid.sh's Inception FID.
    Eval {
        #[arg(long)]
        run: PathBuf,
        /// Run directory of the trained classifier (MNIST models).
        #[arg(long)]
        classifier: Option<PathBuf>,
        #[arg(long, default_value = "../shared/data")]
        data: PathBuf,
        #[arg(long, default_value = "dpm++2m")]
        sampler: String,
        #[arg(long, default_value_t = 20)]
        steps: usize,
        #[arg(long, default_value_t = 1.0)]
        guidance: f64,
        #[arg(long, default_value_t = 0.16)]
        snr: f64,
        #[arg(long, default_value_t = 10000)]
        n: usize,
        #[arg(long, default_value_t = 500)]
        batch: usize,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[arg(long, default_value = "cpu")]
        device: String,
        /// Write metrics here (JSON) and a grid of the first 100 samples next to it (.png).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Export a trained run's EMA weights for the page: static/weights/<id>.safetensors and its
    /// manifest.json entry (config, process, sha256, recipe, evaluation).
    Export {
        #[arg(long)]
        run: PathBuf,
        #[arg(long)]
        id: String,
        /// f16 (default) or f32.
        #[arg(long, default_value = "f16")]
        dtype: String,
        #[arg(long, default_value = "static/weights")]
        out: PathBuf,
        /// Evaluation figures (JSON, e.g. from `eval --out`) to record in the manifest.
        #[arg(long)]
        metrics: Option<PathBuf>,
    },
    /// Bits/dim of MNIST test images under the ScoreNet (PF-ODE likelihood, Hutchinson divergence).
    Bpd {
        #[arg(long)]
        run: PathBuf,
        #[arg(long, default_value = "../shared/data")]
        data: PathBuf,
        /// Number of test images.
        #[arg(long, default_value_t = 16)]
        n: usize,
        /// RK4 steps from t_min to 1.
        #[arg(long, default_value_t = 50)]
        steps: usize,
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Energy distance of every sampler at several step counts on the 8-mode mixture (Markdown).
    StepsTable {
        /// Samples per cell (and fresh data points to compare with).
        #[arg(long, default_value_t = 4000)]
        points: usize,
        /// Step counts, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "5,10,20,50,100,1000")]
        steps: Vec<usize>,
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Conformance { files, tol } => conformance(&files, tol),
        Command::Bpd {
            run,
            data,
            n,
            steps,
            seed,
        } => report(
            diffuse::bpd_cmd::bpd(&run, &data, n, steps, seed)
                .map(|b| println!("{}", serde_json::to_string_pretty(&b).expect("json"))),
        ),
        Command::Export {
            run,
            id,
            dtype,
            out,
            metrics,
        } => report((|| {
            let dtype = match dtype.as_str() {
                "f16" => models::Dtype::F16,
                "f32" => models::Dtype::F32,
                other => return Err(format!("dtype must be f16 or f32, not {other}")),
            };
            let entry = diffuse::export_cmd::export(&run, &id, dtype, &out, metrics.as_deref())?;
            println!(
                "{} → {}/{} ({} bytes, sha256 {}, f16 output error {:.2e})",
                id,
                out.display(),
                entry.file,
                entry.bytes,
                entry.sha256,
                entry.f16_max_rel_output_error
            );
            Ok(())
        })()),
        Command::Sample {
            run,
            diffusers,
            sampler,
            steps,
            eta,
            snr,
            n,
            class,
            guidance,
            seed,
            device,
            out,
            chain,
        } => report(sample_cmd(
            run.as_deref(),
            diffusers.as_deref(),
            sampler,
            steps,
            eta,
            snr,
            n,
            class,
            guidance,
            seed,
            &device,
            &out,
            chain.as_deref(),
        )),
        Command::Eval {
            run,
            classifier,
            data,
            sampler,
            steps,
            guidance,
            snr,
            n,
            batch,
            seed,
            device,
            out,
        } => report(eval_cmd(
            &run,
            classifier.as_deref(),
            &data,
            sampler,
            steps,
            guidance,
            snr,
            n,
            batch,
            seed,
            &device,
            out.as_deref(),
        )),
        Command::Edit(args) => {
            report(diffuse::edit_cmd::edit(&args).map(|said| println!("{said}")))
        }
        Command::Train(args) => match diffuse::train_cmd::train(&args) {
            Ok(state) => {
                let rate = state.step as f64 / state.wall_seconds.max(1e-9);
                println!(
                    "{}: step {} in {:.1} s ({rate:.2} steps/s over the whole run), last loss {:?}",
                    state.model,
                    state.step,
                    state.wall_seconds,
                    state.losses.last().map(|l| l.1)
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(1)
            }
        },
        Command::StepsTable {
            points,
            steps,
            seed,
        } => {
            let table = diffuse::steps_table::steps_table(points, &steps, seed, &Device::flex());
            print!("{}", table.markdown());
            ExitCode::SUCCESS
        }
    }
}

fn conformance(files: &[PathBuf], tol: f64) -> ExitCode {
    let device = Device::flex();
    let mut ok = true;
    for file in files {
        let outcome = std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))
            .and_then(|text| Case::parse(&text).map_err(|e| format!("{}: {e}", file.display())))
            .and_then(|case| run(&case, &device).map_err(|e| format!("{}: {e}", case.name)));
        match outcome {
            Ok(r) => {
                let pass = r.max_abs_err <= tol;
                ok &= pass;
                println!(
                    "{} max_abs_err={:.3e} steps={}{}",
                    r.name,
                    r.max_abs_err,
                    r.steps,
                    if pass { "" } else { "  FAIL" }
                );
                if !r.ignored.is_empty() {
                    eprintln!("  note: ignored config keys: {}", r.ignored.join(", "));
                }
            }
            Err(e) => {
                ok = false;
                eprintln!("error: {e}");
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn report(r: Result<(), String>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn sample_cmd(
    run: Option<&std::path::Path>,
    diffusers: Option<&std::path::Path>,
    sampler: String,
    steps: usize,
    eta: f64,
    snr: f64,
    n: usize,
    class: Option<u8>,
    guidance: f64,
    seed: u64,
    device: &str,
    out: &std::path::Path,
    chain: Option<&std::path::Path>,
) -> Result<(), String> {
    use diffuse::generate::{grid_png, load_model};
    let device = diffuse::device::pick(device)?;
    let (net, process, prediction) = load_model(run, diffusers, &device)?;
    let classes = (0..n).map(|i| class.map_or(i % 10, usize::from)).collect();
    let options = diffusion::sampler::Options {
        steps,
        eta,
        snr,
        clip: zoo::IMAGE_CLIP,
        ..Default::default()
    };
    let spec = zoo::ChainSpec {
        sampler,
        options,
        n,
        classes,
        guidance,
        seed,
    };
    let mut frames: Vec<(Vec<f32>, Vec<f32>)> = Vec::new();
    let started = std::time::Instant::now();
    let x = zoo::ImageChain::predicting(&net, &process, prediction, &spec, &device)?.run(|s| {
        if chain.is_some() {
            let first = |t: &Tensor<4>| {
                let [_, c, h, w] = t.dims();
                t.clone()
                    .slice([0..1, 0..c, 0..h, 0..w])
                    .into_data()
                    .convert::<f32>()
                    .try_to_vec::<f32>()
                    .expect("f32")
            };
            frames.push((first(&s.x), first(&s.x0)));
        }
    })?;
    let [n, c, h, w] = x.dims();
    let values = x
        .into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .map_err(|e| format!("{e:?}"))?;
    let cols = (n as f64).sqrt().ceil() as usize;
    std::fs::write(out, grid_png(&values, n, c, h, w, cols))
        .map_err(|e| format!("{}: {e}", out.display()))?;
    println!(
        "{} images in {:.2} s → {}",
        n,
        started.elapsed().as_secs_f64(),
        out.display()
    );
    if let Some(path) = chain {
        // Row 1: x_t per step; row 2: x̂₀ per step (column-major into the grid: transpose order).
        let k = frames.len();
        let mut strip = Vec::with_capacity(2 * k * c * h * w);
        for (xt, _) in &frames {
            strip.extend(xt.iter().map(|v| v.clamp(-1.0, 1.0)));
        }
        for (_, x0) in &frames {
            strip.extend(x0);
        }
        std::fs::write(path, grid_png(&strip, 2 * k, c, h, w, k))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn eval_cmd(
    run: &std::path::Path,
    classifier: Option<&std::path::Path>,
    data: &std::path::Path,
    sampler: String,
    steps: usize,
    guidance: f64,
    snr: f64,
    n: usize,
    batch: usize,
    seed: u64,
    device: &str,
    out: Option<&std::path::Path>,
) -> Result<(), String> {
    use diffuse::generate::{grid_png, load_run};
    let device = diffuse::device::pick(device)?;
    let r = load_run(run, &device)?;
    let options = diffusion::sampler::Options {
        steps,
        snr,
        clip: zoo::IMAGE_CLIP,
        ..Default::default()
    };
    let spec = zoo::ChainSpec {
        sampler,
        options,
        n: 0,
        classes: Vec::new(),
        guidance,
        seed,
    };
    let write = |path: &std::path::Path, bytes: &[u8]| {
        std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
    };
    let dataset = diffuse::presets::preset(&r.state.model)?.dataset;
    let (json, generated) = if dataset == diffuse::presets::Dataset::Cifar10 {
        let out = out.ok_or("a CIFAR-10 evaluation writes its arrays beside --out; give one")?;
        let (m, generated) =
            diffuse::cifar_eval::eval_cifar(&r, data, &spec, n, batch, &device, out)?;
        (serde_json::to_string_pretty(&m).expect("json"), generated)
    } else {
        let classifier = classifier.ok_or("an MNIST evaluation needs --classifier RUN_DIR")?;
        let (m, generated) =
            diffuse::eval_cmd::eval_mnist(&r, classifier, data, &spec, n, batch, &device)?;
        (serde_json::to_string_pretty(&m).expect("json"), generated)
    };
    println!("{json}");
    if let Some(out) = out {
        write(out, json.as_bytes())?;
        let [c, h, w] = r.net.image_shape();
        let k = n.min(100);
        write(
            &out.with_extension("png"),
            &grid_png(&generated[..k * c * h * w], k, c, h, w, 10),
        )?;
    }
    Ok(())
}
