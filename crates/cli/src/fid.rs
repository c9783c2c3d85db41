//! Fréchet distance between Gaussian fits of two feature sets (Heusel et al. 2017):
//! ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2}), in f64, with a Jacobi eigen solver for
//! the symmetric square roots.

/// Mean and covariance (divided by n − 1) of `n` rows of `d` features.
pub fn moments(x: &[f32], n: usize, d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut mu = vec![0.0; d];
    for r in 0..n {
        for j in 0..d {
            mu[j] += x[r * d + j] as f64;
        }
    }
    mu.iter_mut().for_each(|m| *m /= n as f64);
    let mut cov = vec![0.0; d * d];
    let mut row = vec![0.0; d];
    for r in 0..n {
        for j in 0..d {
            row[j] = x[r * d + j] as f64 - mu[j];
        }
        for i in 0..d {
            let ri = row[i];
            for j in i..d {
                cov[i * d + j] += ri * row[j];
            }
        }
    }
    for i in 0..d {
        for j in i..d {
            let v = cov[i * d + j] / (n as f64 - 1.0);
            cov[i * d + j] = v;
            cov[j * d + i] = v;
        }
    }
    (mu, cov)
}

/// Eigenvalues and eigenvectors (columns of the returned matrix) of a symmetric matrix, by
/// cyclic Jacobi rotations.
pub fn symmetric_eigen(a: &[f64], d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut a = a.to_vec();
    let mut v = vec![0.0; d * d];
    for i in 0..d {
        v[i * d + i] = 1.0;
    }
    for _sweep in 0..100 {
        let off: f64 = (0..d)
            .flat_map(|i| (0..d).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * d + j].powi(2))
            .sum();
        let diag: f64 = (0..d).map(|i| a[i * d + i].powi(2)).sum();
        if off <= 1e-22 * diag.max(1e-300) {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                let apq = a[p * d + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q * d + q] - a[p * d + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..d {
                    let (akp, akq) = (a[k * d + p], a[k * d + q]);
                    a[k * d + p] = c * akp - s * akq;
                    a[k * d + q] = s * akp + c * akq;
                }
                for k in 0..d {
                    let (apk, aqk) = (a[p * d + k], a[q * d + k]);
                    a[p * d + k] = c * apk - s * aqk;
                    a[q * d + k] = s * apk + c * aqk;
                }
                for k in 0..d {
                    let (vkp, vkq) = (v[k * d + p], v[k * d + q]);
                    v[k * d + p] = c * vkp - s * vkq;
                    v[k * d + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..d).map(|i| a[i * d + i]).collect(), v)
}

fn matmul(a: &[f64], b: &[f64], d: usize) -> Vec<f64> {
    let mut c = vec![0.0; d * d];
    for i in 0..d {
        for k in 0..d {
            let aik = a[i * d + k];
            for j in 0..d {
                c[i * d + j] += aik * b[k * d + j];
            }
        }
    }
    c
}

/// Fréchet distance between two Gaussians given by their moments.
pub fn frechet(mu1: &[f64], s1: &[f64], mu2: &[f64], s2: &[f64], d: usize) -> f64 {
    let (w, v) = symmetric_eigen(s1, d);
    // √Σ₁ = V diag(√w) Vᵀ.
    let mut root = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..d {
            root[i * d + j] = (0..d)
                .map(|k| v[i * d + k] * w[k].max(0.0).sqrt() * v[j * d + k])
                .sum();
        }
    }
    let m = matmul(&matmul(&root, s2, d), &root, d);
    let sym: Vec<f64> = (0..d * d)
        .map(|ij| 0.5 * (m[ij] + m[(ij % d) * d + ij / d]))
        .collect();
    let (mw, _) = symmetric_eigen(&sym, d);
    let tr_sqrt: f64 = mw.iter().map(|&x| x.max(0.0).sqrt()).sum();
    let dmu: f64 = mu1.iter().zip(mu2).map(|(a, b)| (a - b).powi(2)).sum();
    let tr: f64 = (0..d).map(|i| s1[i * d + i] + s2[i * d + i]).sum();
    dmu + tr - 2.0 * tr_sqrt
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frechet_matches_the_closed_form_for_diagonal_gaussians() {
        // Diagonal: FD = Σ (μ₁−μ₂)² + Σ (√a − √b)².
        let d = 3;
        let s1 = vec![4.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 9.0];
        let s2 = vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 4.0];
        let fd = frechet(&[0.0, 1.0, 0.0], &s1, &[0.0, 0.0, 2.0], &s2, d);
        let want = 1.0 + 4.0 + (2.0f64 - 1.0).powi(2) + 0.0 + (3.0f64 - 2.0).powi(2);
        assert!((fd - want).abs() < 1e-9, "{fd} vs {want}");
    }

    #[test]
    fn frechet_of_a_rotated_copy_is_zero_and_eigen_reconstructs() {
        let d = 2;
        let s = vec![2.0, 0.8, 0.8, 1.0];
        assert!(frechet(&[1.0, 2.0], &s, &[1.0, 2.0], &s, d).abs() < 1e-9);
        let (w, v) = symmetric_eigen(&s, d);
        for i in 0..d {
            for j in 0..d {
                let r: f64 = (0..d).map(|k| v[i * d + k] * w[k] * v[j * d + k]).sum();
                assert!((r - s[i * d + j]).abs() < 1e-12);
            }
        }
    }
}
