//! The widget's DOM: buttons, view tabs, the plot, per-view controls, the loss chart and the
//! settings form. Every event only pushes a [`Cmd`] onto a queue the widget's loop drains once per
//! frame, so state flows one way: events → loop → render.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlCanvasElement};

use crate::controls::{button, input, on, options, set_value, setting_row};
use crate::dom::{self, el};
use crate::render::loss_chart::LossChart;
use crate::render::points::PointCloud;
use crate::settings::Common;
use crate::settings::Control;
use crate::settings::toy2d::{DRAWN, EXTENT, Toy2dSettings, VIEWS};

pub use super::session::Cmd;

pub type Queue = crate::controls::Queue<Cmd>;

pub struct Panel {
    pub plot: PointCloud,
    pub chart: LossChart,
    pub play: Element,
    pub reflow: Element,
    pub counter: Element,
    pub caption: Element,
    pub tabs: Vec<(String, Element)>,
    pub t_row: Element,
    pub t_value: Element,
    pub scrub_row: Element,
    pub scrub: Element,
    pub chain_play: Element,
    pub draw_row: Element,
    pub settings: Element,
    queue: Queue,
}

impl Panel {
    pub fn build(root: &Element, s: &Toy2dSettings, queue: Queue) -> Result<Self, JsValue> {
        let body = el("section", "widget-body toy2d", "")?;
        let title = el("h2", "", "Train a diffusion model on 2-D points")?;
        body.append_child(&title)?;
        let lede = el(
            "p",
            "lede",
            "Pick a data set (or draw one), press Train, and watch an MLP learn to undo noise; \
             samples from its EMA weights are redrawn as it learns. Every setting is in the URL.",
        )?;
        body.append_child(&lede)?;

        let bar = el("div", "toolbar", "")?;
        bar.set_attribute("data-control", "buttons")?;
        let play = button(&bar, "Train", "play", &queue, Cmd::Play)?;
        button(&bar, "Step", "step", &queue, Cmd::Step)?;
        button(&bar, "Reset", "reset", &queue, Cmd::Reset)?;
        let reflow = button(&bar, "Reflow", "reflow", &queue, Cmd::Reflow)?;
        reflow.set_attribute(
            "title",
            "straighten the flow: train on to the pairs (noise, sample) of the model's own ODE",
        )?;
        let counter = el("span", "counter", "step 0")?;
        bar.append_child(&counter)?;
        body.append_child(&bar)?;

        let grid = el("div", "toy2d-grid", "")?;
        let left = el("div", "plot-col", "")?;
        let tabs_row = el("div", "tabs", "")?;
        tabs_row.set_attribute("data-control", "views")?;
        let mut tabs = Vec::new();
        for v in VIEWS {
            let b = button(
                &tabs_row,
                v,
                &format!("view-{v}"),
                &queue,
                Cmd::Set("view".into(), v.into()),
            )?;
            tabs.push((v.to_string(), b));
        }
        left.append_child(&tabs_row)?;
        let canvas = dom::sharp_canvas(512, 512)?;
        canvas.set_attribute("aria-label", "the 2-D plot of the chosen view")?;
        canvas.set_class_name("main-plot");
        left.append_child(&canvas)?;

        let t_row = el("label", "view-row", "t ")?;
        t_row.set_attribute("data-control", "t")?;
        let t_input = input("range", "0", "1", "0.01", &s.t().to_string())?;
        t_input.set_attribute("name", "t")?;
        on(&t_input, "input", &queue, |v| Cmd::Set("t".into(), v))?;
        t_row.append_child(&t_input)?;
        let t_value = el("span", "value", "")?;
        t_row.append_child(&t_value)?;
        left.append_child(&t_row)?;

        let scrub_row = el("div", "view-row", "")?;
        let chain_play = button(
            &scrub_row,
            "Play chain",
            "chain-play",
            &queue,
            Cmd::ChainPlay,
        )?;
        let scrub = input("range", "0", "1", "1", "0")?;
        scrub.set_attribute("name", "scrub")?;
        scrub.set_attribute("aria-label", "chain step")?;
        on(&scrub, "input", &queue, |v| {
            Cmd::Scrub(v.parse::<f64>().unwrap_or(0.0) as usize)
        })?;
        scrub_row.append_child(&scrub)?;
        left.append_child(&scrub_row)?;

        let draw_row = el(
            "div",
            "view-row",
            "Click or drag on the plot to add points. ",
        )?;
        draw_row.set_attribute("data-control", "draw")?;
        button(&draw_row, "Undo", "undo", &queue, Cmd::Undo)?;
        button(&draw_row, "Clear", "clear", &queue, Cmd::Clear)?;
        left.append_child(&draw_row)?;

        let caption = el("p", "caption", "")?;
        caption.set_attribute("data-control", "caption")?;
        left.append_child(&caption)?;
        grid.append_child(&left)?;

        let right = el("div", "side-col", "")?;
        let chart_canvas = dom::sharp_canvas(300, 130)?;
        chart_canvas.set_class_name("loss-chart");
        chart_canvas.set_attribute("data-control", "loss")?;
        chart_canvas.set_attribute("aria-label", "training loss, log scale")?;
        right.append_child(&chart_canvas)?;
        let settings = el("form", "settings", "")?;
        settings.set_attribute("data-control", "settings")?;
        for setting in s.table() {
            if setting.control == Control::None {
                continue;
            }
            let row = setting_row(&setting, "", &queue, |k, v| Cmd::Set(k.into(), v))?;
            settings.append_child(&row)?;
        }
        right.append_child(&settings)?;
        grid.append_child(&right)?;
        body.append_child(&grid)?;
        root.append_child(&body)?;

        draw_events(&canvas, &queue)?;
        let panel = Self {
            plot: PointCloud::new(&canvas, EXTENT)?,
            chart: LossChart::new(&chart_canvas)?,
            play,
            reflow,
            counter,
            caption,
            tabs,
            t_row,
            t_value,
            scrub_row,
            scrub,
            chain_play,
            draw_row,
            settings,
            queue,
        };
        panel.fill(s)?;
        Ok(panel)
    }

