//! The exact ε of a Gaussian mixture against a closed form: ε = −√(1−ᾱ)·∇log p_t, with the
//! gradient taken by central differences of the f64 log-density.
mod common;

use common::{max_abs_diff, tensor2, values};
use diffusion::{GaussianMixture, Level, SeededNoise};

fn unequal() -> GaussianMixture {
    GaussianMixture::new(
        vec![0.8, 0.2],
        vec![vec![-1.5, 0.3], vec![1.0, -0.5]],
        vec![0.3, 0.6],
    )
    .unwrap()
}

#[test]
fn eps_is_the_scaled_score() {
    let mut noise = SeededNoise::new(7);
    for mix in &[GaussianMixture::ring(8, 2.0, 0.1).unwrap(), unequal()] {
        for alpha_bar in [0.999, 0.5, 0.02] {
            let pts: Vec<f64> = noise
                .normals(64)
                .into_iter()
                .map(|v| 1.5 * v as f64)
                .collect();
            let got = values(mix.eps(tensor2(&pts, 2), alpha_bar));
            let h = 1e-5;
            let want: Vec<f64> = pts
                .chunks(2)
                .flat_map(|p| {
                    (0..2)
                        .map(move |d| {
                            let (mut a, mut b) = (p.to_vec(), p.to_vec());
                            a[d] += h;
                            b[d] -= h;
                            let grad = (mix.log_density(&a, alpha_bar)
                                - mix.log_density(&b, alpha_bar))
                                / (2.0 * h);
                            -(1.0 - alpha_bar).sqrt() * grad
                        })
                        .collect::<Vec<_>>()
                })
                .collect();
            let err = max_abs_diff(&got, &want);
            let scale = want.iter().fold(1.0f64, |m, v| m.max(v.abs()));
            assert!(
                err < 1e-4 * scale,
                "ᾱ={alpha_bar}: max err {err:e} (scale {scale})"
            );
        }
    }
}

#[test]
fn sampling_follows_the_weights_and_means() {
    let mix = unequal();
    let (points, labels) = mix.sample(20_000, &mut SeededNoise::new(1));
    let share = labels.iter().filter(|&&k| k == 0).count() as f64 / labels.len() as f64;
    assert!((share - 0.8).abs() < 0.01, "share of component 0: {share}");
    for k in 0..2 {
        let (mut sum, mut n) = ([0.0; 2], 0.0);
        for (p, &l) in points.chunks(2).zip(&labels) {
            if l == k {
                sum[0] += p[0] as f64;
                sum[1] += p[1] as f64;
                n += 1.0;
            }
        }
        for d in 0..2 {
            let m = sum[d] / n;
            assert!(
                (m - mix.means()[k][d]).abs() < 0.02,
                "component {k} dim {d}: mean {m}"
            );
        }
    }
}

#[test]
fn bad_mixtures_are_refused() {
    assert!(GaussianMixture::new(vec![], vec![], vec![]).is_err());
    assert!(GaussianMixture::new(vec![1.0], vec![vec![0.0]], vec![0.0]).is_err());
    assert!(
        GaussianMixture::new(
            vec![1.0, 1.0],
            vec![vec![0.0], vec![0.0, 1.0]],
            vec![1.0, 1.0]
        )
        .is_err()
    );
    assert!(GaussianMixture::new(vec![f64::NAN], vec![vec![0.0]], vec![1.0]).is_err());
}

#[test]
fn noise_is_standard_normal_and_reproducible() {
    let a = SeededNoise::new(3).normals(100_000);
    assert_eq!(a, SeededNoise::new(3).normals(100_000));
    let n = a.len() as f64;
    let mean = a.iter().map(|&v| v as f64).sum::<f64>() / n;
    let var = a.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
    assert!(
        mean.abs() < 0.01 && (var - 1.0).abs() < 0.02,
        "mean {mean}, var {var}"
    );
}

/// x̂₀ and ε from the closed form are consistent: x = α·x̂₀ + σ·ε̂ at any level, VP or VE.
#[test]
fn predictions_are_consistent_at_any_level() {
    let mix = unequal();
    let pts: Vec<f64> = SeededNoise::new(9)
        .normals(64)
        .into_iter()
        .map(|v| 2.0 * v as f64)
        .collect();
    for level in [
        Level::vp(0.9),
        Level::vp(0.01),
        Level::ve(0.5),
        Level::ve(20.0),
    ] {
        let x = tensor2(&pts, 2);
        let p = mix.predict(&x, level);
        let back = values(p.x0 * level.alpha + p.eps * level.sigma);
        let err = max_abs_diff(&back, &pts);
        assert!(err < 1e-4 * (1.0 + level.sigma), "{level:?}: {err:e}");
    }
}
