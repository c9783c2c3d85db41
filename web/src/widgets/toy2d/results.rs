//! What the page keeps of the viewer worker's chains, filled in as their frames arrive; and the
//! grids it asks about (the density's is in `density.rs`).

use super::messages::FromViewer;

/// A finished (or growing) chain, in the model's normalised coordinates.
#[derive(Debug, Clone, Default)]
pub struct Chain {
    /// x_T, then x after each step (len = steps + 1).
    pub xs: Vec<Vec<f32>>,
    /// x̂₀ predicted during each step.
    pub x0s: Vec<Vec<f32>>,
    /// Process time of each step.
    pub ts: Vec<f64>,
    /// Steps the sampler will take (an adaptive one may take fewer or more).
    pub len: usize,
    /// The training step of the model that drew it.
    pub model_step: usize,
    pub sampler: String,
    /// Milliseconds spent, start to end.
    pub ms: f64,
    /// How good the finished chain's samples are.
    pub quality: Option<train::toy::Quality>,
}

impl Chain {
    pub fn new(model_step: usize, sampler: &str) -> Self {
        Self {
            model_step,
            sampler: sampler.to_string(),
            ..Self::default()
        }
    }

    pub fn last(&self) -> &[f32] {
        self.xs.last().map_or(&[], Vec::as_slice)
    }

    /// Fraction done.
    pub fn progress(&self) -> f64 {
        (self.x0s.len() as f64 / self.len.max(1) as f64).min(1.0)
    }

    /// Adds a [`FromViewer::Frames`] message's frames; true once the chain is complete. Frames
    /// whose sizes do not fit the chain are an error.
    pub fn extend(&mut self, msg: FromViewer) -> Result<bool, String> {
        let FromViewer::Frames {
            len,
            start,
            xs,
            x0s,
            ts,
            done,
            ms,
            quality,
            ..
        } = msg
        else {
            return Ok(false);
        };
        self.len = len;
        self.ms = ms;
        if let Some(start) = start {
            self.xs = vec![start.0];
        }
        let size = self.xs.first().map_or(0, Vec::len);
        let steps = ts.len();
        if size == 0 || xs.0.len() != steps * size || x0s.0.len() != steps * size {
            return Err(format!(
                "the viewer sent {} values for {steps} steps of {} points",
                xs.0.len(),
                size / 2
            ));
        }
        self.xs.extend(xs.0.chunks_exact(size).map(<[f32]>::to_vec));
        self.x0s
            .extend(x0s.0.chunks_exact(size).map(<[f32]>::to_vec));
        self.ts.extend(ts);
        if quality.is_some() {
            self.quality = quality;
        }
        Ok(done)
    }
}

/// Grid points (x, y interleaved) of a `cells`×`cells` grid over [−extent, extent]², row 0 at the
/// top, at cell centres.
pub fn grid(cells: usize, extent: f64) -> Vec<f32> {
    let mut out = Vec::with_capacity(2 * cells * cells);
    for row in 0..cells {
        for col in 0..cells {
            let x = ((col as f64 + 0.5) / cells as f64 * 2.0 - 1.0) * extent;
            let y = (1.0 - (row as f64 + 0.5) / cells as f64 * 2.0) * extent;
            out.extend([x as f32, y as f32]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::floats::Floats;

    fn frames(
        start: Option<Vec<f32>>,
        xs: Vec<f32>,
        x0s: Vec<f32>,
        ts: Vec<f64>,
        done: bool,
    ) -> FromViewer {
        FromViewer::Frames {
            job: 1,
            len: 3,
            start: start.map(Floats),
            xs: Floats(xs),
            x0s: Floats(x0s),
            ts,
            done,
            ms: 5.0,
            quality: None,
        }
    }

    #[test]
    fn a_chain_grows_by_whole_steps_as_its_frames_arrive() {
        let mut c = Chain::new(7, "ddim");
        // x_T of two points, then two steps, then the last
        assert_eq!(
            c.extend(frames(
                Some(vec![1., 2., 3., 4.]),
                vec![],
                vec![],
                vec![],
                false
            )),
            Ok(false)
        );
        let two: Vec<f32> = (0..8).map(|v| v as f32).collect();
        assert_eq!(
            c.extend(frames(None, two.clone(), two, vec![0.9, 0.6], false)),
            Ok(false)
        );
        assert!((c.progress() - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(
            c.extend(frames(None, vec![9.; 4], vec![8.; 4], vec![0.3], true)),
            Ok(true)
        );
        assert_eq!(c.xs.len(), 4);
        assert_eq!(c.x0s.len(), 3);
        assert_eq!(c.xs[2], vec![4., 5., 6., 7.]);
        assert_eq!(c.last(), &[9.; 4]);
        assert_eq!(c.ts, vec![0.9, 0.6, 0.3]);
        assert_eq!((c.model_step, c.len, c.ms), (7, 3, 5.0));
    }

    #[test]
    fn frames_that_do_not_fit_the_chain_are_refused() {
        let mut c = Chain::new(0, "ddim");
        // no x_T yet
        assert!(
            c.extend(frames(None, vec![0.; 4], vec![0.; 4], vec![0.5], false))
                .is_err()
        );
        c.extend(frames(Some(vec![0.; 4]), vec![], vec![], vec![], false))
            .unwrap();
        // three values for a step of two points
        let e = c
            .extend(frames(None, vec![0.; 3], vec![0.; 4], vec![0.5], false))
            .unwrap_err();
        assert!(e.contains("3 values for 1 steps of 2 points"), "{e}");
        assert_eq!(c.xs.len(), 1);
    }
}
