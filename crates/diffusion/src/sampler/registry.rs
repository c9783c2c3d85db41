//! Every sampler of the core by the name the CLI and the page use, in one table (what it is, which
//! process it steps, which options it reads), built from one set of options and a [`Process`], so
//! callers never match on sampler types or keep their own lists of names.

use std::sync::OnceLock;

use super::*;
use crate::sde::SdeKind;
use crate::{DiscreteSchedule, Process};

/// Which processes a sampler steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// A discrete DDPM schedule (a model of ε at training timesteps).
    Discrete,
    /// A continuous SDE (a model of the SDE's score).
    Sde,
    /// The linear flow path (a model of its velocity).
    Flow,
}

impl Family {
    /// What a sampler of this family does, for messages ("ddim steps a discrete schedule").
    fn needs(self) -> &'static str {
        match self {
            Family::Discrete => "steps a discrete schedule",
            Family::Sde => "integrates an SDE",
            Family::Flow => "integrates the linear flow path",
        }
    }

    /// What a person training a toy model does to get a process of this family.
    fn fix(self) -> &'static str {
        match self {
            Family::Discrete => "train with DDPM to use it",
            Family::Sde => "train on an SDE to use it",
            Family::Flow => "train with flow matching to use it",
        }
    }
}

/// One sampler of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SamplerInfo {
    pub name: &'static str,
    /// What it is, in a line.
    pub about: &'static str,
    pub family: Family,
    /// Whether it reads [`Options::eta`] (a page shows the η control only then).
    pub reads_eta: bool,
    /// Whether it reads [`Options::snr`].
    pub reads_snr: bool,
    /// Whether it picks its own steps (reading its error back: build it as a
    /// [`super::Stepper`]; it reads [`Options::tol`], not [`Options::steps`]).
    pub adaptive: bool,
    /// Whether it draws fresh noise as it steps (an SDE or ancestral sampler): one start then
    /// has many ends. DDIM does so only with η > 0 ([`SamplerInfo::draws_noise`]).
    pub stochastic: bool,
}

impl SamplerInfo {
    /// Whether a chain of it with `options` draws noise as it steps.
    pub fn draws_noise(&self, options: &Options) -> bool {
        self.stochastic || (self.reads_eta && options.eta > 0.0)
    }

    /// Whether each image of a batch is stepped alone, so that a batch split into parts (the
    /// page's pool of workers) gives the images of the batch in one piece, with [`PartNoise`]
    /// drawing the noise. Not so for the Langevin corrector (its step size reads the batch's mean
    /// norm) or an adaptive solver (its step sizes read the whole batch's error).
    ///
    /// [`PartNoise`]: crate::PartNoise
    pub fn per_image(&self) -> bool {
        !self.reads_snr && !self.adaptive
    }

    /// Whether it steps `process`.
    pub fn fits(&self, process: &Process) -> bool {
        self.family == process.family()
    }

    /// The same from the process's family: the page knows only a process's name before it
    /// builds one.
    pub fn fits_family(&self, family: Family) -> bool {
        self.family == family
    }
}

const fn info_of(name: &'static str, about: &'static str, family: Family) -> SamplerInfo {
    SamplerInfo {
        name,
        about,
        family,
        reads_eta: false,
        reads_snr: false,
        adaptive: false,
        stochastic: false,
    }
}

/// [`info_of`] for a sampler that draws noise as it steps.
const fn noisy(name: &'static str, about: &'static str, family: Family) -> SamplerInfo {
    SamplerInfo {
        stochastic: true,
        ..info_of(name, about, family)
    }
}

