//! Conformance against diffusers: a fixture (format in `tests/fixtures/diffusers/README.md`) names a
//! scheduler and its config, an exact Gaussian model, the start x_T, every Gaussian draw the
//! scheduler made and the sample after every step. We rebuild the scheduler from the config (with
//! diffusers' defaults for anything left out), replay the draws and compare every step.
//!
//! The replay lives beside the samplers it checks, so `cargo test -p diffusion` runs every
//! fixture; reading the files is the caller's (the core does no I/O), as is the tolerance.

mod build;

use burn::prelude::*;
use serde_json::{Map, Value};
use thiserror::Error;

use crate::denoiser::Network;
use crate::{DiffusionError, GaussianMixture, Level, Parameterization, RecordedNoise};
use build::{Built, sampler};

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
        why: String,
    },
    #[error(transparent)]
    Diffusion(#[from] DiffusionError),
}

pub(crate) fn bad(msg: impl Into<String>) -> ConformanceError {
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
