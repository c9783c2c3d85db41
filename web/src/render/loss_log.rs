//! Every training step's loss, and the same losses binned for the chart: the chart redraws each
//! frame while training runs, and averaging millions of losses per frame would slow the page as
//! a run grows, so it reads at most [`MAX_BINS`] bins, each the mean log10 loss of a power-of-two
//! run of steps.

/// Bins kept before pairs are merged (and the steps per bin doubled).
pub const MAX_BINS: usize = 4096;

#[derive(Debug, Clone)]
pub struct LossLog {
    values: Vec<f32>,
    /// Steps per bin (a power of two).
    per_bin: usize,
    /// Per bin: the sum of log10 of its finite, positive losses and how many there were.
    bins: Vec<(f64, u32)>,
}

impl Default for LossLog {
    fn default() -> Self {
        Self {
            values: Vec::new(),
            per_bin: 1,
            bins: Vec::new(),
        }
    }
}

impl LossLog {
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn last(&self) -> Option<f32> {
        self.values.last().copied()
    }

    pub fn extend(&mut self, losses: impl IntoIterator<Item = f32>) {
        for v in losses {
            let i = self.values.len();
            self.values.push(v);
            if i.is_multiple_of(self.per_bin) {
                // full bins: after the merge, step i still starts a bin (MAX_BINS is even)
                if self.bins.len() == MAX_BINS {
                    self.merge();
                }
                self.bins.push((0.0, 0));
            }
            if v.is_finite() && v > 0.0 {
                let bin = self.bins.last_mut().expect("a bin");
                bin.0 += (v as f64).log10();
                bin.1 += 1;
            }
        }
    }

    /// Keeps the first `n` losses (training went back to step `n`).
    pub fn truncate(&mut self, n: usize) {
        if n < self.values.len() {
            let kept: Vec<f32> = self.values[..n].to_vec();
            *self = Self::default();
            self.extend(kept);
        }
    }

    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// The mean log10 loss of each bin (None where a bin has no finite, positive loss), and the
    /// steps per bin.
    pub fn bins(&self) -> (Vec<Option<f64>>, usize) {
        let means = self
            .bins
            .iter()
            .map(|&(sum, n)| (n > 0).then(|| sum / n as f64))
            .collect();
        (means, self.per_bin)
    }

    /// Merges neighbouring bins: twice the steps per bin, half the bins.
    fn merge(&mut self) {
        self.bins = self
            .bins
            .chunks(2)
            .map(|pair| pair.iter().fold((0.0, 0), |a, b| (a.0 + b.0, a.1 + b.1)))
            .collect();
        self.per_bin *= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_hold_the_mean_log_loss_and_stay_few_however_long_the_run() {
        let mut log = LossLog::default();
        log.extend([10.0, 1000.0, f32::NAN, 0.0]);
        let (means, per) = log.bins();
        assert_eq!((per, log.len()), (1, 4));
        assert_eq!(means, vec![Some(1.0), Some(3.0), None, None]);
        // a long run: 3 × MAX_BINS + 5 steps of loss 10^(step mod 2)
        let mut log = LossLog::default();
        let n = 3 * MAX_BINS + 5;
        log.extend((0..n).map(|i| if i % 2 == 0 { 1.0 } else { 10.0 }));
        let (means, per) = log.bins();
        assert_eq!(per, 4);
        assert_eq!(means.len(), n.div_ceil(4));
        assert!(means.len() <= MAX_BINS);
        assert!(means[..means.len() - 1].iter().all(|m| *m == Some(0.5)));
        // the last bin holds steps 3·MAX_BINS + 4: one loss of 1
        assert_eq!(*means.last().unwrap(), Some(0.0));
        assert_eq!(log.values().len(), n);
        assert_eq!(log.last(), Some(10.0f32.powi((n as i32 - 1) % 2)));
    }

    #[test]
    fn truncating_rebins_what_is_kept() {
        let mut log = LossLog::default();
        log.extend((0..2 * MAX_BINS + 3).map(|_| 100.0));
        log.truncate(5);
        let (means, per) = log.bins();
        assert_eq!((per, means.len(), log.len()), (1, 5, 5));
        assert!(means.iter().all(|m| *m == Some(2.0)));
        log.clear();
        assert!(log.is_empty() && log.bins().0.is_empty());
    }
}