/// Every sampler [`build`] makes, in the order the CLI and the page list them.
pub const TABLE: &[SamplerInfo] = &[
    noisy(
        "ddpm",
        "DDPM ancestral, σ² = β̃ (fixed small)",
        Family::Discrete,
    ),
    noisy(
        "ddpm-large",
        "DDPM ancestral, σ² = β (fixed large)",
        Family::Discrete,
    ),
    SamplerInfo {
        reads_eta: true,
        ..info_of(
            "ddim",
            "DDIM with η (0: deterministic PF-ODE solver, 1: ancestral)",
            Family::Discrete,
        )
    },
    info_of("dpm++2m", "DPM-Solver++(2M)", Family::Discrete),
    info_of(
        "dpm++2m-karras",
        "DPM-Solver++(2M) on Karras σ",
        Family::Discrete,
    ),
    info_of(
        "euler",
        "Euler on the PF-ODE in σ (k-diffusion)",
        Family::Discrete,
    ),
    noisy("euler-a", "Euler-ancestral (k-diffusion)", Family::Discrete),
    info_of(
        "heun",
        "Heun on the PF-ODE in σ, Karras σ (2 evaluations per step)",
        Family::Discrete,
    ),
    noisy(
        "euler-maruyama",
        "Euler–Maruyama on the reverse SDE",
        Family::Sde,
    ),
    SamplerInfo {
        reads_snr: true,
        ..noisy(
            "pc",
            "predictor–corrector: Langevin corrector (snr) + Euler–Maruyama",
            Family::Sde,
        )
    },
    info_of(
        "pf-heun",
        "Heun on the probability-flow ODE of the SDE",
        Family::Sde,
    ),
    noisy(
        "annealed-langevin",
        "annealed Langevin dynamics (NCSN), 10 levels",
        Family::Sde,
    ),
    info_of(
        "flow-euler",
        "Euler on the flow's velocity, evenly spaced t",
        Family::Flow,
    ),
    info_of(
        "flow-heun",
        "Heun on the flow's velocity (2 evaluations per step)",
        Family::Flow,
    ),
    SamplerInfo {
        adaptive: true,
        ..info_of(
            "rk45",
            "adaptive Dormand–Prince RK45 on the flow's velocity (steps: as many as the tolerance needs)",
            Family::Flow,
        )
    },
];

/// The table's entry for sampler `name`.
pub fn info(name: &str) -> Option<&'static SamplerInfo> {
    TABLE.iter().find(|s| s.name == name)
}

/// The samplers that fit a process of `family`, in table order.
pub fn fitting(family: Family) -> Vec<&'static str> {
    TABLE
        .iter()
        .filter(|s| s.fits_family(family))
        .map(|s| s.name)
        .collect()
}

/// The names of [`TABLE`], for the known-names list of an unknown sampler's error.
fn known() -> &'static str {
    static KNOWN: OnceLock<String> = OnceLock::new();
    KNOWN.get_or_init(|| TABLE.iter().map(|s| s.name).collect::<Vec<_>>().join(", "))
}

const PAIRS: [(&str, &str); TABLE.len()] = {
    let mut out = [("", ""); TABLE.len()];
    let mut i = 0;
    while i < TABLE.len() {
        out[i] = (TABLE[i].name, TABLE[i].about);
        i += 1;
    }
    out
};

/// (name, what it is) of every sampler of [`TABLE`].
pub const SAMPLERS: &[(&str, &str)] = &PAIRS;

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
    /// The adaptive solver's relative and absolute tolerance.
    #[serde(default = "default_tol")]
    pub tol: f64,
}

fn default_tol() -> f64 {
    1e-4
}

impl Default for Options {
    fn default() -> Self {
        Self {
            steps: 50,
            eta: 0.0,
            snr: 0.16,
            langevin: (1.0, 0.01, 2e-5),
            clip: X0Clip::None,
            tol: default_tol(),
        }
    }
}

/// Sampler `name`'s entry, if it fits `process`: an unknown name, or a sampler of another
/// family, is an error naming both.
pub(super) fn check_fits(
    name: &str,
    process: &Process,
) -> Result<&'static SamplerInfo, DiffusionError> {
    let info = info(name).ok_or_else(|| DiffusionError::Unknown {
        what: "sampler",
        name: name.into(),
        known: known(),
    })?;
    if !info.fits(process) {
        return Err(DiffusionError::Unfit {
            sampler: name.into(),
            needs: info.family.needs(),
            process: process.describe(),
            fix: info.family.fix(),
        });
    }
    Ok(info)
}

