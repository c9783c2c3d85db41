//! `diffuse`: the playground's native command line.

use std::path::PathBuf;
use std::process::ExitCode;

use burn::prelude::*;
use clap::{Parser, Subcommand};
use diffuse::conformance::{Case, run};

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
    Train {
        model: String,
        /// Directory holding mnist/ and cifar10/ (the layout of ../shared/data).
        #[arg(long, default_value = "../shared/data")]
        data: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Total optimisation steps (a resumed run continues up to this count).
        #[arg(long, default_value_t = 10000)]
        steps: usize,
        #[arg(long)]
        batch: Option<usize>,
        #[arg(long)]
        lr: Option<f64>,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// cpu, or gpu (Vulkan; binaries built with --features gpu).
        #[arg(long, default_value = "cpu")]
        device: String,
        /// Continue from the checkpoint in --out.
        #[arg(long)]
        resume: bool,
        #[arg(long, default_value_t = 50)]
        log_every: usize,
        #[arg(long, default_value_t = 2000)]
        save_every: usize,
        /// Stop (and save) after this many minutes of training.
        #[arg(long)]
        max_minutes: Option<f64>,
        /// Train on the first N images only.
        #[arg(long)]
        limit: Option<usize>,
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
        Command::Train {
            model,
            data,
            out,
            steps,
            batch,
            lr,
            seed,
            device,
            resume,
            log_every,
            save_every,
            max_minutes,
            limit,
        } => {
            let args = diffuse::train_cmd::TrainArgs {
                model,
                data_dir: data,
                out,
                steps,
                batch,
                lr,
                seed,
                device,
                resume,
                log_every,
                save_every,
                max_minutes,
                limit,
            };
            match diffuse::train_cmd::train(&args) {
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
            }
        }
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
