//! Training objectives. Each takes clean data x₀ (images in [−1, 1], or 2-D points) and returns a
//! scalar loss; randomness over times and labels comes from the caller's [`SeededNoise`], Gaussian
//! noise from the device's generator (seed it with `Device::seed`).

use burn::prelude::*;
use burn::tensor::Distribution;
use diffusion::sde::Sde;
use diffusion::{DiscreteSchedule, Level, SeededNoise};
use models::{Classifier, ScoreNet, UNet};

/// A [b, 1, …, 1] column of per-sample factors, for broadcasting against [b, …].
fn column<const D: usize>(v: &[f32], device: &Device) -> Tensor<D> {
    let mut shape = [1usize; D];
    shape[0] = v.len();
    Tensor::<1>::from_floats(v, device).reshape(shape)
}

/// ε̂(x_t, t) − ε for x_t = α x₀ + σ ε at each sample's time and level: the residual both
/// ε-objectives square.
fn eps_residual<const D: usize>(
    x0: Tensor<D>,
    eps: Tensor<D>,
    times: &[f64],
    levels: &[Level],
    predict: impl FnOnce(Tensor<D>, Tensor<1>) -> Tensor<D>,
) -> Tensor<D> {
    let device = x0.device();
    let a: Vec<f32> = levels.iter().map(|l| l.alpha as f32).collect();
    let s: Vec<f32> = levels.iter().map(|l| l.sigma as f32).collect();
    let xt = x0 * column::<D>(&a, &device) + eps.clone() * column::<D>(&s, &device);
    let t: Vec<f32> = times.iter().map(|&t| t as f32).collect();
    predict(xt, Tensor::<1>::from_floats(t.as_slice(), &device)) - eps
}

/// DDPM ε-prediction (Ho et al. 2020, eq. 14) for any network: t ~ U{0, …, T−1},
/// x_t = √ᾱ_t x₀ + √(1−ᾱ_t) ε, loss = mean ‖ε̂(x_t, t) − ε‖². `predict(x_t, t)` gets the
/// timesteps as floats; `eps` is the Gaussian noise (from the device's generator for images, from
/// the seeded host source for 2-D points, so a seed reproduces a run exactly).
pub fn ddpm_eps<const D: usize>(
    x0: Tensor<D>,
    eps: Tensor<D>,
    schedule: &DiscreteSchedule,
    rng: &mut SeededNoise,
    predict: impl FnOnce(Tensor<D>, Tensor<1>) -> Tensor<D>,
) -> Tensor<1> {
    let (times, levels) = discrete_times(schedule, rng, x0.dims()[0]);
    eps_residual(x0, eps, &times, &levels, predict)
        .powf_scalar(2.0)
        .mean()
}

/// `b` training timesteps t ~ U{0, …, T−1} of a discrete schedule (as the model sees them) and
/// their levels.
pub fn discrete_times(
    schedule: &DiscreteSchedule,
    rng: &mut SeededNoise,
    b: usize,
) -> (Vec<f64>, Vec<Level>) {
    let steps = schedule.len();
    let ts: Vec<usize> = rng
        .uniforms(b)
        .iter()
        .map(|&u| ((u as f64 * steps as f64) as usize).min(steps - 1))
        .collect();
    let levels = ts.iter().map(|&t| schedule.level(t)).collect();
    (ts.iter().map(|&t| t as f64).collect(), levels)
}

/// `b` times t ~ U(t_min, 1) of an SDE and their levels.
pub fn sde_times(sde: &dyn Sde, rng: &mut SeededNoise, b: usize) -> (Vec<f64>, Vec<Level>) {
    let t0 = sde.t_min();
    let times: Vec<f64> = rng
        .uniforms(b)
        .iter()
        .map(|&u| t0 + (1.0 - t0) * u as f64)
        .collect();
    let levels = times.iter().map(|&t| sde.level(t)).collect();
    (times, levels)
}

/// Denoising score matching on an SDE with λ(t) = σ(t)² (Song et al. 2021, eq. 7) for a network
/// that predicts ε (score = −ε̂/σ): t ~ U(t_min, 1), x_t = α(t) x₀ + σ(t) z, and
/// σ²‖s − (−z/σ)‖² = ‖ε̂ − z‖², so the loss is mean ‖ε̂(x_t, t) − z‖² summed over coordinates.
pub fn sde_eps<const D: usize>(
    x0: Tensor<D>,
    z: Tensor<D>,
    sde: &dyn Sde,
    rng: &mut SeededNoise,
    predict: impl FnOnce(Tensor<D>, Tensor<1>) -> Tensor<D>,
) -> Tensor<1> {
    let b = x0.dims()[0];
    let (times, levels) = sde_times(sde, rng, b);
    let residual = eps_residual(x0, z, &times, &levels, predict);
    residual
        .powf_scalar(2.0)
        .reshape([b as i64, -1])
        .sum_dim(1)
        .mean()
}

