//! The data set's own density, where it is known, and how far a learned density is from it: what
//! the density view puts beside the model's and scores it by.
//!
//! Every generator but pinwheel draws a noise-free point and adds isotropic Gaussian jitter, so
//! its density is the mean of Gaussians around its noise-free points
//! ([`data::toy::density_kernel`]); evaluated here at any points of the set's normalised
//! coordinates, per unit area there (the unit the learned log-density is in).

use std::collections::HashMap;

use super::ToySet;

/// Noise-free points the true density averages over (spread evenly over the generator's
/// parameters, so the average has no sampling ripple at this count).
pub const KERNEL_POINTS: usize = 20_000;

/// Kernels are cut off beyond this many standard deviations (e^(−8) of the peak).
const CUTOFF: f64 = 4.0;

impl ToySet {
    /// The data set's exact density at `points` (normalised coordinates, x and y interleaved),
    /// per unit area of those coordinates. None for points drawn by hand, for pinwheel (its
    /// jitter is not isotropic) and for noise 0 (the data lie on a curve).
    pub fn true_density(&self, points: &[f32]) -> Option<Vec<f64>> {
        let [first, second] = self.generator?;
        let c = &self.config;
        let (raw, s) = data::toy::density_kernel(&c.dataset, c.noise, KERNEL_POINTS)?;
        let centres = second.apply(&first.apply(&raw));
        let s = s / (first.scale * second.scale);
        // identical centres (8 Gaussians has eight) count once, with their weight
        let mut merged: HashMap<(u32, u32), f64> = HashMap::new();
        for p in centres.chunks_exact(2) {
            *merged.entry((p[0].to_bits(), p[1].to_bits())).or_default() += 1.0;
        }
        // buckets of side CUTOFF·s: a point's kernels all lie in its bucket and the 8 around it
        let side = CUTOFF * s;
        let key = |x: f64, y: f64| ((x / side).floor() as i64, (y / side).floor() as i64);
        // bucket → (x, y, weight) of the centres in it
        let mut buckets: HashMap<(i64, i64), Vec<[f64; 3]>> = HashMap::new();
        for (&(x, y), &w) in &merged {
            let (x, y) = (f32::from_bits(x) as f64, f32::from_bits(y) as f64);
            buckets.entry(key(x, y)).or_default().push([x, y, w]);
        }
        let norm = 1.0 / (KERNEL_POINTS as f64 * std::f64::consts::TAU * s * s);
        let cut2 = side * side;
        let density = points
            .chunks_exact(2)
            .map(|p| {
                let (x, y) = (p[0] as f64, p[1] as f64);
                let (bx, by) = key(x, y);
                let mut sum = 0.0;
                for dx in -1..=1 {
                    for dy in -1..=1 {
                        for &[cx, cy, w] in buckets.get(&(bx + dx, by + dy)).into_iter().flatten() {
                            let d2 = (x - cx).powi(2) + (y - cy).powi(2);
                            if d2 < cut2 {
                                sum += w * (-d2 / (2.0 * s * s)).exp();
                            }
                        }
                    }
                }
                sum * norm
            })
            .collect();
        Some(density)
    }
}

/// The standard normal density at `points`: the data's own mean and spread with no structure
/// (a diffuse blob), the baseline a learned density's distance is read against.
pub fn blob_density(points: &[f32]) -> Vec<f64> {
    points
        .chunks_exact(2)
        .map(|p| {
            let r2 = (p[0] as f64).powi(2) + (p[1] as f64).powi(2);
            (-0.5 * r2).exp() / std::f64::consts::TAU
        })
        .collect()
}

/// The total variation distance between two densities given at the cells of one grid of equal
/// cells, each first normalised to a probability over the grid: ½ Σ |p − q|, 0 when they agree,
/// 1 when they do not overlap. Values that are not finite or negative count as 0.
pub fn total_variation(p: &[f64], q: &[f64]) -> f64 {
    let clean = |v: &f64| if v.is_finite() && *v > 0.0 { *v } else { 0.0 };
    let (sp, sq): (f64, f64) = (p.iter().map(clean).sum(), q.iter().map(clean).sum());
    if sp <= 0.0 || sq <= 0.0 {
        return 1.0;
    }
    0.5 * p
        .iter()
        .zip(q)
        .map(|(a, b)| (clean(a) / sp - clean(b) / sq).abs())
        .sum::<f64>()
}