    /// Puts the settings' values (and the choices that depend on them) into the form, and hides
    /// what `hide=` names.
    pub fn fill(&self, s: &Toy2dSettings) -> Result<(), JsValue> {
        // the settings table's values, and the choices that follow them (the samplers that fit)
        for setting in s.table() {
            let Some(e) = self
                .settings
                .query_selector(&format!("[name=\"{}\"]", setting.key))?
            else {
                continue;
            };
            let value = s.values.form_text(setting.key);
            match setting.control {
                Control::Select => {
                    let names: Vec<&str> = setting.names().iter().map(String::as_str).collect();
                    options(&e, &names, &value)?;
                }
                _ => set_value(&e, &value),
            }
        }
        for (name, tab) in &self.tabs {
            tab.set_attribute(
                "aria-pressed",
                if *name == s.view() { "true" } else { "false" },
            )?;
        }
        let root = self
            .settings
            .parent_element()
            .and_then(|p| p.parent_element());
        if let Some(widget) = root.and_then(|g| g.parent_element()) {
            let all = widget.query_selector_all("[data-control]")?;
            for i in 0..all.length() {
                let Some(e) = all.get(i).and_then(|n| n.dyn_into::<Element>().ok()) else {
                    continue;
                };
                let name = e.get_attribute("data-control").unwrap_or_default();
                // rows the engine does not read under the other settings are hidden
                let unread = s.unread(&name);
                e.toggle_attribute_with_force("hidden", s.hidden(&name) || unread)?;
            }
        }
        let show = |e: &Element, on: bool| e.toggle_attribute_with_force("hidden", !on);
        show(
            &self.t_row,
            (s.view() == "forward" || s.view() == "field") && !s.hidden("t"),
        )?;
        show(&self.scrub_row, s.view() == "chain")?;
        show(&self.reflow, s.config().process.is_flow())?;
        show(
            &self.draw_row,
            s.data() == DRAWN && s.view() == "samples" && !s.hidden("draw"),
        )?;
        Ok(())
    }

    pub fn set_t_label(&self, text: &str) {
        self.t_value.set_text_content(Some(text));
    }

    pub fn set_scrub(&self, max: usize, at: usize) {
        let _ = self.scrub.set_attribute("max", &max.to_string());
        set_value(&self.scrub, &at.to_string());
    }

    pub fn queue(&self) -> &Queue {
        &self.queue
    }
}

/// Pointer events on the plot become `Draw` / `StrokeEnd` commands (the loop ignores them unless
/// the data set is the drawn one).
fn draw_events(canvas: &HtmlCanvasElement, queue: &Queue) -> Result<(), JsValue> {
    let down = Rc::new(RefCell::new(false));
    let at = {
        let c = canvas.clone();
        move |e: &web_sys::MouseEvent| {
            let scale = c.width() as f64 / c.client_width().max(1) as f64;
            let (px, py) = (e.offset_x() as f64 * scale, e.offset_y() as f64 * scale);
            let size = c.width() as f64;
            (
                (px / size * 2.0 - 1.0) * EXTENT,
                (1.0 - py / size * 2.0) * EXTENT,
            )
        }
    };
    let (q, d, at1) = (queue.clone(), down.clone(), at.clone());
    let press = Closure::<dyn FnMut(web_sys::MouseEvent)>::new(move |e: web_sys::MouseEvent| {
        *d.borrow_mut() = true;
        let (x, y) = at1(&e);
        q.borrow_mut().push(Cmd::Draw(x, y, true));
    });
    let (q, d) = (queue.clone(), down.clone());
    let drag = Closure::<dyn FnMut(web_sys::MouseEvent)>::new(move |e: web_sys::MouseEvent| {
        if *d.borrow() {
            let (x, y) = at(&e);
            q.borrow_mut().push(Cmd::Draw(x, y, false));
        }
    });
    let (q, d) = (queue.clone(), down);
    let release = Closure::<dyn FnMut()>::new(move || {
        if std::mem::take(&mut *d.borrow_mut()) {
            q.borrow_mut().push(Cmd::StrokeEnd);
        }
    });
    canvas.add_event_listener_with_callback("pointerdown", press.as_ref().unchecked_ref())?;
    canvas.add_event_listener_with_callback("pointermove", drag.as_ref().unchecked_ref())?;
    canvas.add_event_listener_with_callback("pointerup", release.as_ref().unchecked_ref())?;
    canvas.add_event_listener_with_callback("pointerleave", release.as_ref().unchecked_ref())?;
    press.forget();
    drag.forget();
    release.forget();
    Ok(())
}