/// Conditional flow matching on the linear path (Lipman et al. 2022; rectified flow, Liu et al.
/// 2022): x_t = (1−t)·x₀ + t·z at the given times `t` (see [`FlowTimes`]), and the network
/// regresses the path's velocity: loss = mean over the batch of Σ_coords ‖u(x_t, t) − (z − x₀)‖².
/// `z` is the noise paired with each row of `x0`: independent draws, their minibatch
/// optimal-transport permutation ([`diffusion::flow::ot_pairing`]), or a reflow's fixed pairs.
pub fn flow_matching<const D: usize>(
    x0: Tensor<D>,
    z: Tensor<D>,
    t: &[f32],
    predict: impl FnOnce(Tensor<D>, Tensor<1>) -> Tensor<D>,
) -> Tensor<1> {
    let device = x0.device();
    let b = x0.dims()[0];
    let a: Vec<f32> = t.iter().map(|t| 1.0 - t).collect();
    let xt = x0.clone() * column::<D>(&a, &device) + z.clone() * column::<D>(t, &device);
    let u = predict(xt, Tensor::<1>::from_floats(t, &device));
    (u - (z - x0))
        .powf_scalar(2.0)
        .reshape([b as i64, -1])
        .sum_dim(1)
        .mean()
}

/// How flow matching draws its times t ∈ (0, 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlowTimes {
    /// t ~ U(0, 1).
    #[default]
    Uniform,
    /// t = sigmoid(n), n ~ N(0, 1) (Esser et al. 2024): more of the batch at middle times, where
    /// the velocity decides which mode a point goes to, fewer near t = 0, where it shapes each
    /// mode. On 8 Gaussians it puts 90% of the samples within 3σ of a mode ~100 steps sooner, but
    /// the modes stay wider (MMD and the density view: docs/toy2d.md), so it is not the default.
    LogitNormal,
}

impl FlowTimes {
    /// `b` times from `rng`.
    pub fn draw(self, rng: &mut SeededNoise, b: usize) -> Vec<f32> {
        match self {
            FlowTimes::Uniform => rng.uniforms(b),
            FlowTimes::LogitNormal => rng
                .normals(b)
                .iter()
                .map(|n| 1.0 / (1.0 + (-n).exp()))
                .collect(),
        }
    }
}

/// E[x₀ | x_t] for each row of `xt` (rows of `dim` values; row i is at level α_i, σ_i), with the
/// data distribution replaced by the `reference` points: the posterior weights are
/// w_j ∝ exp(−‖x_t − α·x₀ʲ‖² / 2σ²). This is the stable target field of Xu et al. (2023): when the
/// reference is the batch x_t was made from, regressing onto it instead of onto each row's own
/// x₀ keeps the minimiser (up to a bias that falls with the reference's size) and removes most of
/// the target's variance where several points could have made x_t. Computed on the host: one
/// pass over the batch for each row, O(b²·dim).
pub fn posterior_mean(
    xt: &[f32],
    alpha: &[f32],
    sigma: &[f32],
    reference: &[f32],
    dim: usize,
) -> Vec<f32> {
    let mut out = vec![0f32; xt.len()];
    let mut logw = vec![0f64; reference.len() / dim];
    for (i, row) in xt.chunks_exact(dim).enumerate() {
        let (a, s2) = (alpha[i] as f64, (sigma[i] as f64).powi(2).max(1e-12));
        let mut top = f64::NEG_INFINITY;
        for (w, x0) in logw.iter_mut().zip(reference.chunks_exact(dim)) {
            let d2: f64 = row
                .iter()
                .zip(x0)
                .map(|(&x, &r)| (x as f64 - a * r as f64).powi(2))
                .sum();
            *w = -d2 / (2.0 * s2);
            top = top.max(*w);
        }
        let mut total = 0.0;
        let mut mean = vec![0f64; dim];
        for (w, x0) in logw.iter().zip(reference.chunks_exact(dim)) {
            let w = (w - top).exp();
            total += w;
            for (m, &r) in mean.iter_mut().zip(x0) {
                *m += w * r as f64;
            }
        }
        for (o, m) in out[i * dim..(i + 1) * dim].iter_mut().zip(mean) {
            *o = (m / total) as f32;
        }
    }
    out
}

