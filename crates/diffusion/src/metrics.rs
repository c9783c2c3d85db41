//! Sample-quality measures for 2-D (or any low-dimensional) point sets, on the host in f64.

/// The energy distance 2·E‖X−Y‖ − E‖X−X′‖ − E‖Y−Y′‖ (Székely & Rizzo 2013) between two row-major
/// point sets of dimension `dim` (V-statistic: all pairs, including each point with itself).
pub fn energy_distance(a: &[f32], b: &[f32], dim: usize) -> f64 {
    let mean_dist = |p: &[f32], q: &[f32]| -> f64 {
        let mut total = 0.0;
        for x in p.chunks_exact(dim) {
            for y in q.chunks_exact(dim) {
                total += x
                    .iter()
                    .zip(y)
                    .map(|(u, v)| (*u as f64 - *v as f64).powi(2))
                    .sum::<f64>()
                    .sqrt();
            }
        }
        total / ((p.len() / dim) * (q.len() / dim)) as f64
    };
    2.0 * mean_dist(a, b) - mean_dist(a, a) - mean_dist(b, b)
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
