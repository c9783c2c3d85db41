//! The training loss over steps on a log scale, averaged into one value per pixel column.

use wasm_bindgen::JsValue;

use super::loss_log::LossLog;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

pub struct LossChart {
    ctx: CanvasRenderingContext2d,
    width: f64,
    height: f64,
}

impl LossChart {
    pub fn new(canvas: &HtmlCanvasElement) -> Result<Self, JsValue> {
        let ctx = crate::dom::context_2d(canvas)?;
        Ok(Self {
            ctx,
            width: crate::dom::logical_width(canvas),
            height: crate::dom::logical_height(canvas),
        })
    }

    /// Draws `losses` (non-finite ones skipped), from its bins: the cost does not grow with the
    /// number of steps.
    pub fn draw(&self, losses: &LossLog) {
        let c = &self.ctx;
        let (w, h) = (self.width, self.height);
        let (left, bottom) = (34.0, 14.0);
        c.set_fill_style_str("#fbfbfd");
        c.fill_rect(0.0, 0.0, w, h);
        let cols = (w - left) as usize;
        let (bins, _) = losses.bins();
        let per = bins.len().div_ceil(cols.max(1)).max(1);
        let means: Vec<f64> = bins
            .chunks(per)
            .filter_map(|chunk| {
                let logs: Vec<f64> = chunk.iter().flatten().copied().collect();
                (!logs.is_empty()).then(|| logs.iter().sum::<f64>() / logs.len() as f64)
            })
            .collect();
        c.set_font("10px system-ui, sans-serif");
        c.set_fill_style_str("#5b6275");
        if means.is_empty() {
            let _ = c.fill_text(
                "loss (log scale) appears here while training",
                left,
                h / 2.0,
            );
            return;
        }
        let lo = means.iter().cloned().fold(f64::INFINITY, f64::min).floor();
        let hi = means
            .iter()
            .cloned()
            .fold(f64::NEG_INFINITY, f64::max)
            .ceil()
            .max(lo + 1.0);
        let y = |v: f64| (1.0 - (v - lo) / (hi - lo)) * (h - bottom - 4.0) + 4.0;
        c.set_stroke_style_str("#e4e6ee");
        c.set_line_width(1.0);
        c.begin_path();
        let mut d = lo;
        while d <= hi {
            c.move_to(left, y(d));
            c.line_to(w, y(d));
            let _ = c.fill_text(&format!("1e{d}"), 2.0, y(d) + 3.0);
            d += 1.0;
        }
        c.stroke();
        let n = losses.len();
        let steps = format!("{n} step{}", if n == 1 { "" } else { "s" });
        let _ = c.fill_text(&steps, w - 60.0, h - 2.0);
        c.set_stroke_style_str("#e6781e");
        c.set_line_width(1.5);
        c.begin_path();
        let dx = (w - left) / means.len().max(1) as f64;
        for (i, m) in means.iter().enumerate() {
            let (px, py) = (left + (i as f64 + 0.5) * dx, y(*m));
            if i == 0 {
                c.move_to(px, py);
            } else {
                c.line_to(px, py);
            }
        }
        c.stroke();
    }
}
