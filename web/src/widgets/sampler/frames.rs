//! The steps of a chain as the page keeps them for the scrubber: x_t and x̂₀ as bytes. Every step
//! is kept while the chain fits [`BUDGET`]; a longer chain keeps every k-th step (k fixed when it
//! starts) and its last, so 64 CIFAR-10 images × 1,000 steps keep every 3rd step, 131 MB instead
//! of 393 MB. The
//! newest step is always shown while sampling: it is kept until the next one arrives.

/// Bytes of frames a chain may keep.
pub const BUDGET: usize = 128 << 20;

/// One step as kept for the viewer.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// The step's index in the chain (0-based).
    pub index: usize,
    pub t: f64,
    pub xt: Vec<u8>,
    pub x0: Vec<u8>,
}

#[derive(Debug, Default)]
pub struct Frames {
    kept: Vec<Frame>,
    /// Every `stride`-th step is kept.
    stride: usize,
    /// Steps received.
    seen: usize,
}

impl Frames {
    /// For a chain of `len` steps whose frames are `frame_bytes` each (x_t and x̂₀ together),
    /// within `budget` bytes ([`BUDGET`] but in a test); its first and last steps are always kept.
    pub fn within(len: usize, frame_bytes: usize, budget: usize) -> Self {
        let total = len.saturating_mul(frame_bytes);
        let stride = total.div_ceil(budget.max(1)).max(1);
        Self {
            kept: Vec::with_capacity(len.div_ceil(stride) + 1),
            stride,
            seen: 0,
        }
    }

    /// Takes the next step; the newest step stays until the next arrives, then goes unless it is
    /// one of the kept ones.
    pub fn push(&mut self, frame: Frame) {
        if self
            .kept
            .last()
            .is_some_and(|f| !f.index.is_multiple_of(self.stride))
        {
            self.kept.pop();
        }
        self.kept.push(frame);
        self.seen += 1;
    }

    /// The kept steps, in order (the scrubber walks these).
    pub fn kept(&self) -> &[Frame] {
        &self.kept
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn len(&self) -> usize {
        self.kept.len()
    }

    pub fn last(&self) -> Option<&Frame> {
        self.kept.last()
    }

    pub fn get(&self, i: usize) -> Option<&Frame> {
        self.kept.get(i)
    }

    /// Steps received so far.
    pub fn seen(&self) -> usize {
        self.seen
    }

    /// 1 when every step is kept.
    pub fn stride(&self) -> usize {
        self.stride
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(index: usize) -> Frame {
        Frame {
            index,
            t: 1.0 - index as f64 / 1000.0,
            xt: vec![index as u8],
            x0: vec![0],
        }
    }

    #[test]
    fn a_chain_within_the_budget_keeps_every_step() {
        // 64 MNIST images × 1,000 steps: 100 MB
        let mut f = Frames::within(1000, 2 * 64 * 28 * 28, BUDGET);
        for i in 0..1000 {
            f.push(frame(i));
        }
        assert_eq!((f.stride(), f.len(), f.seen()), (1, 1000, 1000));
        assert!(f.kept().iter().enumerate().all(|(i, fr)| fr.index == i));
    }

    #[test]
    fn a_longer_chain_keeps_every_kth_step_its_last_and_the_newest() {
        // 64 CIFAR-10 images × 1,000 steps: 393 MB, so every 3rd step
        let bytes = 2 * 64 * 3 * 32 * 32;
        let mut f = Frames::within(1000, bytes, BUDGET);
        assert_eq!(f.stride(), 3);
        for i in 0..6 {
            f.push(frame(i));
        }
        // 0 and 3 kept, 5 the newest (shown while sampling)
        let idx: Vec<usize> = f.kept().iter().map(|fr| fr.index).collect();
        assert_eq!(idx, vec![0, 3, 5]);
        for i in 6..998 {
            f.push(frame(i));
        }
        // stopped at step 998 of 1,000: its last step (997, not a multiple of 3) is still there
        let idx: Vec<usize> = f.kept().iter().map(|fr| fr.index).collect();
        assert_eq!(idx.len(), 334);
        assert!(idx[..333].iter().all(|i| i % 3 == 0));
        assert_eq!(idx[331..], [993, 996, 997]);
        assert_eq!(f.seen(), 998);
        assert!(f.len() * bytes <= BUDGET + bytes);
        assert_eq!(f.last().map(|fr| fr.xt[0]), Some((997 % 256) as u8));
    }

    #[test]
    fn a_smaller_budget_thins_a_short_chain() {
        let bytes = 2 * 4 * 28 * 28;
        let mut f = Frames::within(10, bytes, 3 * bytes);
        assert_eq!(f.stride(), 4);
        for i in 0..10 {
            f.push(frame(i));
        }
        let idx: Vec<usize> = f.kept().iter().map(|fr| fr.index).collect();
        assert_eq!(idx, vec![0, 4, 8, 9]);
        // a budget of nothing still keeps the first step and the last
        let mut g = Frames::within(10, bytes, 0);
        for i in 0..10 {
            g.push(frame(i));
        }
        let idx: Vec<usize> = g.kept().iter().map(|fr| fr.index).collect();
        assert_eq!(idx, vec![0, 9]);
    }
}