/// Builds fixed-step sampler `name` on `process`. The sampler owns what it needs of the process,
/// so the box borrows nothing; a sampler of another family is an error naming both, and the
/// adaptive one is built by [`super::Stepper::build`].
pub fn build<const D: usize>(
    name: &str,
    opts: &Options,
    process: &Process,
) -> Result<Box<dyn Sampler<D>>, DiffusionError> {
    if check_fits(name, process)?.adaptive {
        return Err(DiffusionError::Unsupported(format!(
            "{name} chooses its own steps: build it with Stepper::build"
        )));
    }
    match process {
        Process::Discrete(schedule) => discrete(name, opts, schedule),
        Process::Sde(sde) => continuous(name, opts, *sde),
        Process::Flow => flow(name, opts),
    }
}

fn discrete<const D: usize>(
    name: &str,
    opts: &Options,
    schedule: &DiscreteSchedule,
) -> Result<Box<dyn Sampler<D>>, DiffusionError> {
    let n = opts.steps;
    let ladder = |karras| KarrasSigmas::new(schedule, n, Spacing::Linspace, 0, karras);
    let ddpm = |variance| {
        Ddpm::new(schedule, n, Spacing::Trailing, 0, variance)
            .map(|d| d.with_clean_end(true).with_clip(opts.clip))
    };
    let dpm = |karras| {
        DpmSolverPP2M::<D>::new(
            schedule,
            n,
            DpmOptions {
                karras,
                clip: opts.clip,
                ..DpmOptions::default()
            },
        )
    };
    Ok(match name {
        "ddpm" => Box::new(ddpm(Variance::FixedSmall)?),
        "ddpm-large" => Box::new(ddpm(Variance::FixedLarge)?),
        "ddim" => Box::new(
            Ddim::new(schedule, n, Spacing::Trailing, opts.eta)?.with_clip(opts.clip, false),
        ),
        "dpm++2m" => Box::new(dpm(false)?),
        "dpm++2m-karras" => Box::new(dpm(true)?),
        "euler" => Box::new(Euler::new(ladder(false)?)),
        "euler-a" => Box::new(EulerAncestral::new(ladder(false)?)),
        "heun" => Box::new(Heun::<D>::new(ladder(false)?)),
        other => return Err(not_built(other)),
    })
}

fn continuous<const D: usize>(
    name: &str,
    opts: &Options,
    sde: SdeKind,
) -> Result<Box<dyn Sampler<D>>, DiffusionError> {
    let n = opts.steps;
    Ok(match name {
        "euler-maruyama" => Box::new(ReverseSde::euler_maruyama(sde, n.max(2))?),
        "pc" => Box::new(ReverseSde::predictor_corrector(sde, n.max(2), opts.snr, 1)?),
        "pf-heun" => Box::new(FixedOde::new(sde, Rule::Heun, n)?),
        "annealed-langevin" => {
            let levels = n.clamp(1, 10);
            let (hi, lo, eps) = opts.langevin;
            Box::new(AnnealedLangevin::new(
                &sde,
                levels,
                hi,
                lo,
                eps,
                n.div_ceil(levels),
            )?)
        }
        other => return Err(not_built(other)),
    })
}

fn flow<const D: usize>(name: &str, opts: &Options) -> Result<Box<dyn Sampler<D>>, DiffusionError> {
    let rule = match name {
        "flow-euler" => Rule::Euler,
        "flow-heun" => Rule::Heun,
        other => return Err(not_built(other)),
    };
    Ok(Box::new(FixedOde::new(
        crate::Ode::Linear,
        rule,
        opts.steps,
    )?))
}

/// A name in [`TABLE`] that [`build`] has no constructor for (a table edited without `build`;
/// the registry's tests build every entry).
fn not_built(name: &str) -> DiffusionError {
    DiffusionError::Unsupported(format!("sampler {name} is listed but cannot be built"))
}

/// Fails with the step and time where a sample first stopped being finite.
pub fn ensure_finite(values: &[f32], step: usize, t: f64) -> Result<(), DiffusionError> {
    if values.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(DiffusionError::NotFinite { step, t })
    }
}
