//! Building the sampler a fixture names from its scheduler config, with diffusers' defaults for
//! anything left out, and refusing settings the samplers here do not implement instead of
//! ignoring them.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::{Case, ConformanceError, bad};
use crate::sampler::{
    Ddim, Ddpm, DpmOptions, DpmSolverPP2M, Euler, EulerAncestral, Heun, KarrasSigmas, Sampler,
    Spacing, VePredictorCorrector, X0Clip,
};
use crate::{BetaSchedule, DiscreteSchedule, Parameterization};

/// Reads config values with diffusers' defaults and remembers which keys were used.
struct Config<'a> {
    map: &'a Map<String, Value>,
    used: BTreeSet<&'static str>,
}

impl<'a> Config<'a> {
    fn f64(&mut self, key: &'static str, default: f64) -> Result<f64, ConformanceError> {
        self.used.insert(key);
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(v) => v
                .as_f64()
                .ok_or_else(|| bad(format!("config {key} must be a number, got {v}"))),
        }
    }

    fn usize(&mut self, key: &'static str, default: usize) -> Result<usize, ConformanceError> {
        let v = self.f64(key, default as f64)?;
        if v < 0.0 || v.fract() != 0.0 {
            return Err(bad(format!(
                "config {key} must be a whole number ≥ 0, got {v}"
            )));
        }
        Ok(v as usize)
    }

    fn bool(&mut self, key: &'static str, default: bool) -> Result<bool, ConformanceError> {
        self.used.insert(key);
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(v) => v
                .as_bool()
                .ok_or_else(|| bad(format!("config {key} must be true or false, got {v}"))),
        }
    }

    fn str(
        &mut self,
        key: &'static str,
        default: &'static str,
    ) -> Result<String, ConformanceError> {
        self.used.insert(key);
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(default.to_string()),
            Some(v) => v
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| bad(format!("config {key} must be a string, got {v}"))),
        }
    }

    /// Fails if `key` is set to anything but `allowed`.
    fn only(
        &mut self,
        key: &'static str,
        allowed: Value,
        why: &'static str,
    ) -> Result<(), ConformanceError> {
        self.used.insert(key);
        match self.map.get(key) {
            Some(v) if !v.is_null() && *v != allowed => Err(ConformanceError::Unsupported {
                key: key.into(),
                value: v.to_string(),
                why: why.into(),
            }),
            _ => Ok(()),
        }
    }

    fn schedule(&mut self) -> Result<DiscreteSchedule, ConformanceError> {
        let train = self.usize("num_train_timesteps", 1000)?;
        let start = self.f64("beta_start", 0.0001)?;
        let end = self.f64("beta_end", 0.02)?;
        let name = self.str("beta_schedule", "linear")?;
        let kind = BetaSchedule::from_diffusers(&name, start, end).map_err(|e| {
            ConformanceError::Unsupported {
                key: "beta_schedule".into(),
                value: name.clone(),
                why: e.to_string(),
            }
        })?;
        self.only(
            "trained_betas",
            Value::Null,
            "custom betas are not supported",
        )?;
        self.only(
            "rescale_betas_zero_snr",
            Value::Bool(false),
            "zero-SNR rescaling is not implemented",
        )?;
        Ok(DiscreteSchedule::new(kind, train)?)
    }

    fn spacing(&mut self, default: &'static str) -> Result<(Spacing, usize), ConformanceError> {
        let spacing = self.str("timestep_spacing", default)?.parse()?;
        Ok((spacing, self.usize("steps_offset", 0)?))
    }

    fn clip(&mut self, default: bool) -> Result<X0Clip, ConformanceError> {
        let on = self.bool("clip_sample", default)?;
        let range = self.f64("clip_sample_range", 1.0)?;
        Ok(if on {
            X0Clip::Clip { range }
        } else {
            X0Clip::None
        })
    }

    fn ladder(&mut self, schedule: &DiscreteSchedule) -> Result<KarrasSigmas, ConformanceError> {
        let steps = self.usize("steps", 0)?;
        let (spacing, offset) = self.spacing("linspace")?;
        let karras = self.bool("use_karras_sigmas", false)?;
        self.only(
            "interpolation_type",
            Value::from("linear"),
            "only linear σ interpolation is implemented",
        )?;
        self.only(
            "use_exponential_sigmas",
            Value::Bool(false),
            "not implemented",
        )?;
        self.only("use_beta_sigmas", Value::Bool(false), "not implemented")?;
        self.only(
            "timestep_type",
            Value::from("discrete"),
            "only discrete timesteps are implemented",
        )?;
        Ok(KarrasSigmas::new(schedule, steps, spacing, offset, karras)?)
    }

    fn ignored(&self) -> Vec<String> {
        self.map
            .keys()
            .filter(|k| *k != "kind" && !self.used.contains(k.as_str()))
            .cloned()
            .collect()
    }
}

