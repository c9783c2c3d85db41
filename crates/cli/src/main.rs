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
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Conformance { files, tol } => conformance(&files, tol),
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
