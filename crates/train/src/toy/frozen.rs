//! A toy model frozen at one training step, with its process.

use burn::prelude::*;
use diffusion::likelihood::{Divergence, log_likelihood};
use diffusion::sampler::{Network, Options, Stepper};
use diffusion::sde::Vp;
use diffusion::{Level, Ode, Parameterization, SeededNoise};
use models::Mlp;

use super::{Noise, ToySet};

/// The VP SDE a DDPM model's likelihood is integrated on: the probability-flow ODE needs an SDE,
/// and this one's levels span those of a linear schedule with T = 1000, so every level on the
/// way maps to a timestep the model was trained at (see [`Frozen::log_density`]).
pub const DDPM_LIKELIHOOD_SDE: Vp = Vp {
    beta_min: 0.1,
    beta_max: 20.0,
};

/// The EMA model of one training step with its process: what samples, score fields and
/// likelihoods are computed from, so they can go on while training continues.
#[derive(Clone)]
pub struct Frozen {
    pub model: Mlp,
    pub noise: Noise,
    /// The training step the weights are from.
    pub step: usize,
    pub(super) device: Device,
}

impl Frozen {
    /// The EMA model of `step` from the flat weights of [`super::ToyRun::ema_values`] of a run
    /// on `set`, on `device` (the page's copy of what a worker trains).
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

    /// What the network outputs: the velocity on the flow path, ε otherwise.
    pub fn kind(&self) -> Parameterization {
        if self.noise.is_flow() {
            Parameterization::Flow
        } else {
            Parameterization::Epsilon
        }
    }

    /// The model as a denoiser (it predicts ε, or the flow's velocity, at the process's time t).
    pub fn denoiser(&self) -> Network<impl Fn(&Tensor<2>, f64, Level) -> Tensor<2> + '_> {
        let model = &self.model;
        Network {
            kind: self.kind(),
            f: move |x: &Tensor<2>, t: f64, _: Level| {
                let [b, _] = x.dims();
                model.forward(x.clone(), Tensor::<1>::full([b], t, &x.device()))
            },
        }
    }

    /// A sampler by name for this process (discrete samplers need a DDPM process, SDE samplers an
    /// SDE, flow samplers the flow). It borrows nothing, so it can be stepped across animation
    /// frames.
    pub fn sampler(&self, name: &str, options: &Options) -> Result<Stepper<2>, String> {
        Stepper::build(name, options, &self.noise).map_err(|e| e.to_string())
    }

    /// The deterministic sampler of this model's family (its probability-flow ODE): what a probe
    /// dropped by hand follows beside any draws of a stochastic sampler.
    pub fn ode_sampler(&self) -> &'static str {
        match self.noise.family() {
            diffusion::sampler::Family::Discrete => "ddim",
            diffusion::sampler::Family::Sde => "pf-heun",
            diffusion::sampler::Family::Flow => "flow-heun",
        }
    }

    /// x_T for `n` points: standard normals from `noise` times the sampler's starting σ.
    pub fn start(&self, n: usize, init_sigma: f64, noise: &mut SeededNoise) -> Tensor<2> {
        let z = noise.normals(2 * n);
        Tensor::<2>::from_data(TensorData::new(z, [n, 2]), &self.device) * init_sigma
    }

    /// The network's output at the points `xy` (`[n, 2]` row-major) at process time `t` (not read
    /// back): ε̂ (the score is −ε̂/σ(t)), or the flow's velocity.
    pub fn eps(&self, xy: &[f32], t: f64) -> Tensor<2> {
        let n = xy.len() / 2;
        let x = Tensor::<2>::from_data(TensorData::new(xy.to_vec(), [n, 2]), &self.device);
        let level = self.noise.level(t);
        (self.denoiser().f)(&x, t, level)
    }

    /// log p₀ of the model at the points `xy` (`[n, 2]`), through its probability-flow ODE with the
    /// exact 2-D divergence and `steps` RK4 steps (not read back). A DDPM model is run on
    /// [`DDPM_LIKELIHOOD_SDE`], each level mapped to the timestep with the same noise-to-signal
    /// ratio.
    pub fn log_density(&self, xy: &[f32], steps: usize) -> Result<Tensor<1>, String> {
        let n = xy.len() / 2;
        let x = Tensor::<2>::from_data(TensorData::new(xy.to_vec(), [n, 2]), &self.device);
        let out = match &self.noise {
            Noise::Sde(sde) => log_likelihood(
                &Ode::from(*sde),
                &self.denoiser(),
                &x,
                steps,
                Divergence::Exact,
            ),
            Noise::Flow => {
                log_likelihood(&Ode::Linear, &self.denoiser(), &x, steps, Divergence::Exact)
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
                log_likelihood(
                    &Ode::from(DDPM_LIKELIHOOD_SDE),
                    &by_level,
                    &x,
                    steps,
                    Divergence::Exact,
                )
            }
        };
        out.map(|l| l.log_p).map_err(|e| e.to_string())
    }
}
