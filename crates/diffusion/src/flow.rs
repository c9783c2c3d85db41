//! Flow matching on the linear path x_t = (1−t)·x₀ + t·ε (rectified flow, Liu et al. 2022;
//! conditional flow matching, Lipman et al. 2022; Tong et al. 2023 for the minibatch optimal-
//! transport coupling). A model learns the velocity u(x, t) = E[ε − x₀ | x_t = x]; sampling
//! integrates dx/dt = u from t = 1 (pure noise) to t = 0. The process itself is
//! [`crate::Process::Flow`]; here are its level, the closed-form velocity of a Gaussian mixture
//! (what tests measure learned fields and samplers against) and the minibatch coupling.

use crate::{GaussianMixture, Level};

/// (α, σ) = (1 − t, t) at time t ∈ [0, 1].
pub fn level(t: f64) -> Level {
    Level {
        alpha: 1.0 - t,
        sigma: t,
    }
}

/// The exact velocity of `mix` under the linear path at one point `x` and time `t`, in f64,
/// written out from the Gaussian algebra (independently of [`GaussianMixture::predict`]): given
/// component k, x_t ~ N((1−t)·μ_k, v_k·I) with v_k = (1−t)²·s_k² + t², and
/// E[x₀ | x, k] = μ_k + (1−t)·s_k²·(x − (1−t)·μ_k)/v_k, E[ε | x, k] = t·(x − (1−t)·μ_k)/v_k;
/// u = Σ_k r_k(x)·(E[ε | x, k] − E[x₀ | x, k]) with responsibilities r_k ∝ w_k·N(x; (1−t)·μ_k, v_k).
pub fn mixture_velocity(mix: &GaussianMixture, x: &[f64], t: f64) -> Vec<f64> {
    let a = 1.0 - t;
    let dim = mix.dim();
    let comps: Vec<(f64, Vec<f64>)> = (0..mix.weights().len())
        .map(|k| {
            let s2 = mix.stds()[k].powi(2);
            let v = a * a * s2 + t * t;
            let d: Vec<f64> = (0..dim).map(|i| x[i] - a * mix.means()[k][i]).collect();
            let sq: f64 = d.iter().map(|v| v * v).sum();
            let log_r = mix.weights()[k].ln() - 0.5 * dim as f64 * v.ln() - sq / (2.0 * v);
            let u = (0..dim)
                .map(|i| t * d[i] / v - (mix.means()[k][i] + a * s2 * d[i] / v))
                .collect();
            (log_r, u)
        })
        .collect();
    let max = comps.iter().map(|c| c.0).fold(f64::NEG_INFINITY, f64::max);
    let total: f64 = comps.iter().map(|c| (c.0 - max).exp()).sum();
    (0..dim)
        .map(|i| {
            comps
                .iter()
                .map(|(l, u)| (l - max).exp() / total * u[i])
                .sum()
        })
        .collect()
}

/// The minibatch optimal-transport coupling: the permutation `p` of the noise rows that minimises
/// Σ_i ‖x₀_i − ε_{p[i]}‖² (an exact assignment, Hungarian method with potentials, O(n³): 256 rows
/// take a few milliseconds). `x0` and `eps` are row-major `[n, dim]` of the same n.
pub fn ot_pairing(x0: &[f32], eps: &[f32], dim: usize) -> Vec<usize> {
    let n = x0.len() / dim;
    assert_eq!(eps.len(), n * dim, "as many noise rows as data rows");
    let cost = |i: usize, j: usize| -> f64 {
        (0..dim)
            .map(|d| (x0[i * dim + d] as f64 - eps[j * dim + d] as f64).powi(2))
            .sum()
    };
    // rows are data, columns are noise; 1-based with a virtual column 0
    let (mut u, mut v) = (vec![0.0f64; n + 1], vec![0.0f64; n + 1]);
    let (mut owner, mut way) = (vec![0usize; n + 1], vec![0usize; n + 1]);
    for row in 1..=n {
        owner[0] = row;
        let mut col = 0;
        let mut min = vec![f64::INFINITY; n + 1];
        let mut used = vec![false; n + 1];
        loop {
            used[col] = true;
            let (r, mut delta, mut next) = (owner[col], f64::INFINITY, 0);
            for j in 1..=n {
                if !used[j] {
                    let c = cost(r - 1, j - 1) - u[r] - v[j];
                    if c < min[j] {
                        min[j] = c;
                        way[j] = col;
                    }
                    if min[j] < delta {
                        delta = min[j];
                        next = j;
                    }
                }
            }
            for j in 0..=n {
                if used[j] {
                    u[owner[j]] += delta;
                    v[j] -= delta;
                } else {
                    min[j] -= delta;
                }
            }
            col = next;
            if owner[col] == 0 {
                break;
            }
        }
        loop {
            let prev = way[col];
            owner[col] = owner[prev];
            col = prev;
            if col == 0 {
                break;
            }
        }
    }
    let mut pairing = vec![0; n];
    for j in 1..=n {
        pairing[owner[j] - 1] = j - 1;
    }
    pairing
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The assignment is a permutation and no pair swap lowers its cost; on 6 points it is the
    /// best of all 720 permutations.
    #[test]
    fn ot_pairing_is_the_cheapest_permutation() {
        let mut noise = crate::SeededNoise::new(5);
        let (x, e) = (noise.normals(12), noise.normals(12));
        let p = ot_pairing(&x, &e, 2);
        let cost = |p: &[usize]| -> f64 {
            (0..6)
                .map(|i| {
                    (0..2)
                        .map(|d| (x[2 * i + d] - e[2 * p[i] + d]).powi(2) as f64)
                        .sum::<f64>()
                })
                .sum()
        };
        let mut best = f64::INFINITY;
        let mut perm: Vec<usize> = (0..6).collect();
        permutations(&mut perm, 0, &mut |q| best = best.min(cost(q)));
        assert!(
            (cost(&p) - best).abs() < 1e-9,
            "{} vs best {best}",
            cost(&p)
        );
        let mut sorted = p.clone();
        sorted.sort();
        assert_eq!(sorted, (0..6).collect::<Vec<_>>());
    }

    fn permutations(v: &mut Vec<usize>, k: usize, f: &mut impl FnMut(&[usize])) {
        if k == v.len() {
            return f(v);
        }
        for i in k..v.len() {
            v.swap(k, i);
            permutations(v, k + 1, f);
            v.swap(k, i);
        }
    }

    /// The path's ends: at t = 1, x is the noise itself (u = x − μ); at t = 0 it is the data
    /// point itself and the noise is independent of it (u = −x).
    #[test]
    fn single_gaussian_velocity_matches_its_limits() {
        let mix = GaussianMixture::new(vec![1.0], vec![vec![1.0, -2.0]], vec![0.5]).unwrap();
        // at t = 1, x = ε exactly: E[ε|x] = x and E[x₀|x] = μ
        let u = mixture_velocity(&mix, &[0.3, 0.4], 1.0);
        assert!((u[0] - (0.3 - 1.0)).abs() < 1e-12 && (u[1] - (0.4 + 2.0)).abs() < 1e-12);
        // at t = 0, x = x₀ exactly: E[x₀|x] = x and E[ε|x] = 0
        let u = mixture_velocity(&mix, &[0.3, 0.4], 0.0);
        assert!((u[0] + 0.3).abs() < 1e-12 && (u[1] + 0.4).abs() < 1e-12);
    }
}