/// The sampler a fixture names, built from its config, and the schedule of its discrete
/// timesteps (`None` for the variance-exploding SDE, whose model time is σ itself).
pub(super) struct Built {
    pub sampler: Box<dyn Sampler<2>>,
    pub schedule: Option<DiscreteSchedule>,
    pub ignored: Vec<String>,
}

pub(super) fn sampler(case: &Case) -> Result<Built, ConformanceError> {
    let mut c = Config {
        map: &case.config,
        used: BTreeSet::new(),
    };
    let schedule = match case.kind.as_str() {
        "score_sde_ve_pc" => None,
        _ => Some(c.schedule()?),
    };
    c.only(
        "prediction_type",
        Value::from(prediction_name(case.prediction)),
        "must agree with the fixture's “prediction”",
    )?;
    let s: Box<dyn Sampler<2>> = match case.kind.as_str() {
        "ddpm" => {
            let steps = c.usize("steps", 0)?;
            let (spacing, offset) = c.spacing("leading")?;
            let variance = c.str("variance_type", "fixed_small")?.parse()?;
            let clip = c.clip(true)?;
            Box::new(
                Ddpm::new(discrete(&schedule)?, steps, spacing, offset, variance)?.with_clip(clip),
            )
        }
        "ddim" => {
            let steps = c.usize("steps", 0)?;
            let (spacing, offset) = c.spacing("leading")?;
            let eta = c.f64("eta", 0.0)?;
            let one = c.bool("set_alpha_to_one", true)?;
            let clip = c.clip(true)?;
            let clipped_eps = c.bool("use_clipped_model_output", false)?;
            Box::new(
                Ddim::with_options(discrete(&schedule)?, steps, spacing, offset, eta, one)?
                    .with_clip(clip, clipped_eps),
            )
        }
        "dpmpp_2m" => {
            let steps = c.usize("steps", 0)?;
            let (spacing, offset) = c.spacing("linspace")?;
            c.only(
                "algorithm_type",
                Value::from("dpmsolver++"),
                "only the data-prediction solver (dpmsolver++) is implemented",
            )?;
            c.only(
                "solver_type",
                Value::from("midpoint"),
                "only the midpoint second-order update is implemented",
            )?;
            c.only("use_lu_lambdas", Value::Bool(false), "not implemented")?;
            let final_zero = match c.str("final_sigmas_type", "zero")?.as_str() {
                "zero" => true,
                "sigma_min" => false,
                other => {
                    return Err(ConformanceError::Unsupported {
                        key: "final_sigmas_type".into(),
                        value: other.into(),
                        why: "known: zero, sigma_min".into(),
                    });
                }
            };
            let opts = DpmOptions {
                spacing,
                offset,
                karras: c.bool("use_karras_sigmas", false)?,
                order: c.usize("solver_order", 2)?,
                lower_order_final: c.bool("lower_order_final", true)?,
                euler_at_final: c.bool("euler_at_final", false)?,
                final_zero,
                clip: if c.bool("thresholding", false)? {
                    X0Clip::Dynamic {
                        ratio: c.f64("dynamic_thresholding_ratio", 0.995)?,
                        max: c.f64("sample_max_value", 1.0)?,
                    }
                } else {
                    X0Clip::None
                },
            };
            Box::new(DpmSolverPP2M::<2>::new(discrete(&schedule)?, steps, opts)?)
        }
        "euler" => Box::new(Euler::new(c.ladder(discrete(&schedule)?)?)),
        "euler_ancestral" => Box::new(EulerAncestral::new(c.ladder(discrete(&schedule)?)?)),
        "heun" => Box::new(Heun::<2>::new(c.ladder(discrete(&schedule)?)?)),
        "score_sde_ve_pc" => Box::new(VePredictorCorrector::new(
            c.usize("steps", 0)?,
            c.f64("sigma_min", 0.01)?,
            c.f64("sigma_max", 1348.0)?,
            c.f64("snr", 0.15)?,
            c.usize("correct_steps", 1)?,
            c.f64("sampling_eps", 1e-5)?,
        )?),
        other => return Err(ConformanceError::UnknownKind(other.into())),
    };
    Ok(Built {
        sampler: s,
        schedule,
        ignored: c.ignored(),
    })
}

fn discrete(schedule: &Option<DiscreteSchedule>) -> Result<&DiscreteSchedule, ConformanceError> {
    schedule
        .as_ref()
        .ok_or_else(|| bad("internal: a discrete scheduler without a schedule"))
}

fn prediction_name(p: Parameterization) -> &'static str {
    match p {
        Parameterization::Epsilon => "epsilon",
        Parameterization::Sample => "sample",
        Parameterization::Velocity => "v_prediction",
        Parameterization::Score => "score",
        Parameterization::Flow => "flow",
    }
}
