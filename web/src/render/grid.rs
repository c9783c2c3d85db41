//! The layout of a batch of images as a grid of tiles (plain data: the page's views and the
//! sampler's session both read it).

/// Gap between tiles, in pixels.
pub const GAP: usize = 1;

/// The layout of a grid of `n` images of size `h`×`w`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub cols: usize,
}

impl Grid {
    /// A near-square grid for `[n, c, h, w]`.
    pub fn new([n, c, h, w]: [usize; 4]) -> Self {
        let cols = ((n as f64).sqrt().ceil() as usize).max(1);
        Self { n, c, h, w, cols }
    }

    /// One row of `[n, c, h, w]` (up to 16 images; more wrap), as an interpolation's strip.
    pub fn strip([n, c, h, w]: [usize; 4]) -> Self {
        Self {
            cols: n.clamp(1, 16),
            ..Self::new([n, c, h, w])
        }
    }

    pub fn rows(&self) -> usize {
        self.n.div_ceil(self.cols)
    }

    pub fn width(&self) -> usize {
        self.cols * (self.w + GAP) + GAP
    }

    pub fn height(&self) -> usize {
        self.rows() * (self.h + GAP) + GAP
    }

    /// Top-left pixel of tile `i`.
    pub fn origin(&self, i: usize) -> (usize, usize) {
        (
            (i % self.cols) * (self.w + GAP) + GAP,
            (i / self.cols) * (self.h + GAP) + GAP,
        )
    }

    /// The image under a point of the canvas (canvas pixels), if any.
    pub fn hit(&self, x: f64, y: f64) -> Option<usize> {
        let (col, row) = (
            (x as usize).saturating_sub(GAP) / (self.w + GAP),
            (y as usize).saturating_sub(GAP) / (self.h + GAP),
        );
        let i = row * self.cols + col;
        (col < self.cols && i < self.n).then_some(i)
    }
}
