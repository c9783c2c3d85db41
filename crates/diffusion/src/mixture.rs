//! Isotropic Gaussian mixtures: data whose noised marginals, and so whose ideal denoiser, have a
//! closed form. Under x_t = √ᾱ·x₀ + √(1−ᾱ)·ε the marginal is again a mixture,
//! p_t(x) = Σ_k w_k·N(x; √ᾱ·μ_k, v_k·I) with v_k = ᾱ·s_k² + 1 − ᾱ, so the exact noise prediction is
//! ε(x, ᾱ) = −√(1−ᾱ)·∇log p_t(x) = √(1−ᾱ)·Σ_k r_k(x)·(x − √ᾱ·μ_k)/v_k, with responsibilities
//! r_k(x) ∝ w_k·N(x; √ᾱ·μ_k, v_k·I).

use burn::prelude::*;
use burn::tensor::activation::softmax;

use crate::denoiser::Denoiser;
use crate::predict::Prediction;
use crate::{DiffusionError, Level, SeededNoise};

/// Σ_k w_k·N(μ_k, s_k²·I) in `dim` dimensions.
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianMixture {
    dim: usize,
    weights: Vec<f64>,
    means: Vec<Vec<f64>>,
    stds: Vec<f64>,
}

impl GaussianMixture {
    /// A mixture from its weights (normalised here), means and per-component standard deviations.
    pub fn new(
        weights: Vec<f64>,
        means: Vec<Vec<f64>>,
        stds: Vec<f64>,
    ) -> Result<Self, DiffusionError> {
        let k = weights.len();
        let bad = |m: String| Err(DiffusionError::BadMixture(m));
        if k == 0 {
            return bad("no components".into());
        }
        if means.len() != k || stds.len() != k {
            return bad(format!(
                "{k} weights but {} means and {} stds",
                means.len(),
                stds.len()
            ));
        }
        let dim = means[0].len();
        if dim == 0 || means.iter().any(|m| m.len() != dim) {
            return bad("every mean needs the same, non-zero number of coordinates".into());
        }
        if weights.iter().any(|w| !(w.is_finite() && *w >= 0.0))
            || stds.iter().any(|s| !(s.is_finite() && *s > 0.0))
        {
            return bad("weights must be ≥ 0 and standard deviations > 0".into());
        }
        let total: f64 = weights.iter().sum();
        if total <= 0.0 {
            return bad("weights sum to zero".into());
        }
        Ok(Self {
            dim,
            weights: weights.iter().map(|w| w / total).collect(),
            means,
            stds,
        })
    }

    /// `k` equal-weight 2-D components of standard deviation `std`, evenly spaced on a circle.
    pub fn ring(k: usize, radius: f64, std: f64) -> Result<Self, DiffusionError> {
        let means = (0..k)
            .map(|i| {
                let a = std::f64::consts::TAU * i as f64 / k as f64;
                vec![radius * a.cos(), radius * a.sin()]
            })
            .collect();
        Self::new(vec![1.0; k], means, vec![std; k])
    }

