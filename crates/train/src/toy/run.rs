//! Training a toy model: Adam + EMA on random batches of the set, from the seed's training stream.

use burn::module::Module;
use burn::prelude::*;
use diffusion::sampler::Options;
use diffusion::{SeededNoise, Step};
use models::Mlp;

use super::{Frozen, Noise, ToyChain, ToyConfig, ToySet, training_noise};
use crate::{Trainer, TrainerConfig, objective};

pub struct ToyRun {
    pub set: ToySet,
    pub trainer: Trainer<Mlp>,
    rng: SeededNoise,
    /// The autodiff device training runs on, and the plain one it wraps.
    device: Device,
    plain: Device,
}

impl ToyRun {
    /// `device` is the plain device (CPU or WebGPU); training runs on its autodiff version.
    pub fn new(config: ToyConfig, device: &Device) -> Result<Self, String> {
        Self::on(ToySet::new(config)?, device)
    }

    /// A run on given points (e.g. drawn by hand), normalised like every data set.
    pub fn with_data(config: ToyConfig, data: Vec<f32>, device: &Device) -> Result<Self, String> {
        Self::on(ToySet::with_data(config, data)?, device)
    }

    /// A run on a prepared set.
    pub fn on(set: ToySet, device: &Device) -> Result<Self, String> {
        let config = &set.config;
        device.seed(config.seed);
        let ad = device.clone().autodiff();
        let model = Mlp::new(&set.mlp_config(), &ad).map_err(|e| e.to_string())?;
        let trainer = Trainer::new(
            model,
            TrainerConfig {
                lr: config.lr,
                warmup: 100,
                ema_decay: config.ema_decay,
                clip_norm: Some(1.0),
                explode_factor: Some(10.0),
            },
        );
        let rng = training_noise(config.seed);
        Ok(Self {
            set,
            trainer,
            rng,
            device: ad,
            plain: device.clone(),
        })
    }

    /// One Adam step on a random batch; returns the loss tensor (not read back).
    pub fn step(&mut self) -> Tensor<1> {
        let n = self.set.data.len() / 2;
        let b = self.set.config.batch.max(1);
        let idx: Vec<usize> = self
            .rng
            .uniforms(b)
            .iter()
            .map(|&u| ((u as f64 * n as f64) as usize).min(n - 1))
            .collect();
        let mut x = Vec::with_capacity(2 * b);
        for &i in &idx {
            x.extend_from_slice(&self.set.data[2 * i..2 * i + 2]);
        }
        let x0 = Tensor::<2>::from_data(TensorData::new(x, [b, 2]), &self.device);
        // Noise from the seeded host source: a seed reproduces a run exactly, on any backend.
        let z = Tensor::<2>::from_data(
            TensorData::new(self.rng.normals(2 * b), [b, 2]),
            &self.device,
        );
        let rng = &mut self.rng;
        match &self.set.noise {
            Noise::Discrete(s) => self
                .trainer
                .step(|m| objective::ddpm_eps(x0, z, s, rng, |xt, t| m.forward(xt, t))),
            Noise::Sde(sde) => self
                .trainer
                .step(|m| objective::sde_eps(x0, z, sde, rng, |xt, t| m.forward(xt, t))),
        }
    }

    /// A frozen copy of the EMA model (cheap: weights are shared until training replaces them).
    pub fn frozen(&self) -> Frozen {
        Frozen {
            model: self.trainer.ema.model.clone(),
            noise: self.set.noise.clone(),
            step: self.trainer.step,
            device: self.plain.clone(),
        }
    }

    /// The EMA weights as one flat tensor (not read back), for [`Frozen::from_values`].
    pub fn ema_values(&self) -> Tensor<1> {
        models::weights::flatten(&self.trainer.ema.model)
    }

    /// Draws `n` points with sampler `name` natively (blocking readback), calling `on_step`: the
    /// [`ToyChain`] the page walks, so the same settings and seed give the same samples.
    pub fn sample(
        &self,
        name: &str,
        options: &Options,
        n: usize,
        seed: u64,
        mut on_step: impl FnMut(&Step<2>),
    ) -> Result<Tensor<2>, String> {
        let mut chain = ToyChain::new(self.frozen(), name, options, n, seed)?;
        while let Some(step) = chain.step()? {
            on_step(&step);
        }
        Ok(chain.x().clone())
    }

    pub fn num_params(&self) -> usize {
        self.trainer.ema.model.num_params()
    }
}
