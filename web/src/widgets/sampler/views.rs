//! The sampler's views: the chain viewer (x_t and x̂₀ grids at the scrubber's step, the followed
//! image, the counter), and the downloads (the grid, and the chain as a strip).

use wasm_bindgen::JsCast;

use super::panel::Panel;
use super::session::{Record, Session};
use crate::dom::{self, el};
use crate::render::images::{self, Grid};
use crate::render::text;
use crate::settings::Common;

/// Most chain columns in the downloaded strip, and most images in it.
const STRIP_STEPS: usize = 32;
const STRIP_IMAGES: usize = 8;

/// Shows step `scrub` of the record (and the followed image).
pub fn draw(p: &Panel, s: &Session) {
    let Some(rec) = &s.record else { return };
    let at = s.scrub.min(rec.frames.len().saturating_sub(1));
    let Some(frame) = rec.frames.get(at) else {
        return;
    };
    let g = rec.grid;
    for (canvas, q) in [(&p.xt, &frame.xt), (&p.x0, &frame.x0)] {
        let mut px = images::grid_rgba(&g, q);
        let _ = images::put(canvas, &mut px, g.width(), g.height());
    }
    let done = rec.total_ms.is_some();
    p.set_scrub(if done { rec.frames.len() } else { 0 }, at);
    let thinned = match rec.frames.stride() {
        1 => String::new(),
        k => format!(" · one step in {k} kept"),
    };
    p.scrub_label.set_text_content(Some(&format!(
        "step {} of {} · t = {}{thinned}",
        frame.index + 1,
        rec.len,
        text::time(frame.t)
    )));
    let mean = rec.step_ms.iter().sum::<f64>() / rec.step_ms.len().max(1) as f64;
    let counter = match rec.total_ms {
        Some(total) => format!(
            "{} steps · {:.0} ms per step · {:.2} s in all",
            rec.frames.seen(),
            mean,
            total / 1000.0
        ),
        None => format!(
            "step {} of {} · {:.0} ms per step",
            rec.frames.seen(),
            rec.len,
            mean
        ),
    };
    p.counter.set_text_content(Some(&counter));
    p.chain_play
        .set_text_content(Some(if s.chain_playing { "⏸" } else { "▶" }));
    match s.follow {
        Some(i) if i < g.n && !s.settings.hidden("follow") => {
            let _ = p.follow_row.remove_attribute("hidden");
            let pair = Grid { n: 2, cols: 2, ..g };
            let mut px = images::blank(&pair);
            images::tile(&g, &frame.xt, i, &mut px, &pair, 0);
            images::tile(&g, &frame.x0, i, &mut px, &pair, 1);
            let _ = images::put(&p.follow, &mut px, pair.width(), pair.height());
            let class = rec
                .classes
                .get(i)
                .map_or(String::new(), |c| format!(" (class {c})"));
            p.follow_label.set_text_content(Some(&format!(
                "image {}{class}: x_t and x̂₀ at step {} — click it again in the grid to close",
                i + 1,
                at + 1
            )));
        }
        _ => {
            let _ = p.follow_row.set_attribute("hidden", "");
        }
    }
}

/// The final grid as a PNG download.
pub fn download_grid(rec: &Record) {
    let Some(last) = rec.frames.last() else {
        return;
    };
    let g = rec.grid;
    let px = images::grid_rgba(&g, &last.xt);
    save_png(
        &px,
        g.width(),
        g.height(),
        4,
        &format!("{}-grid.png", rec.model),
    );
}

/// A strip: for each of the first images (or the followed one), a row of x_t and a row of x̂₀
/// over (at most [`STRIP_STEPS`]) steps.
pub fn download_chain(rec: &Record, follow: Option<usize>) {
    let g = rec.grid;
    let shown: Vec<usize> = match follow {
        Some(i) => vec![i],
        None => (0..g.n.min(STRIP_IMAGES)).collect(),
    };
    let k = rec.frames.len();
    let cols: Vec<usize> = (0..k.min(STRIP_STEPS))
        .map(|j| j * (k - 1) / (k.min(STRIP_STEPS) - 1).max(1))
        .collect();
    let strip = Grid {
        n: cols.len() * shown.len() * 2,
        cols: cols.len(),
        ..g
    };
    let mut px = images::blank(&strip);
    for (r, &i) in shown.iter().enumerate() {
        for (c, &j) in cols.iter().enumerate() {
            let f = &rec.frames.kept()[j];
            images::tile(&g, &f.xt, i, &mut px, &strip, 2 * r * strip.cols + c);
            images::tile(&g, &f.x0, i, &mut px, &strip, (2 * r + 1) * strip.cols + c);
        }
    }
    save_png(
        &px,
        strip.width(),
        strip.height(),
        2,
        &format!("{}-chain.png", rec.model),
    );
}

/// Saves RGBA pixels as a PNG download, scaled up `scale`× without smoothing.
fn save_png(px: &[u8], w: usize, h: usize, scale: usize, name: &str) {
    let go = || -> Result<(), wasm_bindgen::JsValue> {
        let small = dom::canvas(w as u32, h as u32)?;
        let mut px = px.to_vec();
        images::put(&small, &mut px, w, h)?;
        let big = dom::canvas((w * scale) as u32, (h * scale) as u32)?;
        let ctx = dom::context_2d(&big)?;
        ctx.set_image_smoothing_enabled(false);
        ctx.draw_image_with_html_canvas_element_and_dw_and_dh(
            &small,
            0.0,
            0.0,
            (w * scale) as f64,
            (h * scale) as f64,
        )?;
        let url = big.to_data_url()?;
        let a: web_sys::HtmlElement = el("a", "", "")?.dyn_into()?;
        a.set_attribute("href", &url)?;
        a.set_attribute("download", name)?;
        dom::document().body().ok_or("no body")?.append_child(&a)?;
        a.click();
        a.remove();
        Ok(())
    };
    if let Err(e) = go() {
        web_sys::console::error_1(&e);
    }
}