    pub fn dim(&self) -> usize {
        self.dim
    }
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }
    pub fn means(&self) -> &[Vec<f64>] {
        &self.means
    }
    pub fn stds(&self) -> &[f64] {
        &self.stds
    }

    /// `n` samples as row-major `[n, dim]`, with the component each came from.
    pub fn sample(&self, n: usize, noise: &mut SeededNoise) -> (Vec<f32>, Vec<usize>) {
        let u = noise.uniforms(n);
        let z = noise.normals(n * self.dim);
        let mut labels = Vec::with_capacity(n);
        let mut points = Vec::with_capacity(n * self.dim);
        for (i, &ui) in u.iter().enumerate() {
            let mut acc = 0.0;
            let k = self
                .weights
                .iter()
                .position(|w| {
                    acc += w;
                    (ui as f64) < acc
                })
                .unwrap_or(self.weights.len() - 1);
            labels.push(k);
            for d in 0..self.dim {
                points.push((self.means[k][d] + self.stds[k] * z[i * self.dim + d] as f64) as f32);
            }
        }
        (points, labels)
    }

    /// log p_t(x) of the noised marginal at one point, in f64 (a reference for tests and plots).
    pub fn log_density(&self, x: &[f64], alpha_bar: f64) -> f64 {
        let a = alpha_bar.sqrt();
        let terms: Vec<f64> = (0..self.weights.len())
            .map(|k| {
                let v = alpha_bar * self.stds[k].powi(2) + 1.0 - alpha_bar;
                let sq: f64 = x
                    .iter()
                    .zip(&self.means[k])
                    .map(|(xi, m)| (xi - a * m).powi(2))
                    .sum();
                self.weights[k].ln()
                    - 0.5 * self.dim as f64 * (std::f64::consts::TAU * v).ln()
                    - sq / (2.0 * v)
            })
            .collect();
        let max = terms.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        max + terms.iter().map(|t| (t - max).exp()).sum::<f64>().ln()
    }

    /// The exact predictions for a batch `x` of shape `[n, dim]` at noise level (α, σ): with
    /// v_k = α²s_k² + σ² and responsibilities r_k ∝ w_k·N(x; α·μ_k, v_k·I),
    /// ε = σ·Σ_k r_k·(x − α·μ_k)/v_k and x̂₀ = Σ_k r_k·(μ_k + α·s_k²·(x − α·μ_k)/v_k).
    /// Both come straight from the closed form, so neither divides by a vanishing α or σ.
    pub fn predict(&self, x: &Tensor<2>, level: Level) -> Prediction<2> {
        let device = x.device();
        let [n, dim] = x.dims();
        let k = self.weights.len();
        let Level { alpha, sigma } = level;
        let vars: Vec<f64> = self
            .stds
            .iter()
            .map(|s| alpha * alpha * s * s + sigma * sigma)
            .collect();
        let row = |v: Vec<f32>| Tensor::<1>::from_floats(v.as_slice(), &device).reshape([1, k]);
        // log w_k − (d/2)·log v_k, 1/v_k and α·s_k²/v_k per component: [1, k]
        let bias = row((0..k)
            .map(|i| (self.weights[i].ln() - 0.5 * dim as f64 * vars[i].ln()) as f32)
            .collect());
        let inv_var = row(vars.iter().map(|v| (1.0 / v) as f32).collect());
        let gain = row((0..k)
            .map(|i| (alpha * self.stds[i].powi(2) / vars[i]) as f32)
            .collect());
        let flat = |scale: f64| -> Vec<f32> {
            self.means
                .iter()
                .flatten()
                .map(|m| (scale * m) as f32)
                .collect()
        };
        let means = Tensor::<1>::from_floats(flat(1.0).as_slice(), &device).reshape([1, k, dim]);
        let scaled = Tensor::<1>::from_floats(flat(alpha).as_slice(), &device).reshape([1, k, dim]);

        let diff = x.clone().unsqueeze_dim::<3>(1) - scaled; // x − α·μ_k: [n, k, dim]
        let sq = diff.clone().powi_scalar(2).sum_dim(2).reshape([n, k]);
        let r = softmax(bias - sq * inv_var.clone() * 0.5, 1); // [n, k]
        let weigh =
            |w: Tensor<2>, t: Tensor<3>| (t * w.unsqueeze_dim::<3>(2)).sum_dim(1).reshape([n, dim]);
        let eps = weigh(r.clone() * inv_var, diff.clone()) * sigma;
        let x0 = weigh(r.clone(), means.expand([n as i64, k as i64, dim as i64]))
            + weigh(r * gain, diff);
        Prediction { eps, x0 }
    }

    /// The exact ε for a VP sample at cumulative ᾱ.
    pub fn eps(&self, x: Tensor<2>, alpha_bar: f64) -> Tensor<2> {
        self.predict(&x, Level::vp(alpha_bar)).eps
    }
}

impl Denoiser<2> for GaussianMixture {
    fn predict(&self, x: &Tensor<2>, _t: f64, level: Level) -> Prediction<2> {
        GaussianMixture::predict(self, x, level)
    }
}
