//! Conformance against diffusers: a fixture (format in `tests/fixtures/diffusers/README.md`) names a
//! scheduler and its config, an exact Gaussian model, the start x_T, every Gaussian draw the
//! scheduler made and the sample after every step. We rebuild the scheduler from the config (with
//! diffusers' defaults for anything left out), replay the draws and compare every step.

use std::collections::BTreeSet;

use burn::prelude::*;
use diffusion::sampler::{
    Ddim, Ddpm, DpmOptions, DpmSolverPP2M, Euler, EulerAncestral, Heun, KarrasSigmas, Network,
    Sampler, Spacing, VePredictorCorrector, X0Clip,
};
use diffusion::{
    BetaSchedule, DiffusionError, DiscreteSchedule, GaussianMixture, Level, Parameterization,
    RecordedNoise,
};
use serde_json::{Map, Value};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ConformanceError {
    #[error("{0}")]
    Malformed(String),
    #[error(
        "unknown scheduler kind “{0}” (known: ddpm, ddim, dpmpp_2m, euler, euler_ancestral, heun, score_sde_ve_pc)"
    )]
    UnknownKind(String),
    #[error("config {key} = {value} is not supported: {why}")]
    Unsupported {
        key: String,
        value: String,
        why: &'static str,
    },
    #[error(transparent)]
    Diffusion(#[from] DiffusionError),
}

fn bad(msg: impl Into<String>) -> ConformanceError {
    ConformanceError::Malformed(msg.into())
}

/// One fixture, parsed.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub kind: String,
    pub config: Map<String, Value>,
    pub prediction: Parameterization,
    pub mean: Vec<f64>,
    pub std: f64,
    /// Row-major [batch, dim].
    pub x_t: Vec<f64>,
    pub dims: [usize; 2],
    pub noise: Vec<Vec<f32>>,
    pub trajectory: Vec<Vec<f64>>,
    pub final_sample: Option<Vec<f64>>,
}

/// The outcome of replaying a case.
#[derive(Debug, Clone)]
pub struct Report {
    pub name: String,
    pub steps: usize,
    /// Largest |ours − diffusers| over every step and coordinate.
    pub max_abs_err: f64,
    /// Config keys we did not recognise (ignored).
    pub ignored: Vec<String>,
}

/// A `[rows][cols]` JSON array of numbers, flattened, with its shape.
fn matrix(v: &Value, what: &str) -> Result<(Vec<f64>, [usize; 2]), ConformanceError> {
    let rows = v
        .as_array()
        .ok_or_else(|| bad(format!("{what} must be an array of rows")))?;
    let mut out = Vec::new();
    let mut cols = None;
    for r in rows {
        let r = r
            .as_array()
            .ok_or_else(|| bad(format!("{what}: every row must be an array")))?;
        if *cols.get_or_insert(r.len()) != r.len() {
            return Err(bad(format!("{what}: rows of different lengths")));
        }
        for x in r {
            out.push(
                x.as_f64()
                    .ok_or_else(|| bad(format!("{what}: {x} is not a number")))?,
            );
        }
    }
    let cols = cols.unwrap_or(0);
    if rows.is_empty() || cols == 0 {
        return Err(bad(format!("{what} is empty")));
    }
    Ok((out, [rows.len(), cols]))
}

fn field<'a>(v: &'a Value, key: &str) -> Result<&'a Value, ConformanceError> {
    v.get(key)
        .ok_or_else(|| bad(format!("missing field “{key}”")))
}

