//! Training a toy model: Adam + EMA on random batches of the set, from the seed's training stream.

use burn::module::Module;
use burn::prelude::*;
use diffusion::SeededNoise;
use diffusion::sampler::Options;
use models::Mlp;

use super::{Frozen, Noise, Process, Target, ToyChain, ToyConfig, ToySet, training_noise};
use crate::{Trainer, TrainerConfig, objective};

/// Rows per minibatch optimal-transport assignment (larger batches are paired block by block).
pub const OT_BLOCK: usize = 256;

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
        device.seed(set.config.seed);
        let ad = device.clone().autodiff();
        let model = Mlp::new(&set.mlp_config(), &ad).map_err(|e| e.to_string())?;
        Ok(Self::from_model(set, model, device))
    }

    /// A run that goes on at `step` from flat EMA weights `values` ([`ToyRun::ema_values`] of that
    /// step): the page keeps the last weights it was sent, and starts here on a new device when the
    /// one training ran on was lost. The trained model and its average both start from `values`
    /// (the average keeps its horizon); Adam's moments start afresh, with the learning-rate
    /// warm-up, and the minibatches are drawn from a stream of their own.
    pub fn resumed(
        set: ToySet,
        step: usize,
        values: &[f32],
        device: &Device,
    ) -> Result<Self, String> {
        device.seed(set.config.seed);
        let frozen = Frozen::from_values(&set, step, values, device)?;
        let ad = device.clone().autodiff();
        let model = frozen.model.train().fork(&ad);
        let mut run = Self::from_model(set, model, device);
        // before resume_at, which keeps the weights as the last good ones
        run.trainer.ema.updates = step;
        run.trainer.resume_at(step);
        run.rng = training_noise(run.set.config.seed ^ 0x7e57_a127 ^ step as u64);
        Ok(run)
    }

    /// A run of `model` (on the autodiff version of `device`) on `set`, at step 0.
    fn from_model(set: ToySet, model: Mlp, device: &Device) -> Self {
        let config = &set.config;
        let ad = device.clone().autodiff();
        let trainer = Trainer::new(
            model,
            TrainerConfig {
                lr: config.lr,
                warmup: 100,
                decay_from: Some(10_000),
                ema_decay: config.ema_decay,
                clip_norm: Some(1.0),
                explode_factor: Some(10.0),
                spike_after: Some(2000),
            },
        );
        let rng = training_noise(config.seed);
        Self {
            set,
            trainer,
            rng,
            device: ad,
            plain: device.clone(),
        }
    }

    /// The reflow of this run (rectified flow's second rectification, Liu et al. 2022, §2.3): a
    /// run that goes on from this run's EMA weights, at its step, trained on the pairs (x̂₀, z) of
    /// its own ODE: `z` are `n` draws of the seed's reflow stream and x̂₀ what `sampler` maps
    /// each to. Straighter paths follow, so one or two Euler steps sample well. Flow runs only.
    pub async fn reflow(&self, sampler: &str, options: &Options, n: usize) -> Result<Self, String> {
        if !self.set.noise.is_flow() {
            return Err("reflow needs a flow-matching run (process flow)".into());
        }
        let mut rng = super::reflow_noise(self.set.config.seed ^ self.trainer.step as u64);
        let z = rng.normals(2 * n);
        let frozen = self.frozen();
        let start = Tensor::<2>::from_data(TensorData::new(z.clone(), [n, 2]), &self.plain);
        let mut chain = ToyChain::from_start(frozen, sampler, options, start, rng)?;
        while chain.step().await?.is_some() {}
        let x0 = chain
            .x()
            .clone()
            .into_data_async()
            .await
            .map_err(|e| format!("reading the reflow's samples: {e:?}"))?
            .try_into_vec::<f32>()
            .map_err(|e| format!("reading the reflow's samples: {e:?}"))?;
        if x0.iter().any(|v| !v.is_finite()) {
            return Err(
                "the model's ODE left the finite numbers: train longer before a reflow".into(),
            );
        }
        let set = self.set.reflowed(x0, z)?;
        let model = self.trainer.ema.model.clone().train().fork(&self.device);
        let mut run = Self::from_model(set, model, &self.plain);
        run.trainer.resume_at(self.trainer.step);
        run.rng = training_noise(self.set.config.seed ^ 0x2ef1 ^ self.trainer.step as u64);
        Ok(run)
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
        let rows = |from: &[f32]| -> Vec<f32> {
            idx.iter()
                .flat_map(|&i| [from[2 * i], from[2 * i + 1]])
                .collect()
        };
        let x = rows(&self.set.data);
        // Noise from the seeded host source: a seed reproduces a run exactly, on any backend. A
        // reflow trains on its fixed pairs; minibatch OT re-pairs fresh noise with the batch.
        let ot = matches!(self.set.config.process, Process::Flow { ot: true });
        let z = match &self.set.pairs {
            Some(pairs) => rows(pairs),
            None => {
                let z = self.rng.normals(2 * b);
                if ot {
                    // exact assignment within blocks of OT_BLOCK rows: it is cubic in the block
                    let mut paired = Vec::with_capacity(z.len());
                    for (xs, zs) in x.chunks(2 * OT_BLOCK).zip(z.chunks(2 * OT_BLOCK)) {
                        let p = diffusion::flow::ot_pairing(xs, zs, 2);
                        paired.extend(p.iter().flat_map(|&j| [zs[2 * j], zs[2 * j + 1]]));
                    }
                    paired
                } else {
                    z
                }
            }
        };
        if self.set.config.target == Target::Stable && self.set.pairs.is_none() && !ot {
            return self.stable_step(x, z);
        }
        let x0 = Tensor::<2>::from_data(TensorData::new(x, [b, 2]), &self.device);
        let z = Tensor::<2>::from_data(TensorData::new(z, [b, 2]), &self.device);
        let rng = &mut self.rng;
        match &self.set.noise {
            Noise::Discrete(s) => self
                .trainer
                .step(|m| objective::ddpm_eps(x0, z, s, rng, |xt, t| m.forward(xt, t))),
            Noise::Sde(sde) => self
                .trainer
                .step(|m| objective::sde_eps(x0, z, sde, rng, |xt, t| m.forward(xt, t))),
            Noise::Flow => {
                let t = self.set.config.times.draw(rng, b);
                self.trainer
                    .step(|m| objective::flow_matching(x0, z, &t, |xt, t| m.forward(xt, t)))
            }
        }
    }

    /// One Adam step on the stable target ([`Target::Stable`]): the batch's times and levels drawn
    /// as the textbook objectives draw them, x_t made on the host, and the target computed from
    /// the posterior mean of x₀ over the batch.
    fn stable_step(&mut self, x: Vec<f32>, z: Vec<f32>) -> Tensor<1> {
        let b = x.len() / 2;
        let rng = &mut self.rng;
        // (model time, α, σ) of each row
        let f32s = |(t, lv): (Vec<f64>, Vec<diffusion::Level>)| {
            (
                t.iter().map(|&t| t as f32).collect(),
                lv.iter().map(|l| l.alpha as f32).collect(),
                lv.iter().map(|l| l.sigma as f32).collect(),
            )
        };
        let (t, a, s): (Vec<f32>, Vec<f32>, Vec<f32>) = match &self.set.noise {
            Noise::Discrete(sch) => f32s(objective::discrete_times(sch, rng, b)),
            Noise::Sde(sde) => f32s(objective::sde_times(sde, rng, b)),
            Noise::Flow => {
                let t = self.set.config.times.draw(rng, b);
                let a = t.iter().map(|t| 1.0 - t).collect();
                (t.clone(), a, t)
            }
        };
        let xt: Vec<f32> = (0..2 * b)
            .map(|k| a[k / 2] * x[k] + s[k / 2] * z[k])
            .collect();
        let x0 = objective::posterior_mean(&xt, &a, &s, &x, 2);
        // ε = (x_t − α x₀)/σ, and the flow's velocity z − x₀ = (x_t − x₀)/t, at the posterior mean
        let flow = matches!(self.set.noise, Noise::Flow);
        let target: Vec<f32> = (0..2 * b)
            .map(|k| {
                let (ak, sk) = (a[k / 2], s[k / 2].max(1e-6));
                if flow {
                    (xt[k] - x0[k]) / sk
                } else {
                    (xt[k] - ak * x0[k]) / sk
                }
            })
            .collect();
        let per_coordinate = matches!(self.set.noise, Noise::Discrete(_));
        let device = self.device.clone();
        self.trainer.step(|m| {
            objective::regress(xt, &t, target, 2, per_coordinate, &device, |xt, t| {
                m.forward(xt, t)
            })
        })
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
    #[cfg(not(target_family = "wasm"))]
    pub fn sample(
        &self,
        name: &str,
        options: &Options,
        n: usize,
        seed: u64,
        mut on_step: impl FnMut(&diffusion::Step<2>),
    ) -> Result<Tensor<2>, String> {
        let mut chain = ToyChain::new(self.frozen(), name, options, n, seed)?;
        while let Some(step) = diffusion::sampler::block_on(chain.step())? {
            on_step(&step);
        }
        Ok(chain.x().clone())
    }

    pub fn num_params(&self) -> usize {
        self.trainer.ema.model.num_params()
    }
}
