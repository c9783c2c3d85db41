//! Work the widget spreads over animation frames, each on a frozen copy of the EMA model so
//! training can go on meanwhile: a sampling chain, the ε̂ field on a grid, and the learned density
//! on a grid. Every result is read back asynchronously.

use burn::prelude::*;
use diffusion::SeededNoise;
use diffusion::sampler::{Sampler, ensure_finite};
use train::toy::Frozen;

use crate::dom;
use crate::readback::to_vec;
use crate::toy2d_settings::Toy2dSettings;

/// A finished (or growing) chain, in the model's normalised coordinates.
#[derive(Debug, Clone, Default)]
pub struct Chain {
    /// x_T, then x after each step (len = steps + 1).
    pub xs: Vec<Vec<f32>>,
    /// x̂₀ predicted during each step.
    pub x0s: Vec<Vec<f32>>,
    /// Process time of each step.
    pub ts: Vec<f64>,
    /// The training step of the model that drew it.
    pub model_step: usize,
    pub sampler: String,
    /// Milliseconds spent, start to end.
    pub ms: f64,
}

impl Chain {
    pub fn last(&self) -> &[f32] {
        self.xs.last().map_or(&[], Vec::as_slice)
    }
}

pub struct SampleJob {
    frozen: Frozen,
    sampler: Box<dyn Sampler<2>>,
    x: Tensor<2>,
    noise: SeededNoise,
    pub chain: Chain,
    started: f64,
}

impl SampleJob {
    pub async fn new(frozen: Frozen, s: &Toy2dSettings) -> Result<Self, String> {
        let sampler = frozen.sampler(&s.sampler, &s.options())?;
        let mut noise = SeededNoise::new(s.seed.wrapping_add(0x5a301e));
        let x = frozen.start(s.n, sampler.as_ref(), &mut noise);
        let start = to_vec(x.clone()).await?;
        Ok(Self {
            chain: Chain {
                xs: vec![start],
                model_step: frozen.step,
                sampler: s.sampler.clone(),
                ..Chain::default()
            },
            frozen,
            sampler,
            x,
            noise,
            started: dom::now_ms(),
        })
    }

    /// Fraction done.
    pub fn progress(&self) -> f64 {
        self.chain.x0s.len() as f64 / self.sampler.len().max(1) as f64
    }

    /// Takes steps for about `budget_ms` (at least one); `Ok(true)` once the chain is complete.
    pub async fn advance(&mut self, budget_ms: f64) -> Result<bool, String> {
        let begin = dom::now_ms();
        loop {
            let model = self.frozen.denoiser();
            let Some(step) = self
                .sampler
                .step(&model, &self.x, &mut self.noise)
                .map_err(|e| e.to_string())?
            else {
                self.chain.ms = dom::now_ms() - self.started;
                return Ok(true);
            };
            let [n, _] = step.x.dims();
            let both = to_vec(Tensor::cat(vec![step.x.clone(), step.x0], 0)).await?;
            let (x, x0) = both.split_at(2 * n);
            ensure_finite(x, step.index, step.t).map_err(|e| {
                format!("{e}. The model has not learned a usable score yet, or the learning rate is too high.")
            })?;
            self.chain.xs.push(x.to_vec());
            self.chain.x0s.push(x0.to_vec());
            self.chain.ts.push(step.t);
            self.x = step.x;
            if dom::now_ms() - begin > budget_ms {
                return Ok(false);
            }
        }
    }
}

/// Grid points (x, y interleaved) of a `cells`×`cells` grid over [−extent, extent]², row 0 at the
/// top, at cell centres.
pub fn grid(cells: usize, extent: f64) -> Vec<f32> {
    let mut out = Vec::with_capacity(2 * cells * cells);
    for row in 0..cells {
        for col in 0..cells {
            let x = ((col as f64 + 0.5) / cells as f64 * 2.0 - 1.0) * extent;
            let y = (1.0 - (row as f64 + 0.5) / cells as f64 * 2.0) * extent;
            out.extend([x as f32, y as f32]);
        }
    }
    out
}

/// ε̂ of `frozen` at `points` (normalised coordinates) at slider position `u`.
pub async fn eps_field(frozen: &Frozen, points: &[f32], u: f64) -> Result<Vec<f32>, String> {
    let t = frozen.noise.time_at(u);
    to_vec(frozen.eps(points, t)).await
}

/// The learned log-density over a grid, computed a block of points at a time.
pub struct DensityJob {
    frozen: Frozen,
    /// Grid points in the model's normalised coordinates.
    points: Vec<f32>,
    pub log_p: Vec<f64>,
    pub cells: usize,
    pub model_step: usize,
    started: f64,
    pub ms: f64,
}

/// RK4 steps of the density's ODE solve.
pub const DENSITY_STEPS: usize = 16;
/// Grid points per slice.
const BLOCK: usize = 200;

impl DensityJob {
    pub fn new(frozen: Frozen, points: Vec<f32>, cells: usize) -> Self {
        Self {
            model_step: frozen.step,
            frozen,
            points,
            log_p: Vec::new(),
            cells,
            started: dom::now_ms(),
            ms: 0.0,
        }
    }

    pub fn done(&self) -> bool {
        self.log_p.len() * 2 >= self.points.len()
    }

    pub fn progress(&self) -> f64 {
        self.log_p.len() as f64 * 2.0 / self.points.len().max(1) as f64
    }

    /// Computes the next block of points.
    pub async fn advance(&mut self) -> Result<(), String> {
        let from = self.log_p.len() * 2;
        let to = (from + 2 * BLOCK).min(self.points.len());
        if from >= to {
            return Ok(());
        }
        let lp = self
            .frozen
            .log_density(&self.points[from..to], DENSITY_STEPS)?;
        let values = to_vec(lp).await?;
        self.log_p.extend(values.iter().map(|&v| v as f64));
        if self.done() {
            self.ms = dom::now_ms() - self.started;
        }
        Ok(())
    }

    /// Values in [0, 1] for the heatmap: √(p / max p), so low-density structure stays visible.
    pub fn shades(&self) -> Vec<f64> {
        let max = self
            .log_p
            .iter()
            .cloned()
            .filter(|v| v.is_finite())
            .fold(f64::NEG_INFINITY, f64::max);
        self.log_p
            .iter()
            .map(|v| {
                if v.is_finite() {
                    (0.5 * (v - max)).exp()
                } else {
                    0.0
                }
            })
            .collect()
    }
}
