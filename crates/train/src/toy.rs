//! The 2-D playground's engine, the same code natively and in the tab: a data set of points, an
//! MLP denoiser, an objective (DDPM ε on a discrete schedule, or DSM on an SDE), Adam + EMA, and
//! sampling from the EMA model with any sampler of the core.

use burn::module::Module;
use burn::prelude::*;
use diffusion::likelihood::{Divergence, log_likelihood};
use diffusion::sampler::{Network, Options, SDE_SAMPLERS, Sampler, build};
use diffusion::sde::{self, Sde};
use diffusion::{
    BetaSchedule, DiffusionError, DiscreteSchedule, Level, Parameterization, SeededNoise, Step,
};
use models::{Mlp, MlpConfig, TimeFeatures};
use serde::{Deserialize, Serialize};

use crate::{Trainer, TrainerConfig, objective};

/// `build` takes an SDE that discrete samplers never read; it is also the VP SDE a DDPM model's
/// likelihood is integrated on (its levels span those of a linear schedule with T = 1000).
const UNUSED_SDE: sde::Vp = sde::Vp {
    beta_min: 0.1,
    beta_max: 20.0,
};

/// What the model is trained to undo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Process {
    /// A discrete DDPM schedule ("linear" or "cosine") with `steps` training timesteps.
    Ddpm { schedule: String, steps: usize },
    /// An SDE by name ("vp", "subvp", "ve").
    Sde { name: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToyConfig {
    pub dataset: String,
    pub noise: f64,
    /// Size of the training set.
    pub points: usize,
    pub process: Process,
    pub width: usize,
    pub depth: usize,
    pub fourier: bool,
    pub lr: f64,
    pub batch: usize,
    pub ema_decay: f64,
    pub seed: u64,
}

impl Default for ToyConfig {
    fn default() -> Self {
        Self {
            dataset: "8gaussians".into(),
            noise: 0.05,
            points: 4000,
            process: Process::Ddpm {
                schedule: "linear".into(),
                steps: 1000,
            },
            width: 128,
            depth: 3,
            fourier: false,
            lr: 1e-3,
            batch: 256,
            ema_decay: 0.995,
            seed: 0,
        }
    }
}

/// The noise process of a config.
#[derive(Clone)]
pub enum Noise {
    Discrete(DiscreteSchedule),
    Continuous(&'static dyn Sde),
}

impl Noise {
    pub fn new(p: &Process) -> Result<Self, DiffusionError> {
        Ok(match p {
            Process::Ddpm { schedule, steps } => {
                let kind = match schedule.as_str() {
                    "linear" => BetaSchedule::LINEAR,
                    "cosine" => BetaSchedule::Cosine,
                    other => {
                        return Err(DiffusionError::Unknown {
                            what: "schedule",
                            name: other.into(),
                            known: "linear, cosine",
                        });
                    }
                };
                Noise::Discrete(DiscreteSchedule::new(kind, *steps)?)
            }
            Process::Sde { name } => Noise::Continuous(sde::by_name(name)?),
        })
    }

    /// The process time at fraction `u` ∈ [0, 1] of its range (a training timestep for DDPM,
    /// t_min…1 for an SDE): what the page's t-sliders mean.
    pub fn time_at(&self, u: f64) -> f64 {
        let u = u.clamp(0.0, 1.0);
        match self {
            Noise::Discrete(s) => u * (s.len() - 1) as f64,
            Noise::Continuous(sde) => sde.t_min() + u * (1.0 - sde.t_min()),
        }
    }

    /// (α, σ) at process time `t`.
    pub fn level(&self, t: f64) -> Level {
        match self {
            Noise::Discrete(s) => Level::vp_from_sigma(s.sigma_at(t)),
            Noise::Continuous(sde) => sde.level(t),
        }
    }
}

/// Draws `n` points of the config's data set from `rng`.
pub fn toy_points(c: &ToyConfig, n: usize, rng: &mut SeededNoise) -> Result<Vec<f32>, String> {
    let (nu, nz) = data::toy::DRAWS_PER_POINT;
    let u = rng.uniforms(nu * n);
    let z = rng.normals(nz * n);
    data::toy::toy(&c.dataset, n, c.noise, &u, &z)
}

/// A config's training set and noise process: what the page draws and noises, in the same
/// normalised coordinates as the model. It is deterministic in the config, so the page and a Web
/// Worker that trains build the same one.
pub struct ToySet {
    pub config: ToyConfig,
    /// The training set, normalised.
    pub data: Vec<f32>,
    /// How the given points were normalised (the page draws everything in their coordinates).
    pub normalisation: data::toy::Normalisation,
    pub noise: Noise,
}

impl ToySet {
    /// The config's data set, drawn from its seed.
    pub fn new(config: ToyConfig) -> Result<Self, String> {
        let mut rng = SeededNoise::new(config.seed);
        let data = toy_points(&config, config.points, &mut rng)?;
        Self::with_data(config, data)
    }

    /// The given points when there are some (drawn by hand), else the config's data set: what
    /// the page and both of its workers build from the same message.
    pub fn of(config: ToyConfig, drawn: Option<Vec<f32>>) -> Result<Self, String> {
        match drawn {
            Some(points) => Self::with_data(config, points),
            None => Self::new(config),
        }
    }

    /// Given points (e.g. drawn by hand), normalised like every data set.
    pub fn with_data(config: ToyConfig, mut data: Vec<f32>) -> Result<Self, String> {
        if data.len() < 2 * 8 || data.len() % 2 != 0 {
            return Err(format!(
                "need at least 8 points to train on, got {}",
                data.len() / 2
            ));
        }
        let normalisation = data::toy::normalise(&mut data);
        let noise = Noise::new(&config.process).map_err(|e| e.to_string())?;
        Ok(Self {
            config,
            data,
            normalisation,
            noise,
        })
    }

    /// The denoiser's architecture for this config.
    pub fn mlp_config(&self) -> MlpConfig {
        let c = &self.config;
        let time_scale = match self.noise {
            Noise::Continuous(_) if !c.fourier => 1000.0,
            _ => 1.0,
        };
        MlpConfig {
            width: c.width,
            depth: c.depth,
            time_features: if c.fourier {
                TimeFeatures::Fourier { scale: 30.0 }
            } else {
                TimeFeatures::Sinusoidal
            },
            time_scale,
            ..MlpConfig::default()
        }
    }
}

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
        let rng = SeededNoise::new(config.seed ^ 0x7a11);
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
            Noise::Continuous(sde) => self
                .trainer
                .step(|m| objective::sde_eps(x0, z, *sde, rng, |xt, t| m.forward(xt, t))),
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

    /// Draws `n` points with sampler `name` natively (blocking readback), calling `on_step`.
    pub fn sample(
        &self,
        name: &str,
        options: &Options,
        n: usize,
        seed: u64,
        mut on_step: impl FnMut(&Step<2>),
    ) -> Result<Tensor<2>, String> {
        let frozen = self.frozen();
        let mut sampler = frozen.sampler(name, options)?;
        let mut noise = SeededNoise::new(seed);
        let mut x = frozen.start(n, sampler.as_ref(), &mut noise);
        let model = frozen.denoiser();
        while let Some(step) = sampler
            .step(&model, &x, &mut noise)
            .map_err(|e| e.to_string())?
        {
            on_step(&step);
            x = step.x;
        }
        Ok(x)
    }

    pub fn num_params(&self) -> usize {
        self.trainer.ema.model.num_params()
    }
}

/// The EMA model of one training step with its process: what samples, score fields and
/// likelihoods are computed from, so they can go on while training continues.
#[derive(Clone)]
pub struct Frozen {
    pub model: Mlp,
    pub noise: Noise,
    /// The training step the weights are from.
    pub step: usize,
    device: Device,
}

impl Frozen {
    /// The EMA model of `step` from the flat weights of [`ToyRun::ema_values`] of a run on `set`,
    /// on `device` (the page's copy of what a worker trains).
    pub fn from_values(
        set: &ToySet,
        step: usize,
        values: &[f32],
        device: &Device,
    ) -> Result<Self, String> {
        let model = Mlp::new(&set.mlp_config(), device).map_err(|e| e.to_string())?;
        let model = models::weights::unflatten(model, values).map_err(|e| e.to_string())?;
        Ok(Self {
            model,
            noise: set.noise.clone(),
            step,
            device: device.clone(),
        })
    }

    /// The model as a denoiser (it predicts ε at the process's time t).
    pub fn denoiser(&self) -> Network<impl Fn(&Tensor<2>, f64, Level) -> Tensor<2> + '_> {
        let model = &self.model;
        Network {
            kind: Parameterization::Epsilon,
            f: move |x: &Tensor<2>, t: f64, _: Level| {
                let [b, _] = x.dims();
                model.forward(x.clone(), Tensor::<1>::full([b], t, &x.device()))
            },
        }
    }

    /// A sampler by name for this process (discrete samplers need a DDPM process, SDE samplers an
    /// SDE). It borrows nothing, so it can be stepped across animation frames.
    pub fn sampler(&self, name: &str, options: &Options) -> Result<Box<dyn Sampler<2>>, String> {
        let sde_sampler = SDE_SAMPLERS.contains(&name);
        match &self.noise {
            Noise::Discrete(s) if !sde_sampler => {
                build::<2>(name, options, s, &UNUSED_SDE).map_err(|e| e.to_string())
            }
            Noise::Continuous(sde) if sde_sampler => {
                let schedule =
                    DiscreteSchedule::new(BetaSchedule::LINEAR, 1000).map_err(|e| e.to_string())?;
                build::<2>(name, options, &schedule, *sde).map_err(|e| e.to_string())
            }
            Noise::Discrete(_) => Err(format!(
                "{name} integrates an SDE: train on an SDE to use it"
            )),
            Noise::Continuous(_) => Err(format!(
                "{name} steps a discrete schedule: train with DDPM to use it"
            )),
        }
    }

    /// x_T for `n` points: standard normals from `noise` times the sampler's starting σ.
    pub fn start(&self, n: usize, sampler: &dyn Sampler<2>, noise: &mut SeededNoise) -> Tensor<2> {
        let z = noise.normals(2 * n);
        Tensor::<2>::from_data(TensorData::new(z, [n, 2]), &self.device) * sampler.init_sigma()
    }

    /// The model's ε̂ at the points `xy` (`[n, 2]` row-major) at process time `t` (not read back).
    /// The score is −ε̂/σ(t).
    pub fn eps(&self, xy: &[f32], t: f64) -> Tensor<2> {
        let n = xy.len() / 2;
        let x = Tensor::<2>::from_data(TensorData::new(xy.to_vec(), [n, 2]), &self.device);
        let level = self.noise.level(t);
        (self.denoiser().f)(&x, t, level)
    }

    /// log p₀ of the model at the points `xy` (`[n, 2]`), through its probability-flow ODE with the
    /// exact 2-D divergence and `steps` RK4 steps (not read back). A DDPM model is run on the VP
    /// SDE, each level mapped to the timestep with the same noise-to-signal ratio.
    pub fn log_density(&self, xy: &[f32], steps: usize) -> Result<Tensor<1>, String> {
        let n = xy.len() / 2;
        let x = Tensor::<2>::from_data(TensorData::new(xy.to_vec(), [n, 2]), &self.device);
        let out = match &self.noise {
            Noise::Continuous(sde) => {
                log_likelihood(*sde, &self.denoiser(), &x, steps, Divergence::Exact)
            }
            Noise::Discrete(s) => {
                let model = &self.model;
                let by_level = Network {
                    kind: Parameterization::Epsilon,
                    f: move |x: &Tensor<2>, _t: f64, level: Level| {
                        let [b, _] = x.dims();
                        let t = s.timestep_of_sigma(level.sigma_tilde());
                        model.forward(x.clone(), Tensor::<1>::full([b], t, &x.device()))
                    },
                };
                log_likelihood(&UNUSED_SDE, &by_level, &x, steps, Divergence::Exact)
            }
        };
        out.map(|l| l.log_p).map_err(|e| e.to_string())
    }
}
