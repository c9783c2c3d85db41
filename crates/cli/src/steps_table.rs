//! The quality-vs-steps table: energy distance between each sampler's samples and fresh data, on
//! the 8-mode Gaussian mixture driven by its exact score, at several step counts (the 2-D analogue
//! of seed 004's DDIM table). Discrete samplers use the linear β schedule (diffusers' default),
//! SDE samplers the VP SDE, flow samplers the linear path (the mixture's exact velocity). The
//! adaptive RK45 picks its own steps and has no row.

use burn::prelude::*;
use diffusion::metrics::energy_distance;
use diffusion::sampler::{Family, Options, SamplerInfo, TABLE, build, ensure_finite};
use diffusion::{DiffusionError, GaussianMixture, Process, SeededNoise};

pub struct Table {
    pub points: usize,
    pub steps: Vec<usize>,
    /// Energy distance between two independent data sets of `points` each.
    pub baseline: f64,
    /// Per sampler: per step count, the energy distance or why there is none.
    pub rows: Vec<(&'static str, Vec<Result<f64, String>>)>,
}

fn sample(
    info: &SamplerInfo,
    steps: usize,
    mix: &GaussianMixture,
    n: usize,
    seed: u64,
    device: &Device,
) -> Result<Vec<f32>, DiffusionError> {
    let process = match info.family {
        Family::Discrete => Process::ddpm("linear", 1000)?,
        Family::Sde => Process::sde("vp")?,
        Family::Flow => Process::Flow,
    };
    let mut sampler = build::<2>(
        info.name,
        &Options {
            steps,
            ..Options::default()
        },
        &process,
    )?;
    let mut noise = SeededNoise::new(seed);
    let start: Vec<f32> = noise
        .normals(n * 2)
        .into_iter()
        .map(|v| v * sampler.init_sigma() as f32)
        .collect();
    let mut x = Tensor::<2>::from_data(TensorData::new(start, [n, 2]), device);
    let mut last = Vec::new();
    while let Some(step) = sampler.step(mix, &x, &mut noise)? {
        last = step
            .x
            .clone()
            .into_data()
            .try_into_vec::<f32>()
            .map_err(|e| DiffusionError::Unsupported(format!("{e:?}")))?;
        ensure_finite(&last, step.index, step.t)?;
        x = step.x;
    }
    Ok(last)
}

pub fn steps_table(points: usize, steps: &[usize], seed: u64, device: &Device) -> Table {
    let mix = GaussianMixture::ring(8, 2.0, 0.1).expect("a valid ring");
    let data = mix.sample(points, &mut SeededNoise::new(seed + 1)).0;
    let other = mix.sample(points, &mut SeededNoise::new(seed + 2)).0;
    let rows = TABLE
        .iter()
        .filter(|info| !info.adaptive)
        .map(|info| {
            let cells = steps
                .iter()
                .map(|&s| {
                    sample(info, s, &mix, points, seed, device)
                        .map(|x| energy_distance(&x, &data, 2))
                        .map_err(|e| e.to_string())
                })
                .collect();
            (info.name, cells)
        })
        .collect();
    Table {
        points,
        steps: steps.to_vec(),
        baseline: energy_distance(&other, &data, 2),
        rows,
    }
}

impl Table {
    /// A Markdown table, energy distances ×10³.
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "Energy distance ×10³ to {n} fresh data points, {n} samples each (8-mode ring, exact score; \
             data-vs-data baseline {:.2}).\n\n| sampler |",
            self.baseline * 1e3,
            n = self.points
        );
        for s in &self.steps {
            out += &format!(" {s} |");
        }
        out += "\n|---|";
        out += &"---:|".repeat(self.steps.len());
        for (name, cells) in &self.rows {
            out += &format!("\n| {name} |");
            for c in cells {
                out += &match c {
                    Ok(v) => format!(" {:.2} |", v * 1e3),
                    Err(e) => format!(" error: {e} |"),
                };
            }
        }
        out + "\n"
    }
}