impl Case {
    pub fn parse(text: &str) -> Result<Self, ConformanceError> {
        let v: Value =
            serde_json::from_str(text).map_err(|e| bad(format!("not valid JSON: {e}")))?;
        let scheduler = field(&v, "scheduler")?
            .as_object()
            .ok_or_else(|| bad("“scheduler” must be an object"))?;
        let kind = scheduler
            .get("kind")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("scheduler.kind must be a string"))?
            .to_string();
        let prediction = field(&v, "prediction")?
            .as_str()
            .ok_or_else(|| bad("“prediction” must be a string"))?
            .parse()?;
        let model = field(&v, "model")?;
        let mean: Vec<f64> = field(model, "mean")?
            .as_array()
            .ok_or_else(|| bad("model.mean must be an array"))?
            .iter()
            .map(|x| {
                x.as_f64()
                    .ok_or_else(|| bad("model.mean holds a non-number"))
            })
            .collect::<Result<_, _>>()?;
        let std = field(model, "std")?
            .as_f64()
            .ok_or_else(|| bad("model.std must be a number"))?;
        let (x_t, dims) = matrix(field(&v, "x_T")?, "x_T")?;
        if dims[1] != mean.len() {
            return Err(bad(format!(
                "x_T has {} coordinates, model.mean {}",
                dims[1],
                mean.len()
            )));
        }
        let same_shape = |m: &Value, what: &str| -> Result<Vec<f64>, ConformanceError> {
            let (data, d) = matrix(m, what)?;
            if d != dims {
                return Err(bad(format!("{what} is {d:?}, x_T is {dims:?}")));
            }
            Ok(data)
        };
        let list = |key: &str| -> Result<Vec<Vec<f64>>, ConformanceError> {
            field(&v, key)?
                .as_array()
                .ok_or_else(|| bad(format!("“{key}” must be an array")))?
                .iter()
                .enumerate()
                .map(|(i, m)| same_shape(m, &format!("{key}[{i}]")))
                .collect()
        };
        let noise = list("noise")?
            .into_iter()
            .map(|d| d.into_iter().map(|x| x as f32).collect())
            .collect();
        let trajectory = list("trajectory")?;
        if trajectory.is_empty() {
            return Err(bad("the trajectory is empty"));
        }
        let final_sample = v.get("final").map(|f| same_shape(f, "final")).transpose()?;
        Ok(Self {
            name: v
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("unnamed")
                .to_string(),
            kind,
            config: scheduler.clone(),
            prediction,
            mean,
            std,
            x_t,
            dims,
            noise,
            trajectory,
            final_sample,
        })
    }
}

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
                why,
            }),
            _ => Ok(()),
        }
    }

    fn schedule(&mut self) -> Result<DiscreteSchedule, ConformanceError> {
        let train = self.usize("num_train_timesteps", 1000)?;
        let start = self.f64("beta_start", 0.0001)?;
        let end = self.f64("beta_end", 0.02)?;
        let kind = match self.str("beta_schedule", "linear")?.as_str() {
            "linear" => BetaSchedule::Linear { start, end },
            "scaled_linear" => BetaSchedule::ScaledLinear { start, end },
            "squaredcos_cap_v2" => BetaSchedule::Cosine,
            other => {
                return Err(ConformanceError::Unsupported {
                    key: "beta_schedule".into(),
                    value: other.into(),
                    why: "known: linear, scaled_linear, squaredcos_cap_v2",
                });
            }
        };
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
struct Built {
    sampler: Box<dyn Sampler<2>>,
    schedule: Option<DiscreteSchedule>,
    ignored: Vec<String>,
}

fn sampler(case: &Case) -> Result<Built, ConformanceError> {
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
                        why: "known: zero, sigma_min",
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
    }
}

/// Replays `case` on `device` and measures the worst deviation from diffusers.
pub fn run(case: &Case, device: &Device) -> Result<Report, ConformanceError> {
    let Built {
        mut sampler,
        schedule,
        ignored,
    } = sampler(case)?;
    let exact = GaussianMixture::new(vec![1.0], vec![case.mean.clone()], vec![case.std])
        .map_err(|e| bad(format!("model: {e}")))?;
    let kind = case.prediction;
    // Like a network, the exact model knows its noise level only from the time it is given: ᾱ of
    // timestep t (σ̃ interpolated at fractional t), or σ itself for the VE SDE. It answers in the
    // fixture's parameterisation; the sampler converts back with its own level, as diffusers does.
    let model = Network {
        kind,
        f: |x: &Tensor<2>, t: f64, _level| {
            let level = match &schedule {
                Some(s) => Level::vp_from_sigma(s.sigma_at(t)),
                None => Level::ve(t),
            };
            exact.predict(x, level).as_output(kind, level)
        },
    };
    let mut noise = RecordedNoise::new(case.noise.clone());
    let to_tensor = |v: &[f64]| {
        let data: Vec<f32> = v.iter().map(|&x| x as f32).collect();
        Tensor::<2>::from_data(TensorData::new(data, case.dims), device)
    };
    if sampler.len() != case.trajectory.len() {
        return Err(bad(format!(
            "the scheduler takes {} steps, the fixture records {}",
            sampler.len(),
            case.trajectory.len()
        )));
    }
    let mut x = to_tensor(&case.x_t);
    let mut worst: f64 = 0.0;
    while let Some(step) = sampler.step(&model, &x, &mut noise)? {
        let ours = step.x.clone().into_data().convert::<f32>();
        let ours = ours.as_slice::<f32>().map_err(|e| bad(format!("{e:?}")))?;
        let err = ours
            .iter()
            .zip(&case.trajectory[step.index])
            .map(|(&a, &b)| (a as f64 - b).abs())
            .fold(0.0, f64::max);
        if !err.is_finite() {
            return Err(DiffusionError::NotFinite {
                step: step.index,
                t: step.t,
            }
            .into());
        }
        worst = worst.max(err);
        x = step.x;
    }
    if noise.used() != case.noise.len() {
        return Err(bad(format!(
            "the scheduler used {} of the {} recorded noise draws",
            noise.used(),
            case.noise.len()
        )));
    }
    Ok(Report {
        name: case.name.clone(),
        steps: case.trajectory.len(),
        max_abs_err: worst,
        ignored,
    })
}
