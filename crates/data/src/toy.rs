//! The 2-D toy distributions of the in-tab trainer. Generators draw no random numbers themselves:
//! the caller passes uniforms and standard normals (from the core's seeded source), so the same
//! seed gives the same points natively and in the browser. Every data set is normalised the same
//! way: centred and scaled to unit standard deviation per coordinate pooled over both axes.

use std::f64::consts::{PI, TAU};

/// The generators, by name.
pub const TOYS: [&str; 8] = [
    "swiss-roll",
    "s-curve",
    "moons",
    "8gaussians",
    "circles",
    "checkerboard",
    "pinwheel",
    "spirals",
];

/// Uniforms and normals a generator needs per point.
pub const DRAWS_PER_POINT: (usize, usize) = (3, 2);

/// `n` points (x, y interleaved) of toy `name` with Gaussian jitter of std `noise` (in the data's
/// own units before normalisation, relative to a size-1 figure), from `u` (≥ 3n uniforms in [0, 1))
/// and `z` (≥ 2n standard normals), normalised ([`normalise`]).
pub fn toy(name: &str, n: usize, noise: f64, u: &[f32], z: &[f32]) -> Result<Vec<f32>, String> {
    let mut pts = toy_raw(name, n, noise, u, z)?;
    normalise(&mut pts);
    Ok(pts)
}

/// The modes of a data set that is a mixture of isotropic Gaussians (8gaussians), in the
/// generator's own units (before normalisation): their centres and their common standard deviation.
pub fn modes(name: &str, noise: f64) -> Option<(Vec<[f64; 2]>, f64)> {
    (name == "8gaussians").then(|| {
        let centres = (0..8)
            .map(|k| {
                let a = TAU * k as f64 / 8.0;
                [2.0 * a.cos(), 2.0 * a.sin()]
            })
            .collect();
        (centres, 0.2 + noise)
    })
}

/// [`toy`] before normalisation: the points in the generator's own units.
pub fn toy_raw(name: &str, n: usize, noise: f64, u: &[f32], z: &[f32]) -> Result<Vec<f32>, String> {
    if u.len() < 3 * n || z.len() < 2 * n {
        return Err(format!(
            "toy {name}: need {} uniforms and {} normals for {n} points",
            3 * n,
            2 * n
        ));
    }
    let jitter = jitter(name, noise);
    let mut pts = Vec::with_capacity(2 * n);
    for i in 0..n {
        let u = [u[3 * i] as f64, u[3 * i + 1] as f64, u[3 * i + 2] as f64];
        let (z0, z1) = (z[2 * i] as f64, z[2 * i + 1] as f64);
        let (x, y) = base(name, u, z0)?;
        let (jx, jy) = if name == "pinwheel" {
            (z1 * noise, z1 * noise * 0.5)
        } else {
            (z0 * jitter, z1 * jitter)
        };
        pts.push((x + jx) as f32);
        pts.push((y + jy) as f32);
    }
    Ok(pts)
}

/// The standard deviation of the isotropic Gaussian jitter toy `name` adds to its noise-free
/// points (pinwheel's jitter is not isotropic: see [`density_kernel`]).
fn jitter(name: &str, noise: f64) -> f64 {
    if name == "8gaussians" {
        0.2 + noise
    } else {
        noise
    }
}

/// What the exact density of toy `name` is made of: `n` noise-free points of it (from
/// evenly spread parameters, not random ones, so their average is smooth) and the standard
/// deviation of the isotropic Gaussian jitter around each. The density is then the mean of those
/// Gaussians. None where it is not such a mixture (pinwheel, whose radius draws a normal too)
/// or where there is no jitter (noise 0: the data lie on a curve).
pub fn density_kernel(name: &str, noise: f64, n: usize) -> Option<(Vec<f32>, f64)> {
    let s = jitter(name, noise);
    if name == "pinwheel" || s <= 0.0 || n == 0 {
        return None;
    }
    // a rank-1 lattice: u₀ evenly spaced, u₁ and u₂ by the golden ratios of the plane
    let (g1, g2) = (0.754_877_666_246_692_7, 0.569_840_290_998_053_3);
    let mut pts = Vec::with_capacity(2 * n);
    for i in 0..n {
        let u = [
            (i as f64 + 0.5) / n as f64,
            (0.5 + i as f64 * g1).fract(),
            (0.5 + i as f64 * g2).fract(),
        ];
        let (x, y) = base(name, u, 0.0).ok()?;
        pts.extend([x as f32, y as f32]);
    }
    Some((pts, s))
}

