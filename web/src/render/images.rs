//! Images on a canvas: a batch [N, C, H, W] with values in [−1, 1] laid out as a grid at one
//! canvas pixel per image pixel (CSS scales it up, pixelated), or one image of it.

use wasm_bindgen::{Clamped, JsValue};
use web_sys::{HtmlCanvasElement, ImageData};

use crate::dom;

pub use super::grid::{GAP, Grid};

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
