//! Images on a canvas: a batch [N, C, H, W] with values in [−1, 1] laid out as a grid at one
//! canvas pixel per image pixel (CSS scales it up, pixelated), or one image of it.

use wasm_bindgen::{Clamped, JsValue};
use web_sys::{HtmlCanvasElement, ImageData};

use crate::dom;

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

/// RGBA pixels of an empty `layout`: the light grey of the gaps.
pub fn blank(layout: &Grid) -> Vec<u8> {
    [238, 238, 238, 255].repeat(layout.width() * layout.height())
}

/// RGBA pixels of the whole grid from quantised [N, C, H, W] bytes.
pub fn grid_rgba(g: &Grid, q: &[u8]) -> Vec<u8> {
    let mut px = blank(g);
    for i in 0..g.n {
        tile(g, q, i, &mut px, g, i);
    }
    px
}

/// Writes image `i` of the batch `q` (laid out as `g`) into `px`, which holds `layout`, as its
/// tile `at`.
pub fn tile(g: &Grid, q: &[u8], i: usize, px: &mut [u8], layout: &Grid, at: usize) {
    let (ox, oy) = layout.origin(at);
    let stride = layout.width();
    let plane = g.h * g.w;
    for y in 0..g.h {
        for x in 0..g.w {
            let at = ((oy + y) * stride + ox + x) * 4;
            for ch in 0..3 {
                px[at + ch] = q[(i * g.c + ch.min(g.c - 1)) * plane + y * g.w + x];
            }
            px[at + 3] = 255;
        }
    }
}

/// Puts RGBA pixels (`w`×`h`) on `canvas`, resizing it to fit.
pub fn put(canvas: &HtmlCanvasElement, px: &mut [u8], w: usize, h: usize) -> Result<(), JsValue> {
    if canvas.width() != w as u32 || canvas.height() != h as u32 {
        canvas.set_width(w as u32);
        canvas.set_height(h as u32);
    }
    let data = ImageData::new_with_u8_clamped_array_and_sh(Clamped(px), w as u32, h as u32)?;
    dom::context_2d(canvas)?.put_image_data(&data, 0.0, 0.0)
}
