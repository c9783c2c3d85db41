//! A 2-D scatter plot on a square canvas, in data coordinates `[-extent, extent]²`.

use wasm_bindgen::JsValue;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

pub struct PointCloud {
    ctx: CanvasRenderingContext2d,
    size: f64,
    extent: f64,
    /// Where its square starts on the canvas (a sub-plot's corner; 0 for the whole canvas).
    ox: f64,
    oy: f64,
}

impl PointCloud {
    pub fn new(canvas: &HtmlCanvasElement, extent: f64) -> Result<Self, JsValue> {
        let ctx = crate::dom::context_2d(canvas)?;
        Ok(Self {
            ctx,
            size: crate::dom::logical_width(canvas),
            extent,
            ox: 0.0,
            oy: 0.0,
        })
    }

    /// A plot of the same extent in the square of side `size` pixels at (`x`, `y`) of this one
    /// (a panel of a strip of small plots).
    pub fn sub(&self, x: f64, y: f64, size: f64) -> Self {
        Self {
            ctx: self.ctx.clone(),
            size,
            extent: self.extent,
            ox: self.ox + x,
            oy: self.oy + y,
        }
    }

    /// Draws with `f`, clipped to the plot's square (a sub-plot's points stay in it).
    pub fn clipped(&self, f: impl FnOnce(&Self)) {
        self.ctx.save();
        self.ctx.begin_path();
        self.ctx.rect(self.ox, self.oy, self.size, self.size);
        self.ctx.clip();
        f(self);
        self.ctx.restore();
    }

    /// A line of text at the top left of the plot's square.
    pub fn label(&self, text: &str, color: &str) {
        self.ctx.set_fill_style_str(color);
        self.ctx.set_font("12px system-ui, sans-serif");
        let _ = self.ctx.fill_text(text, self.ox + 6.0, self.oy + 16.0);
    }

    fn px(&self, v: f64) -> f64 {
        self.ox + (v / self.extent + 1.0) * 0.5 * self.size
    }

    fn py(&self, v: f64) -> f64 {
        self.oy + (1.0 - v / self.extent) * 0.5 * self.size
    }

    /// Background, axes and a unit grid.
    pub fn clear(&self) {
        let c = &self.ctx;
        c.set_fill_style_str("#fbfbfd");
        c.fill_rect(self.ox, self.oy, self.size, self.size);
        c.set_stroke_style_str("#e4e6ee");
        c.set_line_width(1.0);
        c.begin_path();
        let n = self.extent.floor() as i32;
        for i in -n..=n {
            let (x, y) = (self.px(i as f64), self.py(i as f64));
            c.move_to(x, self.oy);
            c.line_to(x, self.oy + self.size);
            c.move_to(self.ox, y);
            c.line_to(self.ox + self.size, y);
        }
        c.stroke();
    }

    /// The whole square in one colour (behind sub-plots that do not fill it).
    pub fn clear_all(&self, color: &str) {
        self.ctx.set_fill_style_str(color);
        self.ctx.fill_rect(self.ox, self.oy, self.size, self.size);
    }

    /// Hollow circles of data radius `r` around `centers` (e.g. a mixture's modes).
    pub fn rings(&self, centers: &[Vec<f64>], r: f64, color: &str) {
        let c = &self.ctx;
        c.set_stroke_style_str(color);
        c.set_line_width(1.5);
        for m in centers {
            c.begin_path();
            let _ = c.arc(
                self.px(m[0]),
                self.py(m[1]),
                r / self.extent * 0.5 * self.size,
                0.0,
                std::f64::consts::TAU,
            );
            c.stroke();
        }
    }

    /// A polyline through `path` (x, y interleaved).
    pub fn line(&self, path: &[f32], color: &str, width: f64) {
        let c = &self.ctx;
        c.set_stroke_style_str(color);
        c.set_line_width(width);
        c.begin_path();
        for (i, p) in path.chunks_exact(2).enumerate() {
            let (x, y) = (self.px(p[0] as f64), self.py(p[1] as f64));
            if i == 0 {
                c.move_to(x, y);
            } else {
                c.line_to(x, y);
            }
        }
        c.stroke();
    }

