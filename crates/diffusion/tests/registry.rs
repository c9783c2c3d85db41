//! Samplers by name, and bad input: clear errors, never panics; NaN is caught with its step.
mod common;

use burn::prelude::*;
use diffusion::sampler::{
    Family, Network, Options, SAMPLERS, Stepper, TABLE, build, ensure_finite, fitting, info,
};
use diffusion::{DiffusionError, Parameterization, Process, SeededNoise};

fn schedule() -> Process {
    Process::ddpm("linear", 1000).unwrap()
}

fn vp() -> Process {
    Process::sde("vp").unwrap()
}

/// The process a sampler of the table steps.
fn process_for(name: &str) -> Process {
    match info(name).expect("a listed sampler").family {
        Family::Discrete => schedule(),
        Family::Sde => vp(),
        Family::Flow => Process::Flow,
    }
}

#[test]
fn every_listed_sampler_builds_and_unknown_names_are_errors() {
    for s in TABLE {
        let stepper = Stepper::<2>::build(s.name, &Options::default(), &process_for(s.name))
            .unwrap_or_else(|e| panic!("{}: {e}", s.name));
        assert!(!stepper.is_empty(), "{}", s.name);
        // the fixed-step samplers build as boxes too; the adaptive one only as a stepper
        let boxed = build::<2>(s.name, &Options::default(), &process_for(s.name));
        assert_eq!(boxed.is_ok(), !s.adaptive, "{}", s.name);
    }
    let e = build::<2>("plms", &Options::default(), &schedule())
        .err()
        .unwrap();
    assert!(
        matches!(e, DiffusionError::Unknown { .. }) && e.to_string().contains("ddim"),
        "{e}"
    );
    // the known names are the table's
    let names: Vec<&str> = TABLE.iter().map(|s| s.name).collect();
    assert!(e.to_string().contains(&names.join(", ")), "{e}");
}

/// A sampler of the other family is refused with a sentence naming the sampler, the process and
/// what to do, in both directions.
#[test]
fn a_sampler_that_does_not_fit_the_process_says_so() {
    let e = build::<2>("ddim", &Options::default(), &vp())
        .err()
        .unwrap()
        .to_string();
    assert_eq!(
        e,
        "ddim steps a discrete schedule, not the vp SDE: train with DDPM to use it"
    );
    let e = build::<2>("pc", &Options::default(), &schedule())
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.starts_with("pc integrates an SDE, not a discrete schedule")
            && e.ends_with("train on an SDE to use it"),
        "{e}"
    );
}

/// The derived lists agree with the table: every sampler in exactly one family, in table order.
#[test]
fn the_table_is_the_one_list_of_samplers() {
    let names: Vec<&str> = TABLE.iter().map(|s| s.name).collect();
    assert_eq!(SAMPLERS.iter().map(|(n, _)| *n).collect::<Vec<_>>(), names);
    let (discrete, sde, flow) = (
        fitting(Family::Discrete),
        fitting(Family::Sde),
        fitting(Family::Flow),
    );
    assert_eq!(discrete.len() + sde.len() + flow.len(), TABLE.len());
    assert_eq!(
        sde,
        ["euler-maruyama", "pc", "pf-heun", "annealed-langevin"]
    );
    assert_eq!(flow, ["flow-euler", "flow-heun", "rk45"]);
    for s in TABLE {
        assert!(s.fits(&process_for(s.name)) && s.fits_family(s.family));
        for other in [Family::Discrete, Family::Sde, Family::Flow] {
            assert_eq!(s.fits_family(other), other == s.family, "{}", s.name);
        }
    }
    let readers = |f: fn(&&diffusion::sampler::SamplerInfo) -> bool| {
        TABLE.iter().filter(f).map(|s| s.name).collect::<Vec<_>>()
    };
    assert_eq!(readers(|s| s.reads_eta), ["ddim"]);
    assert_eq!(readers(|s| s.reads_snr), ["pc"]);
    assert_eq!(readers(|s| s.adaptive), ["rk45"]);
    assert!(info("nope").is_none());
}

#[test]
fn bad_settings_are_errors() {
    let bad = |name: &str, opts: Options| {
        build::<2>(name, &opts, &process_for(name))
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
    let mut sampler = build::<2>(
        "ddim",
        &Options {
            steps: 10,
            ..Options::default()
        },
        &schedule(),
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
    for name in ["ddpm", "ddpm-large"] {
        let mut sampler = build::<2>(
            name,
            &Options {
                steps: 50,
                ..Options::default()
            },
            &schedule(),
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
        schedule().as_schedule().unwrap(),
        4,
        DpmOptions {
            spacing: Spacing::Leading,
            ..DpmOptions::default()
        },
    )
    .unwrap();
    assert_eq!(dpm.timesteps(), &[800.0, 600.0, 400.0, 200.0]);
}
