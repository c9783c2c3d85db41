//! The sampler's drawing pad, for SDEdit: a person draws with the mouse, a pen or a finger
//! (pointer events), undoes a stroke or clears; Edit turns the strokes into the model's image
//! (`data::draw::rasterize`, white on black as MNIST) and the chain edits it. Strokes are kept in
//! [0, 1]² so they fit any model's size.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlCanvasElement, PointerEvent};

use super::panel::{Cmd, Queue};
use crate::controls::button;
use crate::dom::{self, el};

/// Brush radius in pixels of a 28-pixel canvas (scaled with the model's size).
const BRUSH: f32 = 1.6;
/// The pad's side on screen, in CSS pixels.
const SHOWN: u32 = 168;

type Strokes = Rc<RefCell<Vec<Vec<[f32; 2]>>>>;

pub struct Pad {
    canvas: HtmlCanvasElement,
    strokes: Strokes,
    /// The pointer drawing the current stroke (another finger, or a drag begun elsewhere, does
    /// not extend it).
    drawing: Rc<std::cell::Cell<Option<i32>>>,
}

impl Pad {
    pub fn build(parent: &Element, queue: &Queue) -> Result<Self, JsValue> {
        let section = el("details", "edit-drawing", "")?;
        section.set_attribute("data-control", "edit")?;
        section.append_child(&el("summary", "", "Edit a drawing (SDEdit)…")?.into())?;
        section.append_child(
            &el(
                "p",
                "",
                "Draw a digit, choose a class and the edit strength (how far the drawing is noised \
                 before the model takes it back: low keeps your strokes, 1 forgets them), and press \
                 Edit: each image of the grid is one seed's edit.",
            )?
            .into(),
        )?;
        let canvas = dom::canvas(28, 28)?;
        canvas.set_class_name("edit-pad");
        canvas.set_attribute("aria-label", "drawing pad: press and drag to draw")?;
        canvas.set_attribute("style", &format!("width:{SHOWN}px;height:{SHOWN}px"))?;
        section.append_child(&canvas)?;
        let row = el("div", "toolbar", "")?;
        button(&row, "Edit", "edit", queue, Cmd::EditDrawing)?;
        let pad = Self {
            canvas,
            strokes: Rc::default(),
            drawing: Rc::default(),
        };
        for (text, name) in [("Undo stroke", "undo-stroke"), ("Clear drawing", "clear-drawing")] {
            let b = el("button", "", text)?;
            b.set_attribute("type", "button")?;
            b.set_attribute("name", name)?;
            let (strokes, canvas) = (pad.strokes.clone(), pad.canvas.clone());
            let undo = name == "undo-stroke";
            let click = Closure::<dyn FnMut()>::new(move || {
                if undo {
                    strokes.borrow_mut().pop();
                } else {
                    strokes.borrow_mut().clear();
                }
                let _ = redraw(&canvas, &strokes.borrow());
            });
            b.add_event_listener_with_callback("click", click.as_ref().unchecked_ref())?;
            click.forget();
            row.append_child(&b)?;
        }
        section.append_child(&row)?;
        parent.append_child(&section)?;
        pad.listen()?;
        redraw(&pad.canvas, &pad.strokes.borrow())?;
        Ok(pad)
    }

    /// Pointer events: a press starts a stroke, a drag extends it.
    fn listen(&self) -> Result<(), JsValue> {
        let at = |c: &HtmlCanvasElement, e: &PointerEvent| -> [f32; 2] {
            let (w, h) = (c.client_width().max(1) as f32, c.client_height().max(1) as f32);
            [(e.offset_x() as f32 / w).clamp(0.0, 1.0), (e.offset_y() as f32 / h).clamp(0.0, 1.0)]
        };
        let (strokes, canvas, drawing) = (self.strokes.clone(), self.canvas.clone(), self.drawing.clone());
        let down = Closure::<dyn FnMut(PointerEvent)>::new(move |e: PointerEvent| {
            if drawing.get().is_some() {
                return;
            }
            e.prevent_default();
            drawing.set(Some(e.pointer_id()));
            let _ = canvas.set_pointer_capture(e.pointer_id());
            strokes.borrow_mut().push(vec![at(&canvas, &e)]);
            let _ = redraw(&canvas, &strokes.borrow());
        });
        let (strokes, canvas, drawing) = (self.strokes.clone(), self.canvas.clone(), self.drawing.clone());
        let drag = Closure::<dyn FnMut(PointerEvent)>::new(move |e: PointerEvent| {
            if drawing.get() != Some(e.pointer_id()) || e.buttons() == 0 {
                return;
            }
            if let Some(s) = strokes.borrow_mut().last_mut() {
                s.push(at(&canvas, &e));
            }
            let _ = redraw(&canvas, &strokes.borrow());
        });
        self.canvas
            .add_event_listener_with_callback("pointerdown", down.as_ref().unchecked_ref())?;
        self.canvas
            .add_event_listener_with_callback("pointermove", drag.as_ref().unchecked_ref())?;
        let drawing = self.drawing.clone();
        let up = Closure::<dyn FnMut(PointerEvent)>::new(move |e: PointerEvent| {
            if drawing.get() == Some(e.pointer_id()) {
                drawing.set(None);
            }
        });
        for event in ["pointerup", "pointercancel"] {
            self.canvas
                .add_event_listener_with_callback(event, up.as_ref().unchecked_ref())?;
        }
        down.forget();
        drag.forget();
        up.forget();
        Ok(())
    }

    /// The drawing as the model's image, [C·H·W] in [−1, 1] (the same grey in every channel).
    pub fn pixels(&self, [c, h, w]: [usize; 3]) -> Vec<f32> {
        let ink = ink(&self.strokes.borrow(), h.max(w));
        let side = h.max(w);
        let one: Vec<f32> = (0..h)
            .flat_map(|y| (0..w).map(move |x| (y, x)))
            .map(|(y, x)| ink[y * side + x] * 2.0 - 1.0)
            .collect();
        one.repeat(c)
    }
}

/// The strokes (in [0, 1]²) on a `size`-pixel square, values in [0, 1].
fn ink(strokes: &[Vec<[f32; 2]>], size: usize) -> Vec<f32> {
    let scale = size as f32;
    let px: Vec<Vec<[f32; 2]>> = strokes
        .iter()
        .map(|s| s.iter().map(|p| [p[0] * scale, p[1] * scale]).collect())
        .collect();
    data::draw::rasterize(&px, size, BRUSH * scale / 28.0)
}

fn redraw(canvas: &HtmlCanvasElement, strokes: &[Vec<[f32; 2]>]) -> Result<(), JsValue> {
    let size = 28;
    let mut rgba: Vec<u8> = ink(strokes, size)
        .iter()
        .flat_map(|v| {
            let g = (v * 255.0).round() as u8;
            [g, g, g, 255]
        })
        .collect();
    crate::render::images::put(canvas, &mut rgba, size, size)
}