    /// Arrows from each `from` point along `dir` (both `[n, 2]`, data units), with heads.
    pub fn arrows(&self, from: &[f32], dir: &[f32], color: &str) {
        let c = &self.ctx;
        c.set_stroke_style_str(color);
        c.set_line_width(1.3);
        c.begin_path();
        for (p, d) in from.chunks_exact(2).zip(dir.chunks_exact(2)) {
            let (x0, y0) = (self.px(p[0] as f64), self.py(p[1] as f64));
            let (x1, y1) = (self.px((p[0] + d[0]) as f64), self.py((p[1] + d[1]) as f64));
            let (dx, dy) = (x1 - x0, y1 - y0);
            let len = (dx * dx + dy * dy).sqrt();
            if len < 0.5 {
                continue;
            }
            c.move_to(x0, y0);
            c.line_to(x1, y1);
            let head = (len * 0.35).min(5.0);
            let (ux, uy) = (dx / len, dy / len);
            c.move_to(x1, y1);
            c.line_to(x1 - head * (ux - 0.5 * uy), y1 - head * (uy + 0.5 * ux));
            c.move_to(x1, y1);
            c.line_to(x1 - head * (ux + 0.5 * uy), y1 - head * (uy - 0.5 * ux));
        }
        c.stroke();
    }

    /// A `cells`×`cells` heatmap over the whole plot from values in [0, 1] (row 0 at the top),
    /// coloured on a perceptual ramp; NaN cells are left as they are.
    pub fn heatmap(&self, values: &[f64], cells: usize) {
        self.heatmap_at(values, cells, self.ox, self.oy, self.size);
    }

    /// The same heatmap in the square of side `side` pixels at (`x`, `y`), framed (an inset).
    pub fn inset(&self, values: &[f64], cells: usize, x: f64, y: f64, side: f64) {
        self.heatmap_at(values, cells, x, y, side);
        self.ctx.set_stroke_style_str("rgba(255, 255, 255, 0.9)");
        self.ctx.set_line_width(2.0);
        self.ctx.stroke_rect(x, y, side, side);
    }

    /// The plot's side in pixels.
    pub fn side(&self) -> f64 {
        self.size
    }

    /// The heatmap as one image of `cells`² pixels, scaled onto the plot.
    fn heatmap_at(&self, values: &[f64], cells: usize, x: f64, y: f64, side: f64) {
        if cells == 0 || values.len() < cells * cells {
            return;
        }
        let mut rgba = vec![0u8; 4 * cells * cells];
        for (px, v) in rgba.chunks_exact_mut(4).zip(values) {
            if !v.is_nan() {
                let [r, g, b] = ramp(*v);
                px.copy_from_slice(&[r, g, b, 255]);
            }
        }
        // one image of cells² pixels (render::images), scaled onto the plot in one draw
        let drawn = (|| -> Result<(), JsValue> {
            let canvas = crate::dom::canvas(cells as u32, cells as u32)?;
            super::images::put(&canvas, &mut rgba, cells, cells)?;
            self.ctx.set_image_smoothing_enabled(false);
            self.ctx
                .draw_image_with_html_canvas_element_and_dw_and_dh(&canvas, x, y, side, side)
        })();
        if let Err(e) = drawn {
            web_sys::console::warn_1(&e);
        }
    }

    /// Square dots of `dot` pixels at the points of a row-major `[n, 2]` array.
    pub fn points(&self, xy: &[f32], color: &str, dot: f64) {
        self.ctx.set_fill_style_str(color);
        for p in xy.chunks_exact(2) {
            self.ctx.fill_rect(
                self.px(p[0] as f64) - dot / 2.0,
                self.py(p[1] as f64) - dot / 2.0,
                dot,
                dot,
            );
        }
    }
}

/// A dark-violet → teal → yellow ramp (close to viridis) at `v` ∈ [0, 1].
fn ramp(v: f64) -> [u8; 3] {
    const STOPS: [(f64, [f64; 3]); 5] = [
        (0.0, [68.0, 1.0, 84.0]),
        (0.25, [59.0, 82.0, 139.0]),
        (0.5, [33.0, 145.0, 140.0]),
        (0.75, [94.0, 201.0, 98.0]),
        (1.0, [253.0, 231.0, 37.0]),
    ];
    let v = if v.is_finite() {
        v.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let k = STOPS
        .iter()
        .rposition(|(at, _)| *at <= v)
        .unwrap_or(0)
        .min(3);
    let ((a, ca), (b, cb)) = (STOPS[k], STOPS[k + 1]);
    let w = (v - a) / (b - a);
    [0, 1, 2].map(|i| (ca[i] + (cb[i] - ca[i]) * w).round() as u8)
}
