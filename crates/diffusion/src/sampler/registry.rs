//! Every sampler of the core by the name the CLI and the page use, built from one set of options,
//! so callers never match on sampler types themselves.

use super::*;
use crate::DiscreteSchedule;
use crate::sde::Sde;

/// (name, what it is).
pub const SAMPLERS: &[(&str, &str)] = &[
    ("ddpm", "DDPM ancestral, σ² = β̃ (fixed small)"),
    ("ddpm-large", "DDPM ancestral, σ² = β (fixed large)"),
    (
        "ddim",
        "DDIM with η (0: deterministic PF-ODE solver, 1: ancestral)",
    ),
    ("dpm++2m", "DPM-Solver++(2M)"),
    ("dpm++2m-karras", "DPM-Solver++(2M) on Karras σ"),
    ("euler", "Euler on the PF-ODE in σ (k-diffusion)"),
    ("euler-a", "Euler-ancestral (k-diffusion)"),
    (
        "heun",
        "Heun on the PF-ODE in σ, Karras σ (2 evaluations per step)",
    ),
    ("euler-maruyama", "Euler–Maruyama on the reverse SDE"),
    (
        "pc",
        "predictor–corrector: Langevin corrector (snr) + Euler–Maruyama",
    ),
    ("pf-heun", "Heun on the probability-flow ODE of the SDE"),
    (
        "annealed-langevin",
        "annealed Langevin dynamics (NCSN), 10 levels",
    ),
];

/// The samplers of [`SAMPLERS`] that integrate an SDE (they need a model of the SDE's score); the
/// others step a discrete DDPM schedule.
pub const SDE_SAMPLERS: [&str; 4] = ["euler-maruyama", "pc", "pf-heun", "annealed-langevin"];

/// The samplers of [`SAMPLERS`] that fit a process: the SDE samplers for an SDE, the others for a
/// discrete DDPM schedule.
pub fn samplers_for(sde: bool) -> Vec<&'static str> {
    SAMPLERS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| SDE_SAMPLERS.contains(name) == sde)
        .collect()
}

/// Sampler settings; each sampler reads the ones it has.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Options {
    pub steps: usize,
    /// DDIM's η ∈ [0, 1].
    pub eta: f64,
    /// The Langevin corrector's signal-to-noise ratio.
    pub snr: f64,
    /// Annealed Langevin: largest and smallest noise level and base step ε.
    pub langevin: (f64, f64, f64),
    /// Treatment of x̂₀ in the DDPM, DDIM and DPM-Solver++ samplers (diffusers' `clip_sample`).
    pub clip: X0Clip,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            steps: 50,
            eta: 0.0,
            snr: 0.16,
            langevin: (1.0, 0.01, 2e-5),
            clip: X0Clip::None,
        }
    }
}

/// Builds sampler `name`: discrete-time samplers run on `schedule`, SDE samplers on `sde`.
pub fn build<'a, const D: usize>(
    name: &str,
    opts: &Options,
    schedule: &DiscreteSchedule,
    sde: &'a dyn Sde,
) -> Result<Box<dyn Sampler<D> + 'a>, DiffusionError> {
    let n = opts.steps;
    let ladder = |karras| KarrasSigmas::new(schedule, n, Spacing::Linspace, 0, karras);
    Ok(match name {
        "ddpm" => Box::new(
            Ddpm::new(schedule, n, Spacing::Trailing, 0, Variance::FixedSmall)?
                .with_clean_end(true)
                .with_clip(opts.clip),
        ),
        "ddpm-large" => Box::new(
            Ddpm::new(schedule, n, Spacing::Trailing, 0, Variance::FixedLarge)?
                .with_clean_end(true)
                .with_clip(opts.clip),
        ),
        "ddim" => Box::new(
            Ddim::new(schedule, n, Spacing::Trailing, opts.eta)?.with_clip(opts.clip, false),
        ),
        "dpm++2m" => Box::new(DpmSolverPP2M::<D>::new(
            schedule,
            n,
            DpmOptions {
                clip: opts.clip,
                ..DpmOptions::default()
            },
        )?),
        "dpm++2m-karras" => Box::new(DpmSolverPP2M::<D>::new(
            schedule,
            n,
            DpmOptions {
                karras: true,
                clip: opts.clip,
                ..DpmOptions::default()
            },
        )?),
        "euler" => Box::new(Euler::new(ladder(false)?)),
        "euler-a" => Box::new(EulerAncestral::new(ladder(false)?)),
        "heun" => Box::new(Heun::<D>::new(ladder(false)?)),
        "euler-maruyama" => Box::new(ReverseSde::euler_maruyama(sde, n.max(2))?),
        "pc" => Box::new(ReverseSde::predictor_corrector(sde, n.max(2), opts.snr, 1)?),
        "pf-heun" => Box::new(FlowHeun::new(sde, n)?),
        "annealed-langevin" => {
            let levels = n.clamp(1, 10);
            let (hi, lo, eps) = opts.langevin;
            Box::new(AnnealedLangevin::new(
                sde,
                levels,
                hi,
                lo,
                eps,
                n.div_ceil(levels),
            )?)
        }
        other => {
            return Err(DiffusionError::Unknown {
                what: "sampler",
                name: other.into(),
                known: "ddpm, ddpm-large, ddim, dpm++2m, dpm++2m-karras, euler, euler-a, heun, euler-maruyama, pc, pf-heun, annealed-langevin",
            });
        }
    })
}

/// Fails with the step and time where a sample first stopped being finite.
pub fn ensure_finite(values: &[f32], step: usize, t: f64) -> Result<(), DiffusionError> {
    if values.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(DiffusionError::NotFinite { step, t })
    }
}
