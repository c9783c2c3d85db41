//! Samplers by name, and bad input: clear errors, never panics; NaN is caught with its step.
mod common;

use burn::prelude::*;
use diffusion::sampler::{Network, Options, SAMPLERS, build, ensure_finite};
use diffusion::sde::Vp;
use diffusion::{BetaSchedule, DiffusionError, DiscreteSchedule, Parameterization, SeededNoise};

fn schedule() -> DiscreteSchedule {
    DiscreteSchedule::new(BetaSchedule::LINEAR, 1000).unwrap()
}

#[test]
fn every_listed_sampler_builds_and_unknown_names_are_errors() {
    let (s, sde) = (schedule(), Vp::default());
    for (name, _) in SAMPLERS {
        let sampler = build::<2>(name, &Options::default(), &s, &sde)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(sampler.len() > 0, "{name}");
    }
    let e = build::<2>("plms", &Options::default(), &s, &sde)
        .err()
        .unwrap();
    assert!(
        matches!(e, DiffusionError::Unknown { .. }) && e.to_string().contains("ddim"),
        "{e}"
    );
}

#[test]
fn bad_settings_are_errors() {
    let (s, sde) = (schedule(), Vp::default());
    let bad = |name: &str, opts: Options| {
        build::<2>(name, &opts, &s, &sde)
            .err()
            .map(|e| e.to_string())
    };
    let d = Options::default();
    assert!(
        bad("ddim", Options { steps: 0, ..d })
            .unwrap()
            .contains("0 sampling steps")
    );
    assert!(
        bad("ddim", Options { eta: 1.5, ..d })
            .unwrap()
            .contains("η")
    );
    assert!(bad("ddim", Options { eta: f64::NAN, ..d }).is_some());
    assert!(
        bad("pc", Options { snr: -0.1, ..d })
            .unwrap()
            .contains("snr")
    );
    assert!(
        bad("ddpm", Options { steps: 5000, ..d })
            .unwrap()
            .contains("5000")
    );
}

/// A model that returns NaN from its 3rd call on: the chain reports the step it appeared at.
#[test]
fn nan_in_a_model_output_is_reported_with_its_step() {
    let calls = std::cell::Cell::new(0);
    let model = Network {
        kind: Parameterization::Epsilon,
        f: |x: &Tensor<2>, _t, _level| {
            calls.set(calls.get() + 1);
            if calls.get() >= 3 {
                x.clone() * f64::NAN
            } else {
                x.clone() * 0.1
            }
        },
    };
    let (s, sde) = (schedule(), Vp::default());
    let mut sampler = build::<2>(
        "ddim",
        &Options {
            steps: 10,
            ..Options::default()
        },
        &s,
        &sde,
    )
    .unwrap();
    let mut noise = SeededNoise::new(0);
    let mut x =
        Tensor::<2>::from_data(TensorData::new(noise.normals(8), [4, 2]), &common::device());
    let err = loop {
        let step = sampler
            .step(&model, &x, &mut noise)
            .unwrap()
            .expect("NaN is caught before the end");
        let values = step.x.clone().into_data().try_into_vec::<f32>().unwrap();
        if let Err(e) = ensure_finite(&values, step.index, step.t) {
            break e;
        }
        x = step.x;
    };
    assert!(
        matches!(err, DiffusionError::NotFinite { step: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("step 2"), "{err}");
}

/// The registry's DDPM chains end on the posterior mean, so a point mass comes out as a point
/// (trailing spacing ends above t = 0, where diffusers would still add √β of noise).
#[test]
fn ddpm_chains_end_without_added_noise() {
    let point =
        diffusion::GaussianMixture::new(vec![1.0], vec![vec![0.5, -0.5]], vec![1e-3]).unwrap();
    let (s, sde) = (schedule(), Vp::default());
    for name in ["ddpm", "ddpm-large"] {
        let mut sampler = build::<2>(
            name,
            &Options {
                steps: 50,
                ..Options::default()
            },
            &s,
            &sde,
        )
        .unwrap();
        let mut noise = SeededNoise::new(1);
        let mut x = Tensor::<2>::from_data(
            TensorData::new(noise.normals(64), [32, 2]),
            &common::device(),
        );
        while let Some(step) = sampler.step(&point, &x, &mut noise).unwrap() {
            x = step.x;
        }
        let v = x.into_data().try_into_vec::<f32>().unwrap();
        let worst = v
            .iter()
            .enumerate()
            .map(|(i, &p)| (p as f64 - if i % 2 == 0 { 0.5 } else { -0.5 }).abs())
            .fold(0.0, f64::max);
        assert!(
            worst < 0.01,
            "{name}: farthest sample {worst} from the point mass"
        );
    }
}

/// diffusers' leading spacing for DPM-Solver: ratio T // (n + 1), the n largest multiples.
#[test]
fn dpm_leading_spacing_matches_diffusers() {
    use diffusion::sampler::{DpmOptions, DpmSolverPP2M, Spacing};
    let dpm = DpmSolverPP2M::<2>::new(
        &schedule(),
        4,
        DpmOptions {
            spacing: Spacing::Leading,
            ..DpmOptions::default()
        },
    )
    .unwrap();
    assert_eq!(dpm.timesteps(), &[800.0, 600.0, 400.0, 200.0]);
}