/// One noise-free point of toy `name` from three uniforms (and, for pinwheel, a normal).
fn base(name: &str, [u0, u1, u2]: [f64; 3], z0: f64) -> Result<(f64, f64), String> {
    Ok(match name {
        // The seeds' swiss roll (sklearn's make_swiss_roll, x–z plane), scaled to ~unit size.
        "swiss-roll" => {
            let t = 1.5 * PI * (1.0 + 2.0 * u0);
            (t * t.cos() / 10.0, t * t.sin() / 10.0)
        }
        // sklearn's make_s_curve, x–z plane.
        "s-curve" => {
            let t = 3.0 * PI * (u0 - 0.5);
            (t.sin(), t.signum() * (t.cos() - 1.0))
        }
        "moons" => {
            let a = PI * u0;
            if u1 < 0.5 {
                (a.cos(), a.sin())
            } else {
                (1.0 - a.cos(), 0.5 - a.sin())
            }
        }
        "8gaussians" => {
            let k = ((u0 * 8.0) as usize).min(7) as f64;
            let a = TAU * k / 8.0;
            (2.0 * a.cos(), 2.0 * a.sin())
        }
        "circles" => {
            let r = if u1 < 0.5 { 1.0 } else { 0.5 };
            let a = TAU * u0;
            (r * a.cos(), r * a.sin())
        }
        // 4×4 board, the 8 dark squares.
        "checkerboard" => {
            let cell = ((u0 * 8.0) as usize).min(7);
            let (row, col) = (cell / 2, 2 * (cell % 2) + (cell / 2) % 2);
            (col as f64 + u1 - 2.0, row as f64 + u2 - 2.0)
        }
        // 5 arms that bend with the radius.
        "pinwheel" => {
            let k = ((u0 * 5.0) as usize).min(4) as f64;
            let r = 0.3 + z0.abs() * 0.3 + u1;
            let a = TAU * k / 5.0 + 0.8 * r;
            (r * a.cos(), r * a.sin())
        }
        "spirals" => {
            let t = 3.0 * PI * u0.sqrt();
            let s = if u1 < 0.5 { 1.0 } else { -1.0 };
            (s * t * t.cos() / 6.0, s * t * t.sin() / 6.0)
        }
        other => {
            return Err(format!(
                "unknown data set '{other}' (one of: {})",
                TOYS.join(", ")
            ));
        }
    })
}

/// How [`normalise`] moved points: normalised = (original − centre) / scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normalisation {
    pub centre: [f64; 2],
    pub scale: f64,
}

impl Normalisation {
    pub const IDENTITY: Self = Self {
        centre: [0.0, 0.0],
        scale: 1.0,
    };

    /// Maps normalised points back to the original coordinates.
    pub fn undo(&self, pts: &[f32]) -> Vec<f32> {
        pts.chunks_exact(2)
            .flat_map(|p| {
                [
                    (p[0] as f64 * self.scale + self.centre[0]) as f32,
                    (p[1] as f64 * self.scale + self.centre[1]) as f32,
                ]
            })
            .collect()
    }

    /// Maps original points to normalised ones.
    pub fn apply(&self, pts: &[f32]) -> Vec<f32> {
        pts.chunks_exact(2)
            .flat_map(|p| {
                [
                    ((p[0] as f64 - self.centre[0]) / self.scale) as f32,
                    ((p[1] as f64 - self.centre[1]) / self.scale) as f32,
                ]
            })
            .collect()
    }
}

/// Centres the points and scales them to unit pooled standard deviation (in place); returns the
/// map it applied.
pub fn normalise(pts: &mut [f32]) -> Normalisation {
    let n = pts.len() / 2;
    if n == 0 {
        return Normalisation::IDENTITY;
    }
    let (mut mx, mut my) = (0.0f64, 0.0f64);
    for p in pts.chunks_exact(2) {
        mx += p[0] as f64;
        my += p[1] as f64;
    }
    mx /= n as f64;
    my /= n as f64;
    let var = pts
        .chunks_exact(2)
        .map(|p| (p[0] as f64 - mx).powi(2) + (p[1] as f64 - my).powi(2))
        .sum::<f64>()
        / (2 * n) as f64;
    let s = var.sqrt().max(1e-12);
    for p in pts.chunks_exact_mut(2) {
        p[0] = ((p[0] as f64 - mx) / s) as f32;
        p[1] = ((p[1] as f64 - my) / s) as f32;
    }
    Normalisation {
        centre: [mx, my],
        scale: s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draws(n: usize) -> (Vec<f32>, Vec<f32>) {
        // A fixed low-discrepancy stand-in for random draws.
        let u = (0..3 * n)
            .map(|i| ((i as f64 * 0.618_033_988_7) % 1.0) as f32)
            .collect();
        let z = (0..2 * n)
            .map(|i| (((i as f64 * 0.414_213_56) % 1.0) * 2.0 - 1.0) as f32)
            .collect();
        (u, z)
    }

    #[test]
    fn every_toy_is_normalised_and_finite() {
        let n = 2000;
        let (u, z) = draws(n);
        for name in TOYS {
            let p = toy(name, n, 0.05, &u, &z).unwrap();
            assert_eq!(p.len(), 2 * n);
            assert!(p.iter().all(|v| v.is_finite()), "{name}");
            let mean: f64 = p.iter().map(|&v| v as f64).sum::<f64>() / p.len() as f64;
            let var: f64 = p.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / p.len() as f64;
            assert!(
                mean.abs() < 1e-4 && (var - 1.0).abs() < 1e-3,
                "{name}: mean {mean}, var {var}"
            );
        }
        assert!(
            toy("nope", 1, 0.0, &u, &z)
                .unwrap_err()
                .contains("8gaussians")
        );
        assert!(toy("moons", n + 1, 0.0, &u, &z).is_err());
    }

    #[test]
    fn eight_gaussians_sit_on_a_circle() {
        let n = 800;
        let (u, z) = draws(n);
        let p = toy("8gaussians", n, 0.0, &u, &z).unwrap();
        // Means at radius 2 with std 0.2 → after normalisation radius ≈ 2/√(2+0.04)/… ≈ 1.4.
        let r: f64 = p
            .chunks_exact(2)
            .map(|q| ((q[0] as f64).powi(2) + (q[1] as f64).powi(2)).sqrt())
            .sum::<f64>()
            / n as f64;
        assert!(
            (r - 2.0 / (2.0f64 + 0.04).sqrt() * 1.0).abs() < 0.15,
            "mean radius {r}"
        );
    }
}
