//! Likelihood through the probability-flow ODE (Song et al. 2021, app. D.2; seed 000's
//! `ode_likelihood`): along dx/dt = f̃(x, t) (an [`Ode`]: f(t)·x − ½g(t)²·∇log p_t(x) for an SDE,
//! the velocity for the linear flow path),
//! d log p_t(x_t)/dt = −∇·f̃, so log p₀(x) = log p₁(x₁) + ∫ ∇·f̃ dt from t_min to 1.
//! The divergence is exact (one vector–Jacobian product per coordinate: two in 2-D, enough for a
//! density heatmap) or the Skilling–Hutchinson estimate εᵀ(∂f̃/∂x)ε with Gaussian probes ε.

use burn::prelude::*;

use crate::DiffusionError;
use crate::denoiser::Denoiser;
use crate::noise::{NoiseSource, normal_like};
use crate::ode::Ode;

/// How ∇·f̃ is computed.
pub enum Divergence<'a> {
    /// Σ_j ∂f̃_j/∂x_j, one backward pass per coordinate.
    Exact,
    /// εᵀ(∂f̃/∂x)ε with a fresh Gaussian probe per evaluation.
    Hutchinson(&'a mut dyn NoiseSource),
}

/// Per-sample log-densities (still on the device: read them back asynchronously in a browser)
/// and the cost of computing them.
#[derive(Debug, Clone)]
pub struct LogLikelihood {
    /// log p₀(x) per sample, in nats, shape `[n]`.
    pub log_p: Tensor<1>,
    /// Model evaluations (forward passes) used.
    pub nfe: usize,
}

/// Bits per dimension from per-sample log-densities of data with `dims` coordinates per sample;
/// `levels_offset` adds log₂(256) = 8 for 8-bit data rescaled to [0, 1] (seed 000), 0 for
/// continuous data. NaN or infinite values are an error.
pub fn bits_per_dim(log_p: &[f64], dims: usize, levels_offset: f64) -> Result<f64, DiffusionError> {
    if let Some(i) = log_p.iter().position(|v| !v.is_finite()) {
        return Err(DiffusionError::Unsupported(format!(
            "log-likelihood of sample {i} is not finite"
        )));
    }
    let mean = log_p.iter().sum::<f64>() / log_p.len().max(1) as f64;
    Ok(-mean / (dims as f64 * std::f64::consts::LN_2) + levels_offset)
}

/// (f̃, ∇·f̃ per sample) at `x`, on the autodiff version of `x`'s device.
fn flow_and_divergence(
    ode: &Ode,
    model: &dyn Denoiser<2>,
    x: &Tensor<2>,
    t: f64,
    div: &mut Divergence,
    nfe: &mut usize,
) -> Result<(Tensor<2>, Tensor<1>), DiffusionError> {
    let [n, d] = x.dims();
    let leaf = || x.clone().detach().autodiff().require_grad();
    match div {
        Divergence::Exact => {
            let mut total: Option<Tensor<1>> = None;
            let mut value = None;
            for j in 0..d {
                let xa = leaf();
                let out = ode.drift(model, &xa, t).0;
                *nfe += 1;
                let grads = out.clone().slice([0..n, j..j + 1]).sum().backward();
                let g = xa
                    .grad(&grads)
                    .ok_or_else(|| DiffusionError::Unsupported("no gradient for x".into()))?;
                let diag = g.slice([0..n, j..j + 1]).reshape([n]);
                total = Some(match total {
                    Some(s) => s + diag,
                    None => diag,
                });
                value.get_or_insert(out.inner());
            }
            Ok((value.expect("d > 0"), total.expect("d > 0")))
        }
        Divergence::Hutchinson(noise) => {
            let xa = leaf();
            let out = ode.drift(model, &xa, t).0;
            *nfe += 1;
            let probe = normal_like(x, *noise)?;
            let grads = (out.clone() * probe.clone().autodiff()).sum().backward();
            let g = xa
                .grad(&grads)
                .ok_or_else(|| DiffusionError::Unsupported("no gradient for x".into()))?;
            Ok((out.inner(), (g * probe).sum_dim(1).reshape([n])))
        }
    }
}

/// log p₀ of each row of `x` (`[n, d]`), integrating the joint ODE from its end (an SDE's t_min,
/// the flow's 0) to 1 with `steps` classical Runge–Kutta (RK4) steps, and the prior
/// N(0, σ_prior²·I) at t = 1.
pub fn log_likelihood(
    ode: &Ode,
    model: &dyn Denoiser<2>,
    x: &Tensor<2>,
    steps: usize,
    mut div: Divergence,
) -> Result<LogLikelihood, DiffusionError> {
    if steps == 0 {
        return Err(DiffusionError::OutOfRange {
            name: "steps",
            value: steps as f64,
            expected: "at least 1",
        });
    }
    let [n, d] = x.dims();
    let (t0, t1) = (ode.t_end(), 1.0);
    let h = (t1 - t0) / steps as f64;
    let mut nfe = 0;
    let mut xt = x.clone();
    let mut acc = Tensor::<1>::zeros([n], &x.device());
    for i in 0..steps {
        let t = t0 + i as f64 * h;
        let (k1, a1) = flow_and_divergence(ode, model, &xt, t, &mut div, &mut nfe)?;
        let (k2, a2) = flow_and_divergence(
            ode,
            model,
            &(xt.clone() + k1.clone() * (h / 2.0)),
            t + h / 2.0,
            &mut div,
            &mut nfe,
        )?;
        let (k3, a3) = flow_and_divergence(
            ode,
            model,
            &(xt.clone() + k2.clone() * (h / 2.0)),
            t + h / 2.0,
            &mut div,
            &mut nfe,
        )?;
        let (k4, a4) = flow_and_divergence(
            ode,
            model,
            &(xt.clone() + k3.clone() * h),
            t + h,
            &mut div,
            &mut nfe,
        )?;
        xt = xt + (k1 + (k2 + k3) * 2.0 + k4) * (h / 6.0);
        acc = acc + (a1 + (a2 + a3) * 2.0 + a4) * (h / 6.0);
    }
    let var = ode.prior_sigma().powi(2);
    let prior = (xt.powi_scalar(2).sum_dim(1).reshape([n]) * (-0.5 / var))
        - 0.5 * d as f64 * (std::f64::consts::TAU * var).ln();
    Ok(LogLikelihood {
        log_p: prior + acc,
        nfe,
    })
}
