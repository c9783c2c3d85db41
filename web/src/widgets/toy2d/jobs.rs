//! The viewer worker's work, each on a frozen copy of the EMA model so training can go on
//! meanwhile: a sampling chain, the ε̂ field on a grid, and the learned density on a grid. Each
//! advances by slices (the worker reads its messages between them) and is read back
//! asynchronously.

use burn::prelude::*;
use diffusion::sampler::ensure_finite;
use train::toy::{Frozen, ToyChain};

use super::messages::SampleSpec;
use super::density::DENSITY_STEPS;
use crate::dom;
use crate::readback::to_vec;

/// Frames of a chain, flat: x after each step, the x̂₀ it predicted, and its process time.
#[derive(Debug, Default)]
pub struct Frames {
    pub xs: Vec<f32>,
    pub x0s: Vec<f32>,
    pub ts: Vec<f64>,
}

/// A chain of samples: the core's [`ToyChain`] (the one native `ToyRun::sample` walks, with the
/// same seed rule), stepped in slices with each step read back asynchronously.
pub struct SampleJob {
    chain: ToyChain,
    started: f64,
    /// The sample after the last step read back (x_T before the first).
    last: Vec<f32>,
}

impl SampleJob {
    /// The job and x_T.
    pub async fn new(frozen: Frozen, spec: &SampleSpec) -> Result<(Self, Vec<f32>), String> {
        let chain = ToyChain::new(frozen, &spec.sampler, &spec.options, spec.n, spec.seed)?;
        let start = to_vec(chain.start()).await?;
        let job = Self {
            chain,
            started: dom::now_ms(),
            last: start.clone(),
        };
        Ok((job, start))
    }

    /// The training step of the weights it samples from.
    pub fn model_step(&self) -> usize {
        self.chain.model_step()
    }

    /// Steps in the chain (an estimate for an adaptive sampler, exact once it ends).
    pub fn len(&self) -> usize {
        self.chain.len()
    }

    /// The sample after the last step read back.
    pub fn last(&self) -> &[f32] {
        &self.last
    }

    /// Milliseconds since the job started.
    pub fn ms(&self) -> f64 {
        dom::now_ms() - self.started
    }

    /// Takes steps for about `budget_ms` (at least one); the frames, and whether the chain is
    /// complete.
    pub async fn advance(&mut self, budget_ms: f64) -> Result<(Frames, bool), String> {
        let begin = dom::now_ms();
        let mut frames = Frames::default();
        loop {
            let Some(step) = self.chain.step().await? else {
                return Ok((frames, true));
            };
            let [n, _] = step.x.dims();
            let both = to_vec(Tensor::cat(vec![step.x, step.x0], 0)).await?;
            let (x, x0) = both.split_at(2 * n);
            ensure_finite(x, step.index, step.t).map_err(|e| {
                format!("{e}. The model has not learned a usable score yet, or the learning rate is too high.")
            })?;
            frames.xs.extend_from_slice(x);
            self.last.clear();
            self.last.extend_from_slice(x);
            frames.x0s.extend_from_slice(x0);
            frames.ts.push(step.t);
            if dom::now_ms() - begin > budget_ms {
                return Ok((frames, false));
            }
        }
    }
}

/// ε̂ of `frozen` at `points` (normalised coordinates) at slider position `u`.
pub async fn eps_field(frozen: &Frozen, points: &[f32], u: f64) -> Result<Vec<f32>, String> {
    let t = frozen.noise.time_at(u);
    to_vec(frozen.eps(points, t)).await
}

/// The learned log-density at given points, computed a block of points at a time.
pub struct DensityJob {
    frozen: Frozen,
    /// The points, in the model's normalised coordinates.
    points: Vec<f32>,
    /// Points done.
    done: usize,
    /// Points in the next block, adapted to [`BLOCK_MS`].
    block: usize,
    started: f64,
    /// The true density at the points, until the first block carries it to the page.
    truth: Option<Vec<f64>>,
}

/// Milliseconds a block should take: the worker reads its messages between blocks, so a new
/// request waits at most about this long (a block is at least one point).
const BLOCK_MS: f64 = 250.0;

impl DensityJob {
    pub fn new(frozen: Frozen, points: Vec<f32>, truth: Option<Vec<f64>>) -> Self {
        // 200 points up to 50 k parameters (the default network has 37.8 k), fewer beyond
        let params = frozen.model.num_params().max(1);
        let block = (200 * 50_000 / params).clamp(1, 200);
        Self {
            frozen,
            points,
            done: 0,
            block,
            started: dom::now_ms(),
            truth,
        }
    }

    /// The true density, once (the first block takes it).
    pub fn take_truth(&mut self) -> Option<Vec<f64>> {
        self.truth.take()
    }

    /// Milliseconds since the job started.
    pub fn ms(&self) -> f64 {
        dom::now_ms() - self.started
    }

    /// The training step of the weights it runs on.
    pub fn model_step(&self) -> usize {
        self.frozen.step
    }

    /// The log-densities of the next block of points, and whether they were the last.
    pub async fn advance(&mut self) -> Result<(Vec<f64>, bool), String> {
        let total = self.points.len() / 2;
        let to = (self.done + self.block).min(total);
        if self.done >= to {
            return Ok((Vec::new(), true));
        }
        let begin = dom::now_ms();
        let lp = self
            .frozen
            .log_density(&self.points[2 * self.done..2 * to], DENSITY_STEPS)?;
        let values = to_vec(lp).await?;
        self.block = next_block(self.block, dom::now_ms() - begin);
        self.done = to;
        Ok((values.iter().map(|&v| v as f64).collect(), to >= total))
    }
}

/// The next block size after a block of `block` points took `ms`: doubled while well under
/// [`BLOCK_MS`], halved while well over (1 to 1,024 points).
fn next_block(block: usize, ms: f64) -> usize {
    if ms < 0.5 * BLOCK_MS {
        (block * 2).min(1024)
    } else if ms > 2.0 * BLOCK_MS {
        (block / 2).max(1)
    } else {
        block
    }
}
