//! The density view's grid as the page keeps it: the learned log-density arrives from the viewer
//! block by block, coarse to fine (every 4th cell of every 4th row first, then every 2nd, then
//! the rest), so a whole picture shows after the first 1/16 of the work and sharpens; beside it
//! the data set's true density where it is known, and the total variation between the two.

use train::toy::{blob_density, total_variation};

use super::results::grid;

/// RK4 steps of the density's ODE solve.
pub const DENSITY_STEPS: usize = 16;

/// The cells of a `cells`×`cells` grid (row-major indices) in coarse-to-fine order: those on
/// every 4th row and column, then those on every 2nd, then the rest.
pub fn coarse_to_fine(cells: usize) -> Vec<usize> {
    let level = |r: usize, c: usize| {
        if r.is_multiple_of(4) && c.is_multiple_of(4) {
            0
        } else if r.is_multiple_of(2) && c.is_multiple_of(2) {
            1
        } else {
            2
        }
    };
    let mut order: Vec<usize> = (0..cells * cells).collect();
    order.sort_by_key(|&i| level(i / cells, i % cells));
    order
}

/// The learned log-density over a `cells`×`cells` grid (complete, or growing block by block).
#[derive(Debug, Clone, Default)]
pub struct Density {
    /// log p at the grid's cells in the order they were asked for ([`Density::order`]).
    pub log_p: Vec<f64>,
    pub cells: usize,
    /// The cell (row-major) of each point asked for, in order.
    pub order: Vec<usize>,
    /// The points asked for, in the model's coordinates (x, y interleaved, in order).
    pub points: Vec<f32>,
    /// The data set's true density at the same points, where it is known.
    pub truth: Option<Vec<f64>>,
    pub model_step: usize,
    pub ms: f64,
}

impl Density {
    /// A job over the `cells`² grid of [−extent, extent]² (plot coordinates), coarse to fine;
    /// `to_model` maps plot coordinates to the model's.
    pub fn over(
        cells: usize,
        extent: f64,
        model_step: usize,
        to_model: impl Fn(&[f32]) -> Vec<f32>,
    ) -> Self {
        let all = grid(cells, extent);
        let order = coarse_to_fine(cells);
        let plot: Vec<f32> = order
            .iter()
            .flat_map(|&i| [all[2 * i], all[2 * i + 1]])
            .collect();
        Self {
            cells,
            order,
            points: to_model(&plot),
            model_step,
            ..Self::default()
        }
    }

    pub fn progress(&self) -> f64 {
        self.log_p.len() as f64 / (self.cells * self.cells).max(1) as f64
    }

    pub fn done(&self) -> bool {
        self.log_p.len() >= self.cells * self.cells
    }

    /// Values in [0, 1] for the heatmap, row-major: √(p / max p), so low-density structure stays
    /// visible. A cell not computed yet shows the nearest computed cell above and left of it on
    /// a coarser level (NaN before its coarsest one is).
    pub fn shades(&self) -> Vec<f64> {
        self.fill(&self.log_p, true)
    }

    /// The true density's shades on the same scale rule (None where it is not known).
    pub fn truth_shades(&self) -> Option<Vec<f64>> {
        let truth = self.truth.as_ref()?;
        let log: Vec<f64> = truth.iter().map(|p| p.ln()).collect();
        Some(self.fill(&log, false))
    }

    /// The total variation from the learned density to the true one, and from a Gaussian blob
    /// with the data's mean and spread to the true one (the figure to read it against), once
    /// the grid is complete and where the truth is known.
    pub fn total_variation(&self) -> Option<(f64, f64)> {
        let truth = self.truth.as_ref().filter(|_| self.done())?;
        let top = finite_max(&self.log_p);
        let learned: Vec<f64> = self.log_p.iter().map(|v| (v - top).exp()).collect();
        Some((
            total_variation(&learned, truth),
            total_variation(&blob_density(&self.points), truth),
        ))
    }

    /// Row-major shades of `log` (given in asked order, possibly partly), √(p / max p).
    fn fill(&self, log: &[f64], partial: bool) -> Vec<f64> {
        let n = self.cells;
        let top = finite_max(log);
        let mut by_cell = vec![f64::NAN; n * n];
        for (k, v) in log.iter().enumerate() {
            if let Some(&cell) = self.order.get(k) {
                by_cell[cell] = if v.is_finite() {
                    (0.5 * (v - top)).exp()
                } else {
                    0.0
                };
            }
        }
        if !partial {
            return by_cell;
        }
        (0..n * n)
            .map(|i| {
                let (r, c) = (i / n, i % n);
                [
                    by_cell[i],
                    by_cell[(r & !1) * n + (c & !1)],
                    by_cell[(r & !3) * n + (c & !3)],
                ]
                .into_iter()
                .find(|v| !v.is_nan())
                .unwrap_or(f64::NAN)
            })
            .collect()
    }
}

fn finite_max(v: &[f64]) -> f64 {
    v.iter()
        .cloned()
        .filter(|v| v.is_finite())
        .fold(f64::NEG_INFINITY, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_comes_coarse_to_fine_and_fills_from_coarser_cells() {
        let order = coarse_to_fine(8);
        assert_eq!(order.len(), 64);
        assert_eq!(&order[..4], &[0, 4, 32, 36]);
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(sorted, (0..64).collect::<Vec<_>>());
        let mut d = Density::over(8, 3.0, 5, |p| p.to_vec());
        assert_eq!(d.points.len(), 128);
        // only the 4 coarsest cells: every cell shows its 4×4 block's corner
        d.log_p = vec![0.0, -2.0, -4.0, f64::NEG_INFINITY];
        let s = d.shades();
        assert_eq!(s[0], 1.0);
        assert_eq!(s[3], 1.0);
        assert_eq!(s[8 + 1], 1.0);
        assert!((s[5] - (-1.0f64).exp()).abs() < 1e-12);
        assert!((s[4 * 8 + 2] - (-2.0f64).exp()).abs() < 1e-12);
        assert_eq!(s[63], 0.0);
        assert!(!d.done() && d.total_variation().is_none());
    }

    #[test]
    fn the_total_variation_reads_the_learned_density_against_the_truth() {
        let mut d = Density::over(4, 3.0, 0, |p| p.to_vec());
        let truth: Vec<f64> = (0..16).map(|k| 1.0 + k as f64).collect();
        d.truth = Some(truth.clone());
        d.log_p = truth.iter().map(|p| p.ln() + 7.0).collect();
        let (tv, blob) = d.total_variation().unwrap();
        assert!(tv < 1e-12, "{tv}");
        assert!(blob > 0.0);
        assert!(
            d.truth_shades()
                .unwrap()
                .iter()
                .all(|v| (0.0..=1.0).contains(v))
        );
    }
}
