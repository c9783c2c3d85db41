mod common;

use common::{fixture, floats, tensor2, values};
use diffusion::sampler::{Ddim, Sampler};
use diffusion::{BetaSchedule, DiscreteSchedule, GaussianMixture, SeededNoise, Spacing};

#[test]
fn trailing_spacing_matches_diffusers() {
    let case = fixture("ddim_eta1_20_linear_trailing.json");
    let schedule = DiscreteSchedule::new(BetaSchedule::LINEAR, 1000).unwrap();
    let ddim = Ddim::new(&schedule, 20, Spacing::Trailing, 1.0).unwrap();
    let want = floats(&case["timesteps"]);
    assert_eq!(ddim.timesteps(), want);
}

/// 2,000 points driven by the mixture's exact ε land in the right modes with the right weights.
#[test]
fn recovers_an_eight_mode_ring() {
    let mix = GaussianMixture::ring(8, 2.0, 0.1).unwrap();
    let schedule = DiscreteSchedule::new(BetaSchedule::Cosine, 1000).unwrap();
    let mut ddim = Ddim::new(&schedule, 50, Spacing::Trailing, 0.0).unwrap();
    let n = 2000;
    let mut noise = SeededNoise::new(11);
    let start: Vec<f64> = noise.normals(n * 2).into_iter().map(f64::from).collect();
    let mut x = tensor2(&start, 2);
    while let Some(step) = ddim.step(&mix, &x, &mut noise).unwrap() {
        x = step.x;
    }
    let points = values(x);
    let mut count = [0usize; 8];
    let mut sum = [[0.0f64; 2]; 8];
    for p in points.chunks(2) {
        let k = (0..8)
            .min_by(|&a, &b| {
                let d = |k: usize| {
                    (p[0] - mix.means()[k][0]).powi(2) + (p[1] - mix.means()[k][1]).powi(2)
                };
                d(a).total_cmp(&d(b))
            })
            .unwrap();
        count[k] += 1;
        sum[k][0] += p[0];
        sum[k][1] += p[1];
    }
    for k in 0..8 {
        let share = count[k] as f64 / n as f64;
        assert!((share - 0.125).abs() < 0.03, "mode {k}: share {share}");
        for d in 0..2 {
            let m = sum[k][d] / count[k] as f64;
            assert!(
                (m - mix.means()[k][d]).abs() < 0.03,
                "mode {k} dim {d}: mean {m}"
            );
        }
    }
}
