//! A 2-D scatter plot on a square canvas, in data coordinates `[-extent, extent]²`.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

pub struct PointCloud {
    ctx: CanvasRenderingContext2d,
    size: f64,
    extent: f64,
}

impl PointCloud {
    pub fn new(canvas: &HtmlCanvasElement, extent: f64) -> Result<Self, JsValue> {
        let ctx = canvas
            .get_context("2d")?
            .ok_or("this browser cannot draw on a canvas")?
            .dyn_into::<CanvasRenderingContext2d>()?;
        Ok(Self {
            ctx,
            size: canvas.width() as f64,
            extent,
        })
    }

    fn px(&self, v: f64) -> f64 {
        (v / self.extent + 1.0) * 0.5 * self.size
    }

    fn py(&self, v: f64) -> f64 {
        (1.0 - v / self.extent) * 0.5 * self.size
    }

    /// Background, axes and a unit grid.
    pub fn clear(&self) {
        let c = &self.ctx;
        c.set_fill_style_str("#fbfbfd");
        c.fill_rect(0.0, 0.0, self.size, self.size);
        c.set_stroke_style_str("#e4e6ee");
        c.set_line_width(1.0);
        c.begin_path();
        let n = self.extent.floor() as i32;
        for i in -n..=n {
            let (x, y) = (self.px(i as f64), self.py(i as f64));
            c.move_to(x, 0.0);
            c.line_to(x, self.size);
            c.move_to(0.0, y);
            c.line_to(self.size, y);
        }
        c.stroke();
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
