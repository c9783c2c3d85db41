//! One sampling chain over a frozen toy model, stepped by its caller: natively by
//! [`super::ToyRun::sample`], in the page by its sampling job between async readbacks. Both walk
//! this one, with one seed rule ([`super::sampling_noise`]), so a link gives the same samples in
//! either place.

use burn::prelude::*;
use diffusion::sampler::{Options, Stepper};
use diffusion::{SeededNoise, Step};

use super::{Frozen, sampling_noise};

/// A chain of `n` points from x_T to x₀. It owns its model, sampler and noise and borrows
/// nothing, so the page can keep it across async turns while training goes on.
pub struct ToyChain {
    frozen: Frozen,
    sampler: Stepper<2>,
    noise: SeededNoise,
    /// x_T, kept for the caller to read back when it likes.
    start: Tensor<2>,
    /// The sample after the last step taken (x_T before the first).
    x: Tensor<2>,
}

impl ToyChain {
    /// A chain of `n` points with sampler `sampler` and `options`, its noise from `seed`'s
    /// sampling stream; x_T is drawn at once.
    pub fn new(
        frozen: Frozen,
        sampler: &str,
        options: &Options,
        n: usize,
        seed: u64,
    ) -> Result<Self, String> {
        let sampler = frozen.sampler(sampler, options)?;
        let mut noise = sampling_noise(seed);
        let start = frozen.start(n, sampler.init_sigma(), &mut noise);
        Ok(Self::with(frozen, sampler, start, noise))
    }

    /// A chain from a given x_T (already scaled to the sampler's starting σ), drawing any further
    /// noise from `noise`.
    pub fn from_start(
        frozen: Frozen,
        sampler: &str,
        options: &Options,
        start: Tensor<2>,
        noise: SeededNoise,
    ) -> Result<Self, String> {
        let sampler = frozen.sampler(sampler, options)?;
        Ok(Self::with(frozen, sampler, start, noise))
    }

    fn with(frozen: Frozen, sampler: Stepper<2>, start: Tensor<2>, noise: SeededNoise) -> Self {
        Self {
            frozen,
            sampler,
            noise,
            x: start.clone(),
            start,
        }
    }

    /// x_T (not read back).
    pub fn start(&self) -> Tensor<2> {
        self.start.clone()
    }

    /// The current sample: x_T before the first step, x₀ after the last (not read back).
    pub fn x(&self) -> &Tensor<2> {
        &self.x
    }

    /// Steps in the chain (an estimate for the adaptive sampler, exact once it ends).
    pub fn len(&self) -> usize {
        self.sampler.len()
    }

    /// True for a chain without steps.
    pub fn is_empty(&self) -> bool {
        self.sampler.is_empty()
    }

    /// The training step of the weights it samples from.
    pub fn model_step(&self) -> usize {
        self.frozen.step
    }

    /// The frozen model it samples from.
    pub fn frozen(&self) -> &Frozen {
        &self.frozen
    }

    /// Takes the next step and moves the chain on to its sample, or `Ok(None)` once done. Only
    /// the adaptive sampler reads anything back (its error norm); the caller reads what it shows
    /// when it can.
    pub async fn step(&mut self) -> Result<Option<Step<2>>, String> {
        let model = self.frozen.denoiser();
        let step = self
            .sampler
            .step(&model, &self.x, &mut self.noise)
            .await
            .map_err(|e| e.to_string())?;
        if let Some(step) = &step {
            self.x = step.x.clone();
        }
        Ok(step)
    }
}

/// Where points dropped by hand go: `rows` copies of each start `z` (standard-normal units; x_T =
/// σ_T·z, as a chain's own starts) walked by sampler `name`, with any noise it draws from
/// `noise`. Every x along the way, x_T first, as one `[(steps + 1)·rows·k, 2]` tensor (step after
/// step; not read back), and the process time of each step. An ODE sampler gives one path per
/// start; a stochastic one (`rows` > 1) as many draws.
pub async fn paths(
    frozen: Frozen,
    name: &str,
    options: &Options,
    z: &[f32],
    rows: usize,
    noise: SeededNoise,
) -> Result<(Tensor<2>, Vec<f64>), String> {
    let sampler = frozen.sampler(name, options)?;
    let k = z.len() / 2;
    let repeated: Vec<f32> = (0..rows).flat_map(|_| z.iter().copied()).collect();
    let device = frozen.device.clone();
    let start = Tensor::<2>::from_data(TensorData::new(repeated, [rows * k, 2]), &device)
        * sampler.init_sigma();
    let mut chain = ToyChain::with(frozen, sampler, start, noise);
    let mut xs = vec![chain.start()];
    let mut ts = Vec::new();
    while let Some(step) = chain.step().await? {
        xs.push(step.x);
        ts.push(step.t);
    }
    Ok((Tensor::cat(xs, 0), ts))
}
