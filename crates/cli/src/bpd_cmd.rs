//! `diffuse bpd`: bits/dim of MNIST test images under the ScoreNet, through the core's PF-ODE
//! likelihood with Hutchinson's divergence estimate (seed 000's `ode_likelihood`, with fixed-step
//! RK4 instead of adaptive RK45).
//!
//! Data handling follows the seed: pixels are dequantised with uniform noise, (p + u)/256 ∈ [0, 1];
//! our models see [−1, 1] = 2·x − 1, which adds log₂ 2 = 1 bit per dimension to the density in
//! [0, 1] units; the 8 bits of the 256 levels are added as the seed does.

use std::path::Path;

use burn::module::Module;
use burn::prelude::*;
use diffusion::likelihood::{Divergence, bits_per_dim, log_likelihood};
use diffusion::sampler::Network;
use diffusion::sde::SeedVe;
use diffusion::{Level, Parameterization, SeededNoise};
use serde::Serialize;

use crate::generate::load_run;
use crate::presets::{Dataset, Net, load_data};

#[derive(Debug, Clone, Serialize)]
pub struct Bpd {
    pub model: String,
    pub n: usize,
    pub rk4_steps: usize,
    pub nfe: usize,
    pub bits_per_dim: f64,
    /// Standard error of the mean over the n images.
    pub std_error: f64,
    pub seconds: f64,
}

pub fn bpd(
    run_dir: &Path,
    data_dir: &Path,
    n: usize,
    steps: usize,
    seed: u64,
) -> Result<Bpd, String> {
    let device = Device::flex().autodiff();
    let run = load_run(run_dir, &device)?;
    let Net::ScoreNet(net) = run.net else {
        return Err(format!(
            "bits/dim is computed for the ScoreNet, not {}",
            run.state.model
        ));
    };
    let net = net.no_grad();
    let test = load_data(Dataset::Mnist, data_dir, false).map_err(|e| e.to_string())?;
    let n = n.clamp(1, test.len());
    let d = 28 * 28;
    let mut rng = SeededNoise::new(seed);
    let u = rng.uniforms(n * d);
    let x: Vec<f32> = test.pixels[..n * d]
        .iter()
        .zip(u)
        .map(|(&p, u)| 2.0 * (p as f32 + u) / 256.0 - 1.0)
        .collect();
    let x = Tensor::<2>::from_data(TensorData::new(x, [n, d]), &device);
    let model = Network {
        kind: Parameterization::Score,
        f: |x: &Tensor<2>, t: f64, _: Level| {
            let [b, _] = x.dims();
            net.forward(
                x.clone().reshape([b, 1, 28, 28]),
                Tensor::<1>::full([b], t, &x.device()),
            )
            .reshape([b, d])
        },
    };
    let started = std::time::Instant::now();
    let mut probes = SeededNoise::new(seed ^ 0x5eed);
    let ll = log_likelihood(
        &diffusion::Ode::from(diffusion::sde::SdeKind::from(SeedVe::default())),
        &model,
        &x,
        steps,
        Divergence::Hutchinson(&mut probes),
    )
    .map_err(|e| e.to_string())?;
    let log_p: Vec<f64> = ll
        .log_p
        .into_data()
        .convert::<f64>()
        .try_to_vec::<f64>()
        .map_err(|e| format!("{e:?}"))?;
    // bits/dim in [0, 1] units = in [−1, 1] units − 1, plus 8 for the 256 levels.
    let bits = bits_per_dim(&log_p, d, 8.0 - 1.0).map_err(|e| e.to_string())?;
    let per: Vec<f64> = log_p
        .iter()
        .map(|&l| bits_per_dim(&[l], d, 8.0 - 1.0))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let var = per.iter().map(|b| (b - bits).powi(2)).sum::<f64>() / (n.max(2) - 1) as f64;
    Ok(Bpd {
        model: run.state.model,
        n,
        rk4_steps: steps,
        nfe: ll.nfe,
        bits_per_dim: bits,
        std_error: (var / n as f64).sqrt(),
        seconds: started.elapsed().as_secs_f64(),
    })
}
