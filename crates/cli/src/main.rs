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
