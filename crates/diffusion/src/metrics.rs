//! Sample-quality measures for 2-D (or any low-dimensional) point sets, on the host in f64.

/// The energy distance 2·E‖X−Y‖ − E‖X−X′‖ − E‖Y−Y′‖ (Székely & Rizzo 2013) between two row-major
/// point sets of dimension `dim` (V-statistic: all pairs, including each point with itself).
pub fn energy_distance(a: &[f32], b: &[f32], dim: usize) -> f64 {
    let mean = |p: &[f32], q: &[f32]| {
        pair_sum(p, q, dim, false, f64::sqrt) / ((p.len() / dim) * (q.len() / dim)) as f64
    };
    2.0 * mean(a, b) - mean(a, a) - mean(b, b)
}

/// Σ f(‖x − y‖²) over every x of `p` and y of `q` (row-major, `dim` coordinates), leaving out
/// the pairs of a row with itself when `skip_self` (for p = q).
fn pair_sum(p: &[f32], q: &[f32], dim: usize, skip_self: bool, f: impl Fn(f64) -> f64) -> f64 {
    let mut total = 0.0;
    for (i, x) in p.chunks_exact(dim).enumerate() {
        for (j, y) in q.chunks_exact(dim).enumerate() {
            if skip_self && i == j {
                continue;
            }
            let d2: f64 = x
                .iter()
                .zip(y)
                .map(|(u, v)| (*u as f64 - *v as f64).powi(2))
                .sum();
            total += f(d2);
        }
    }
    total
}

/// The share of points nearest to each of `centers`.
pub fn nearest_shares(points: &[f32], centers: &[Vec<f64>]) -> Vec<f64> {
    let dim = centers[0].len();
    let mut count = vec![0usize; centers.len()];
    for p in points.chunks_exact(dim) {
        let d = |c: &Vec<f64>| {
            c.iter()
                .zip(p)
                .map(|(u, v)| (u - *v as f64).powi(2))
                .sum::<f64>()
        };
        let k = (0..centers.len())
            .min_by(|&i, &j| d(&centers[i]).total_cmp(&d(&centers[j])))
            .unwrap_or(0);
        count[k] += 1;
    }
    let n = (points.len() / dim).max(1) as f64;
    count.into_iter().map(|c| c as f64 / n).collect()
}

/// How well samples cover a mixture's modes: the standard measure of 8-Gaussians experiments
/// (Metz et al. 2017; Srivastava et al. 2017).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModeCoverage {
    /// Share of samples within 3σ of their nearest mode ("high-quality" samples).
    pub within: f64,
    /// Modes that hold at least a quarter of their fair share (n / modes / 4) of those samples.
    pub covered: usize,
    pub modes: usize,
}

/// [`ModeCoverage`] of `points` (row-major `[n, dim]`) around `centres`, each a Gaussian of
/// standard deviation `sigma`.
pub fn mode_coverage(points: &[f32], centres: &[Vec<f64>], sigma: f64) -> ModeCoverage {
    let dim = centres.first().map_or(1, Vec::len);
    let n = points.len() / dim;
    let mut near = vec![0usize; centres.len()];
    let limit = (3.0 * sigma).powi(2);
    for p in points.chunks_exact(dim) {
        let d2 =
            |c: &Vec<f64>| -> f64 { c.iter().zip(p).map(|(u, v)| (u - *v as f64).powi(2)).sum() };
        if let Some((k, d)) = centres
            .iter()
            .map(d2)
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            && d <= limit
        {
            near[k] += 1;
        }
    }
    let fair = n as f64 / centres.len().max(1) as f64 / 4.0;
    ModeCoverage {
        within: near.iter().sum::<usize>() as f64 / n.max(1) as f64,
        covered: near.iter().filter(|&&c| c > 0 && c as f64 >= fair).count(),
        modes: centres.len(),
    }
}

/// The unbiased (U-statistic) energy distance: [`energy_distance`] without each point's zero
/// distance to itself in the within-set means, so two samples of one distribution score 0 on
/// average at any sample size (the V-statistic is biased up by about E‖X−X′‖·(1/n + 1/m)).
pub fn energy_distance_unbiased(a: &[f32], b: &[f32], dim: usize) -> f64 {
    let (n, m) = ((a.len() / dim) as f64, (b.len() / dim) as f64);
    let sum = |p, q, skip| pair_sum(p, q, dim, skip, f64::sqrt);
    2.0 * sum(a, b, false) / (n * m)
        - sum(a, a, true) / (n * (n - 1.0))
        - sum(b, b, true) / (m * (m - 1.0))
}

/// The unbiased squared maximum mean discrepancy (Gretton et al. 2012) with the Gaussian kernel
/// k(x, y) = exp(−‖x − y‖²/(2h²)) of bandwidth `h`: a two-sample distance that, with h at the
/// scale of a data set's fine structure, sees blur that the energy distance does not.
pub fn mmd2(a: &[f32], b: &[f32], dim: usize, h: f64) -> f64 {
    let c = -0.5 / (h * h);
    let (n, m) = ((a.len() / dim) as f64, (b.len() / dim) as f64);
    let sum = |p, q, skip| pair_sum(p, q, dim, skip, |d2: f64| (c * d2).exp());
    sum(a, a, true) / (n * (n - 1.0)) + sum(b, b, true) / (m * (m - 1.0))
        - 2.0 * sum(a, b, false) / (n * m)
}
