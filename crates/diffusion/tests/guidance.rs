//! Classifier-free guidance and dynamic thresholding against closed forms.
mod common;

use common::{max_abs_diff, tensor2, values};
use diffusion::guidance::Guided;
use diffusion::sampler::{Ddim, Sampler, X0Clip};
use diffusion::{
    BetaSchedule, DiscreteSchedule, GaussianMixture, Prediction, SeededNoise, Spacing,
};

/// For two Gaussians of equal width, (1+w)·s_c − w·s_u is exactly the score of
/// N((1+w)·μ_c − w·μ_u, s²·I): guided sampling must land there.
#[test]
fn guidance_of_equal_width_gaussians_shifts_the_mean() {
    let cond = GaussianMixture::new(vec![1.0], vec![vec![1.0, 0.0]], vec![0.5]).unwrap();
    let uncond = GaussianMixture::new(vec![1.0], vec![vec![-1.0, 0.0]], vec![0.5]).unwrap();
    let guided = Guided {
        cond: &cond,
        uncond: &uncond,
        scale: 2.0,
    };
    let schedule = DiscreteSchedule::new(BetaSchedule::LINEAR, 1000).unwrap();
    let mut ddim = Ddim::new(&schedule, 100, Spacing::Trailing, 0.0).unwrap();
    let n = 4000;
    let mut noise = SeededNoise::new(4);
    let mut x = tensor2(
        &noise
            .normals(n * 2)
            .into_iter()
            .map(f64::from)
            .collect::<Vec<_>>(),
        2,
    );
    while let Some(step) = ddim.step(&guided, &x, &mut noise).unwrap() {
        x = step.x;
    }
    let v = values(x);
    for (d, want) in [(0, 5.0), (1, 0.0)] {
        let col: Vec<f64> = v.iter().skip(d).step_by(2).cloned().collect();
        let mean = col.iter().sum::<f64>() / n as f64;
        let std = (col.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        println!("dim {d}: mean {mean:.4} (want {want}), std {std:.4} (want 0.5)");
        assert!(
            (mean - want).abs() < 0.05 && (std - 0.5).abs() < 0.025,
            "dim {d}: mean {mean}, std {std}"
        );
    }
}

#[test]
fn zero_scale_is_the_conditional_model() {
    let cond = GaussianMixture::ring(4, 1.0, 0.2).unwrap();
    let uncond = GaussianMixture::ring(3, 2.0, 0.3).unwrap();
    let x = tensor2(&[0.3, -0.2, 1.5, 0.7], 2);
    let level = diffusion::Level::vp(0.4);
    let g = diffusion::Denoiser::predict(
        &Guided {
            cond: &cond,
            uncond: &uncond,
            scale: 0.0,
        },
        &x,
        0.0,
        level,
    );
    let c = cond.predict(&x, level);
    assert!(max_abs_diff(&values(g.eps), &values(c.eps)) < 1e-7);
}

/// diffusers' `_threshold_sample`: s = torch.quantile(|x̂₀|, ratio) per sample, clamped to
/// [1, sample_max_value]; x̂₀ ← clamp(x̂₀, −s, s)/s. Worked by hand below.
#[test]
fn dynamic_thresholding_matches_the_hand_computation() {
    let x0 = tensor2(&[0.5, 3.0, -2.0, 0.1, 0.2, 0.3, -0.4, 0.5], 4);
    let p = Prediction {
        eps: x0.zeros_like(),
        x0,
    };
    let out = values(
        X0Clip::Dynamic {
            ratio: 0.75,
            max: 2.5,
        }
        .apply(p)
        .x0,
    );
    // row 1: |x| sorted 0.1 0.5 2 3, position 0.75·3 = 2.25 → s = 2.25
    let s = 2.25;
    let want = [0.5 / s, 1.0, -2.0 / s, 0.1 / s, 0.2, 0.3, -0.4, 0.5];
    assert!(max_abs_diff(&out, &want) < 1e-6, "{out:?}");
}

/// torch.clamp(s, min=1, max=m) with m < 1 gives m: everything is scaled up to ±1.
#[test]
fn dynamic_thresholding_with_a_small_max_follows_torch() {
    let x0 = tensor2(&[0.5, -0.8, 2.0, 0.1], 4);
    let p = Prediction {
        eps: x0.zeros_like(),
        x0,
    };
    let out = values(
        X0Clip::Dynamic {
            ratio: 0.995,
            max: 0.5,
        }
        .apply(p)
        .x0,
    );
    assert!(max_abs_diff(&out, &[1.0, -1.0, 1.0, 0.2]) < 1e-6, "{out:?}");
}
