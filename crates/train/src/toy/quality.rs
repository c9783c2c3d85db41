//! How good a toy model's samples are, in figures a person would agree with: for data sets that
//! are Gaussian mixtures, the share of samples within 3σ of a mode and the modes covered; for
//! every data set, a two-sample distance to fresh data against a calibrated bar. The distance is
//! the unbiased MMD² with a Gaussian kernel of bandwidth [`BANDWIDTH`] (a tenth of the data's
//! standard deviation: the energy distance cannot see blur at that scale with 1,000 points, see
//! docs/toy2d.md); the bar is the MMD² that fresh data reaches once blurred by [`BLUR`], averaged
//! over [`BAR_DRAWS`] draws at the same sample size. Samples closer to the data than that blur
//! pass; a diffuse cloud does not.

use std::sync::Mutex;

use diffusion::SeededNoise;
use diffusion::metrics::{ModeCoverage, mmd2, mode_coverage};
use serde::{Deserialize, Serialize};

use super::ToySet;

/// The blur of the distance's bar, in units of the normalised data's standard deviation.
pub const BLUR: f64 = 0.1;
/// The kernel bandwidth of the distance, in the same units.
pub const BANDWIDTH: f64 = 0.1;
/// Blurred draws the bar is averaged over.
pub const BAR_DRAWS: u64 = 4;
/// Share of samples within 3σ of a mode that counts as crisp, with every mode covered.
pub const CRISP_WITHIN: f64 = 0.9;
/// Most points the distance compares (it is quadratic in them).
pub const MAX_POINTS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Quality {
    /// Samples compared (at most [`MAX_POINTS`]).
    pub n: usize,
    /// For Gaussian-mixture data sets.
    pub modes: Option<ModeCoverage>,
    /// MMD² of the samples to fresh data (or to the training set, for drawn points).
    pub distance: f64,
    /// The MMD² of fresh data blurred by [`BLUR`] to fresh data, at the same n.
    pub bar: f64,
}

impl Quality {
    /// Every mode covered with ≥ 90% of samples within 3σ, where there are modes; otherwise the
    /// distance at or under its bar.
    pub fn crisp(&self) -> bool {
        match self.modes {
            Some(m) => m.covered == m.modes && m.within >= CRISP_WITHIN,
            None => self.ratio() <= 1.0,
        }
    }

    /// The distance over its bar (≤ 1: no blurrier than the data blurred by [`BLUR`]).
    pub fn ratio(&self) -> f64 {
        self.distance / self.bar.max(1e-12)
    }

    /// A line for the page: "94% within 3σ of a mode · 8/8 modes · MMD 0.8× the blur bar".
    pub fn describe(&self) -> String {
        let ratio = format!("MMD {:.1}× the blur bar", self.ratio());
        match self.modes {
            Some(m) => format!(
                "{:.0}% within 3σ of a mode · {}/{} modes · {ratio}",
                100.0 * m.within,
                m.covered,
                m.modes
            ),
            None => ratio,
        }
    }
}

/// The stream fresh comparison data is drawn from: fixed, so a figure is the same every time.
fn quality_noise(seed: u64) -> SeededNoise {
    SeededNoise::new(seed ^ 0x9a11_7e57)
}

impl ToySet {
    /// `n` reference points: fresh draws of the data set, or for drawn points the training set.
    fn reference(&self, n: usize, rng: &mut SeededNoise) -> Vec<f32> {
        self.fresh(n, rng).unwrap_or_else(|| self.data.clone())
    }

    /// Two independent sets of `n` points for the bar: two fresh draws, or for drawn points two
    /// disjoint random halves of the training set (at most `n` points each).
    fn halves(&self, n: usize, rng: &mut SeededNoise) -> (Vec<f32>, Vec<f32>) {
        if let (Some(a), Some(b)) = (self.fresh(n, rng), self.fresh(n, rng)) {
            return (a, b);
        }
        let total = self.data.len() / 2;
        let m = n.min(total / 2).max(1);
        let keys = rng.uniforms(total);
        let mut order: Vec<usize> = (0..total).collect();
        order.sort_by(|&i, &j| keys[i].total_cmp(&keys[j]));
        let pick = |idx: &[usize]| -> Vec<f32> {
            idx.iter()
                .flat_map(|&i| [self.data[2 * i], self.data[2 * i + 1]])
                .collect()
        };
        (pick(&order[..m]), pick(&order[m..(2 * m).min(total)]))
    }

    /// The bar of [`Quality`] for `n` samples: computed once per set and n (the last n is kept).
    fn bar(&self, n: usize, cache: &Mutex<Option<(usize, f64)>>) -> f64 {
        if let Ok(guard) = cache.lock()
            && let Some((m, bar)) = *guard
            && m == n
        {
            return bar;
        }
        let mut rng = quality_noise(self.config.seed ^ 0xba5);
        let total: f64 = (0..BAR_DRAWS as usize)
            .map(|_| {
                let (a, b) = self.halves(n, &mut rng);
                let z = rng.normals(b.len());
                let blurred: Vec<f32> = b.iter().zip(z).map(|(x, z)| x + BLUR as f32 * z).collect();
                mmd2(&blurred, &a, 2, BANDWIDTH)
            })
            .sum();
        let bar = total / BAR_DRAWS as f64;
        if let Ok(mut guard) = cache.lock() {
            *guard = Some((n, bar));
        }
        bar
    }

    /// The quality of `samples` (row-major `[n, 2]`, this set's coordinates).
    pub fn quality(&self, samples: &[f32]) -> Quality {
        let n = (samples.len() / 2).min(MAX_POINTS);
        let samples = &samples[..2 * n];
        let reference = self.reference(n, &mut quality_noise(self.config.seed));
        Quality {
            n,
            modes: self
                .modes()
                .map(|(centres, sigma)| mode_coverage(samples, &centres, sigma)),
            distance: mmd2(samples, &reference, 2, BANDWIDTH),
            bar: self.bar(n, &self.bar_cache),
        }
    }
}