/// The mean squared error of `predict(x_t, t)` against `target` (all rows of `dim` values, on the
/// host): summed over coordinates (`per_coordinate` false, as [`flow_matching`] and [`sde_eps`])
/// or averaged over them (as [`ddpm_eps`]).
pub fn regress(
    xt: Vec<f32>,
    t: &[f32],
    target: Vec<f32>,
    dim: usize,
    per_coordinate: bool,
    device: &Device,
    predict: impl FnOnce(Tensor<2>, Tensor<1>) -> Tensor<2>,
) -> Tensor<1> {
    let b = t.len();
    let xt = Tensor::<2>::from_data(TensorData::new(xt, [b, dim]), device);
    let target = Tensor::<2>::from_data(TensorData::new(target, [b, dim]), device);
    let residual = (predict(xt, Tensor::<1>::from_floats(t, device)) - target).powf_scalar(2.0);
    if per_coordinate {
        residual.mean()
    } else {
        residual.sum_dim(1).mean()
    }
}

/// [`ddpm_eps`] for the class-conditional U-Net. With `labels`, each label is replaced by the
/// model's "no class" row (the last) with probability `p_uncond`, which trains classifier-free
/// guidance.
pub fn ddpm_eps_loss(
    unet: &UNet,
    x0: Tensor<4>,
    labels: Option<&[u8]>,
    schedule: &DiscreteSchedule,
    p_uncond: f64,
    rng: &mut SeededNoise,
) -> Tensor<1> {
    let device = x0.device();
    let b = x0.dims()[0];
    let classes = labels.zip(unet.class_rows()).map(|(labels, rows)| {
        let drop = rng.uniforms(b);
        let ids: Vec<i64> = labels
            .iter()
            .zip(drop)
            .map(|(&l, u)| {
                if (u as f64) < p_uncond {
                    rows as i64 - 1
                } else {
                    l as i64
                }
            })
            .collect();
        Tensor::<1, Int>::from_ints(ids.as_slice(), &device)
    });
    let eps = Tensor::<4>::random(x0.shape(), Distribution::Normal(0.0, 1.0), &device);
    ddpm_eps(x0, eps, schedule, rng, |xt, t| unet.forward(xt, t, classes))
}

/// The seeds' denoising score matching on the VE SDE (σ(t) = √((σ^{2t}−1)/(2 ln σ))):
/// t ~ U(ε_t, 1), x̃ = x₀ + σ(t) z, loss = mean over the batch of Σ_pixels (σ(t)·s(x̃, t) + z)²,
/// i.e. λ(t) = σ(t)² weighting.
pub fn dsm_loss(net: &ScoreNet, x0: Tensor<4>, eps_t: f64, rng: &mut SeededNoise) -> Tensor<1> {
    let device = x0.device();
    let [b, c, h, w] = x0.dims();
    let t: Vec<f32> = rng
        .uniforms(b)
        .iter()
        .map(|&u| (u as f64 * (1.0 - eps_t) + eps_t) as f32)
        .collect();
    let t = Tensor::<1>::from_floats(t.as_slice(), &device);
    let std = net.marginal_std(t.clone()).reshape([b, 1, 1, 1]);
    let z = Tensor::<4>::random([b, c, h, w], Distribution::Normal(0.0, 1.0), &device);
    let perturbed = x0 + z.clone() * std.clone();
    let score = net.forward(perturbed, t);
    (score * std + z)
        .powf_scalar(2.0)
        .sum_dim(1)
        .sum_dim(2)
        .sum_dim(3)
        .mean()
}

/// Cross-entropy of the classifier on labelled images.
pub fn classifier_loss(net: &Classifier, x: Tensor<4>, labels: &[u8]) -> Tensor<1> {
    let device = x.device();
    let logits = net.forward(x);
    let ids: Vec<i64> = labels.iter().map(|&l| l as i64).collect();
    let targets = Tensor::<1, Int>::from_ints(ids.as_slice(), &device);
    burn::nn::loss::CrossEntropyLossConfig::new()
        .init(&device)
        .forward(logits, targets)
}
