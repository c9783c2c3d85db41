//! The true density beside the learned one: the closed form for 8 Gaussians, a probability for
//! every data set that has one, and a total variation that tells a structured density from a blob.

use train::toy::{ToyConfig, ToySet, blob_density, total_variation};

/// A `cells`² grid over [−extent, extent]² and the area of one cell.
fn grid(cells: usize, extent: f64) -> (Vec<f32>, f64) {
    let h = 2.0 * extent / cells as f64;
    let mut g = Vec::new();
    for r in 0..cells {
        for c in 0..cells {
            g.extend([
                (-extent + (c as f64 + 0.5) * h) as f32,
                (-extent + (r as f64 + 0.5) * h) as f32,
            ]);
        }
    }
    (g, h * h)
}

fn set(name: &str) -> ToySet {
    ToySet::new(ToyConfig {
        dataset: name.into(),
        ..ToyConfig::default()
    })
    .unwrap()
}

#[test]
fn eight_gaussians_true_density_is_the_mixture() {
    let s = set("8gaussians");
    let (centres, sigma) = s.modes().unwrap();
    let pts = [0.0f32, 0.0, 1.2, 0.3, -0.9, -1.0, 1.5, 0.0];
    let got = s.true_density(&pts).unwrap();
    for (p, g) in pts.chunks(2).zip(got) {
        let want: f64 = centres
            .iter()
            .map(|c| {
                let d2 = (p[0] as f64 - c[0]).powi(2) + (p[1] as f64 - c[1]).powi(2);
                (-d2 / (2.0 * sigma * sigma)).exp() / (std::f64::consts::TAU * sigma * sigma)
            })
            .sum::<f64>()
            / 8.0;
        // the kernels are cut off at 4σ (e^(−8) of their peak), which the far modes feel
        assert!(
            (g - want).abs() <= 5e-3 * want.max(1e-3),
            "{p:?}: {g} vs {want}"
        );
    }
}

#[test]
fn true_densities_are_probabilities_and_far_from_a_blob() {
    let (g, area) = grid(160, 4.0);
    for name in [
        "8gaussians",
        "swiss-roll",
        "moons",
        "circles",
        "checkerboard",
        "spirals",
        "s-curve",
    ] {
        let s = set(name);
        let p = s.true_density(&g).unwrap();
        let mass: f64 = p.iter().sum::<f64>() * area;
        let tv = total_variation(&p, &blob_density(&g));
        println!("{name}: mass {mass:.4}, TV to a Gaussian blob {tv:.3}");
        assert!((mass - 1.0).abs() < 0.01, "{name}: mass {mass}");
        assert!(tv > 0.25, "{name}: TV {tv}");
        assert!(total_variation(&p, &p) < 1e-12);
    }
    assert!(set("pinwheel").true_density(&g).is_none());
    let drawn = ToySet::with_data(ToyConfig::default(), vec![0.5; 20]).unwrap();
    assert!(drawn.true_density(&g).is_none());
}

/// For points drawn by hand the bar compares two disjoint random halves of them (slices that
/// overlapped made it too strict): the drawn points themselves pass it, a blob over them fails.
#[test]
fn drawn_points_are_measured_against_disjoint_halves() {
    let mut rng = diffusion::SeededNoise::new(4);
    let ring: Vec<f32> = (0..300)
        .flat_map(|k| {
            let a = k as f32 * std::f32::consts::TAU / 300.0;
            [2.0 * a.cos(), 2.0 * a.sin()]
        })
        .collect();
    let set = ToySet::with_data(ToyConfig::default(), ring).unwrap();
    let itself = set.quality(&set.data.clone());
    assert!(itself.bar > 0.0 && itself.crisp(), "{itself:?}");
    let blob: Vec<f32> = rng.normals(600);
    let q = set.quality(&blob);
    assert!(!q.crisp() && q.ratio() > 3.0, "{q:?}");
}
