//! PF-ODE likelihood against the closed form: Gaussian data N(μ, s²I) with its exact score.
mod common;

use burn::prelude::*;
use diffusion::likelihood::{Divergence, bits_per_dim, log_likelihood};
use diffusion::sde::{SdeKind, SeedVe, Vp};
use diffusion::{GaussianMixture, Ode, SeededNoise};

fn setup() -> (GaussianMixture, Vec<f32>, f64) {
    let (mean, s) = (vec![1.0, -0.5], 0.5);
    let mix = GaussianMixture::new(vec![1.0], vec![mean.clone()], vec![s]).unwrap();
    let (points, _) = mix.sample(256, &mut SeededNoise::new(3));
    let exact: f64 = points
        .chunks(2)
        .map(|p| mix.log_density(&[p[0] as f64, p[1] as f64], 1.0))
        .sum::<f64>()
        / 256.0;
    (mix, points, exact)
}

fn mean_log_p(t: Tensor<1>) -> Vec<f64> {
    t.into_data()
        .convert::<f64>()
        .try_into_vec::<f64>()
        .unwrap()
}

#[test]
fn exact_divergence_is_within_one_percent() {
    let (mix, points, exact) = setup();
    let x = Tensor::<2>::from_data(TensorData::new(points, [256, 2]), &common::device());
    for (name, ode) in [
        ("vp", Ode::from(Vp::default())),
        ("seed-ve", Ode::from(SdeKind::from(SeedVe::default()))),
        ("linear flow path", Ode::Linear),
    ] {
        let ll = log_likelihood(&ode, &mix, &x, 100, Divergence::Exact).unwrap();
        let got = mean_log_p(ll.log_p);
        let mean = got.iter().sum::<f64>() / got.len() as f64;
        let rel = (mean - exact).abs() / exact.abs();
        println!(
            "{name}: mean log p {mean:.5} vs exact {exact:.5} (rel err {rel:.2e}, {} NFE, {:.4} bits/dim)",
            ll.nfe,
            bits_per_dim(&got, 2, 0.0).unwrap()
        );
        assert!(rel < 0.01, "{name}: {mean} vs {exact}");
    }
}

#[test]
fn hutchinson_is_within_five_percent_on_average() {
    let (mix, points, exact) = setup();
    let x = Tensor::<2>::from_data(TensorData::new(points, [256, 2]), &common::device());
    let mut noise = SeededNoise::new(17);
    let ll = log_likelihood(
        &Ode::from(Vp::default()),
        &mix,
        &x,
        100,
        Divergence::Hutchinson(&mut noise),
    )
    .unwrap();
    let got = mean_log_p(ll.log_p);
    let mean = got.iter().sum::<f64>() / got.len() as f64;
    let rel = (mean - exact).abs() / exact.abs();
    println!("hutchinson: mean log p {mean:.5} vs exact {exact:.5} (rel err {rel:.2e})");
    assert!(rel < 0.05, "{mean} vs {exact}");
}

#[test]
fn bits_per_dim_follows_seed_000() {
    // log p = −2·ln 2 nats over 2 dims is 1 bit/dim; +8 for 8-bit data in [0, 1]
    let lp = [-2.0 * std::f64::consts::LN_2; 3];
    assert!((bits_per_dim(&lp, 2, 8.0).unwrap() - 9.0).abs() < 1e-12);
    assert!(bits_per_dim(&[f64::NAN], 2, 0.0).is_err());
}
