//! The sampler's editing pad: the image to edit and the mask of what to regenerate. A person
//! draws on it with the mouse, a pen or a finger (pointer events): white ink with the Ink brush,
//! the part to regenerate with the Mask brush (shown red); a stroke is undone, or all cleared. The
//! image under the ink is blank (black, as MNIST), or one the glue sets: the followed sample of
//! the grid, or an image file opened or dropped on the pad ([`Pad::set_base`]). Strokes are kept
//! in [0, 1]² so they fit any model's size (`data::draw::rasterize`).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlCanvasElement, PointerEvent};

use super::panel::{Cmd, Queue};
use super::session::{EditKind, Painted};
use crate::controls::{button, on};
use crate::dom::{self, el};

/// Brush radius in pixels of a 28-pixel canvas (scaled with the model's size), at first.
const BRUSH: f32 = 1.6;
/// The pad's side on screen, in CSS pixels.
const SHOWN: u32 = 168;

/// What a stroke paints.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Layer {
    Ink,
    Mask,
}

struct Stroke {
    layer: Layer,
    /// Radius in pixels of a 28-pixel canvas.
    radius: f32,
    points: Vec<[f32; 2]>,
}

/// The image under the strokes: [C·H·W] values in [−1, 1], and [C, H, W].
type Base = (Vec<f32>, [usize; 3]);

#[derive(Default)]
struct State {
    strokes: Vec<Stroke>,
    base: Option<Base>,
}

pub struct Pad {
    canvas: HtmlCanvasElement,
    state: Rc<RefCell<State>>,
    /// The brush chosen, and its radius.
    layer: Rc<Cell<Layer>>,
    radius: Rc<Cell<f32>>,
    /// The pointer drawing the current stroke (another finger, or a drag begun elsewhere, does
    /// not extend it).
    drawing: Rc<Cell<Option<i32>>>,
    /// The file input of "Open an image".
    pub file: Element,
}

impl Pad {
    pub fn build(parent: &Element, queue: &Queue) -> Result<Self, JsValue> {
        let section = el("details", "edit-drawing", "")?;
        section.set_attribute("data-control", "edit")?;
        section.append_child(&el("summary", "", "Edit an image (SDEdit, inpainting, inversion)…")?.into())?;
        section.append_child(
            &el(
                "p",
                "",
                "Draw a digit (Ink), or take the image you follow in the grid, or open or drop an \
                 image file. SDEdit noises it to the edit strength and lets the model take it back \
                 as the class chosen (low keeps your strokes, 1 forgets them). Inpaint regenerates \
                 what you paint with the Mask brush and keeps the rest. Invert takes it to its \
                 noise and back (the first image; the second is that noise as the class chosen). \
                 Interpolate walks between the last two images you clicked in a sampled grid.",
            )?
            .into(),
        )?;
        let canvas = dom::canvas(28, 28)?;
        canvas.set_class_name("edit-pad");
        canvas.set_attribute("aria-label", "editing pad: press and drag to draw or to paint the mask")?;
        canvas.set_attribute("style", &format!("width:{SHOWN}px;height:{SHOWN}px"))?;
        section.append_child(&canvas)?;

        let tools = el("div", "toolbar", "")?;
        let pad = Self {
            canvas,
            state: Rc::default(),
            layer: Rc::new(Cell::new(Layer::Ink)),
            radius: Rc::new(Cell::new(BRUSH)),
            drawing: Rc::default(),
            file: dom::document().create_element("input")?,
        };
        // the brush: ink or mask, and its size
        let brush = dom::document().create_element("select")?;
        brush.set_attribute("name", "brush")?;
        brush.set_attribute("aria-label", "brush")?;
        brush.set_inner_html(
            "<option value=\"ink\">Ink brush</option><option value=\"mask\">Mask brush (regenerate)</option>",
        );
        let layer = pad.layer.clone();
        listen(&brush, "change", move |e: web_sys::Event| {
            let v = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok())
                .map(|s| s.value());
            layer.set(if v.as_deref() == Some("mask") { Layer::Mask } else { Layer::Ink });
        })?;
        tools.append_child(&brush)?;
        let size = crate::controls::input("range", "0.8", "5", "0.2", &BRUSH.to_string())?;
        size.set_attribute("name", "brush-size")?;
        size.set_attribute("aria-label", "brush size")?;
        let radius = pad.radius.clone();
        listen(&size, "input", move |e: web_sys::Event| {
            if let Some(v) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                .and_then(|i| i.value().parse::<f32>().ok())
            {
                radius.set(v.clamp(0.5, 6.0));
            }
        })?;
        tools.append_child(&size)?;
        for (text, name) in [("Undo stroke", "undo-stroke"), ("Clear", "clear-drawing")] {
            let b = el("button", "", text)?;
            b.set_attribute("type", "button")?;
            b.set_attribute("name", name)?;
            let (state, canvas) = (pad.state.clone(), pad.canvas.clone());
            let undo = name == "undo-stroke";
            listen(&b, "click", move |_: web_sys::Event| {
                let mut s = state.borrow_mut();
                if undo {
                    s.strokes.pop();
                } else {
                    *s = State::default();
                }
                let _ = redraw(&canvas, &s);
            })?;
            tools.append_child(&b)?;
        }
        section.append_child(&tools)?;

        // where the image comes from
        let sources = el("div", "toolbar", "")?;
        button(&sources, "Use the followed image", "use-followed", queue, Cmd::UseFollowed)?;
        let open = el("label", "file-pick", "Open an image… ")?;
        pad.file.set_attribute("type", "file")?;
        pad.file.set_attribute("name", "edit-image")?;
        pad.file.set_attribute("accept", "image/*")?;
        on(&pad.file, "change", queue, |_| Cmd::OpenImage)?;
        open.append_child(&pad.file)?;
        sources.append_child(&open)?;
        section.append_child(&sources)?;

        let actions = el("div", "toolbar", "")?;
        button(&actions, "SDEdit", "edit", queue, Cmd::EditPressed(EditKind::Sdedit))?;
        button(&actions, "Inpaint", "inpaint", queue, Cmd::EditPressed(EditKind::Inpaint))?;
        button(&actions, "Invert", "invert", queue, Cmd::EditPressed(EditKind::Invert))?;
        button(&actions, "Interpolate", "interpolate", queue, Cmd::Interpolate)?;
        section.append_child(&actions)?;
        parent.append_child(&section)?;
        pad.listen(queue)?;
        redraw(&pad.canvas, &pad.state.borrow())?;
        Ok(pad)
    }

    /// Pointer events: a press starts a stroke of the brush chosen, a drag extends it; a file
    /// dropped on the pad is opened as the image.
    fn listen(&self, queue: &Queue) -> Result<(), JsValue> {
        let at = |c: &HtmlCanvasElement, e: &PointerEvent| -> [f32; 2] {
            let (w, h) = (c.client_width().max(1) as f32, c.client_height().max(1) as f32);
            [(e.offset_x() as f32 / w).clamp(0.0, 1.0), (e.offset_y() as f32 / h).clamp(0.0, 1.0)]
        };
        let (state, canvas, drawing) = (self.state.clone(), self.canvas.clone(), self.drawing.clone());
        let (layer, radius) = (self.layer.clone(), self.radius.clone());
        listen(&self.canvas, "pointerdown", move |e: PointerEvent| {
            if drawing.get().is_some() {
                return;
            }
            e.prevent_default();
            drawing.set(Some(e.pointer_id()));
            let _ = canvas.set_pointer_capture(e.pointer_id());
            let mut s = state.borrow_mut();
            s.strokes.push(Stroke {
                layer: layer.get(),
                radius: radius.get(),
                points: vec![at(&canvas, &e)],
            });
            let _ = redraw(&canvas, &s);
        })?;
        let (state, canvas, drawing) = (self.state.clone(), self.canvas.clone(), self.drawing.clone());
        listen(&self.canvas, "pointermove", move |e: PointerEvent| {
            if drawing.get() != Some(e.pointer_id()) || e.buttons() == 0 {
                return;
            }
            let mut s = state.borrow_mut();
            if let Some(stroke) = s.strokes.last_mut() {
                stroke.points.push(at(&canvas, &e));
            }
            let _ = redraw(&canvas, &s);
        })?;
        for event in ["pointerup", "pointercancel"] {
            let drawing = self.drawing.clone();
            listen(&self.canvas, event, move |e: PointerEvent| {
                if drawing.get() == Some(e.pointer_id()) {
                    drawing.set(None);
                }
            })?;
        }
        // a file dropped on the pad: the file input takes it, and says it changed
        listen(&self.canvas, "dragover", |e: web_sys::Event| e.prevent_default())?;
        let (file, q) = (self.file.clone(), queue.clone());
        listen(&self.canvas, "drop", move |e: web_sys::Event| {
            e.prevent_default();
            let files = js_sys::Reflect::get(&e, &"dataTransfer".into())
                .and_then(|d| js_sys::Reflect::get(&d, &"files".into()));
            if let Ok(files) = files
                && !files.is_undefined()
                && !files.is_null()
            {
                let _ = js_sys::Reflect::set(&file, &"files".into(), &files);
                q.borrow_mut().push(Cmd::OpenImage);
            }
        })?;
        Ok(())
    }

    /// Puts `image` ([C·H·W] in [−1, 1], of `shape`) under the strokes, which are cleared.
    pub fn set_base(&self, image: Vec<f32>, shape: [usize; 3]) {
        let mut s = self.state.borrow_mut();
        *s = State {
            strokes: Vec::new(),
            base: Some((image, shape)),
        };
        let _ = redraw(&self.canvas, &s);
    }

    /// The pad as the model's image ([C·H·W] in [−1, 1]: ink over the image) and the mask of
    /// what to regenerate ([H·W] in [0, 1]), with whether there is anything to edit; an image
    /// of another size than the model's is a sentence.
    pub fn read(&self, [c, h, w]: [usize; 3]) -> Result<Painted, String> {
        let s = self.state.borrow();
        let side = h.max(w);
        let ink = rasterize(&s.strokes, Layer::Ink, side);
        let mask = rasterize(&s.strokes, Layer::Mask, side);
        let crop = |v: &[f32]| -> Vec<f32> {
            (0..h)
                .flat_map(|y| (0..w).map(move |x| y * side + x))
                .map(|i| v[i])
                .collect()
        };
        let (ink, mask) = (crop(&ink), crop(&mask));
        let image = match &s.base {
            Some((values, shape)) if *shape != [c, h, w] => {
                return Err(format!(
                    "The image on the pad is {}×{} with {} channel(s); this model takes {w}×{h} with {c}: open another image, or Clear and draw.",
                    shape[2], shape[1], shape[0]
                ));
            }
            Some((values, _)) => values
                .iter()
                .enumerate()
                .map(|(i, v)| v.max(ink[i % (h * w)] * 2.0 - 1.0))
                .collect(),
            None => ink.iter().map(|v| v * 2.0 - 1.0).collect::<Vec<_>>().repeat(c),
        };
        Ok(Painted {
            empty: s.base.is_none() && ink.iter().all(|v| *v <= 0.0),
            image,
            mask,
        })
    }
}

fn listen<E: wasm_bindgen::convert::FromWasmAbi + 'static>(
    target: &Element,
    event: &str,
    f: impl FnMut(E) + 'static,
) -> Result<(), JsValue> {
    let f = Closure::<dyn FnMut(E)>::new(f);
    target.add_event_listener_with_callback(event, f.as_ref().unchecked_ref())?;
    f.forget();
    Ok(())
}

/// The strokes of `layer` (in [0, 1]²) on a `size`-pixel square, values in [0, 1].
fn rasterize(strokes: &[Stroke], layer: Layer, size: usize) -> Vec<f32> {
    let scale = size as f32;
    let mut out = vec![0f32; size * size];
    for s in strokes.iter().filter(|s| s.layer == layer) {
        let px = vec![s.points.iter().map(|p| [p[0] * scale, p[1] * scale]).collect()];
        let one = data::draw::rasterize(&px, size, s.radius * scale / 28.0);
        for (o, v) in out.iter_mut().zip(one) {
            *o = o.max(v);
        }
    }
    out
}

/// The pad on screen: the image (or black) with the ink, the mask over it in red.
fn redraw(canvas: &HtmlCanvasElement, s: &State) -> Result<(), JsValue> {
    let (c, h, w) = match &s.base {
        Some((_, [c, h, w])) => (*c, *h, *w),
        None => (1, 28, 28),
    };
    if canvas.width() as usize != w || canvas.height() as usize != h {
        canvas.set_width(w as u32);
        canvas.set_height(h as u32);
    }
    let side = h.max(w);
    let ink = rasterize(&s.strokes, Layer::Ink, side);
    let mask = rasterize(&s.strokes, Layer::Mask, side);
    let mut rgba = Vec::with_capacity(h * w * 4);
    for y in 0..h {
        for x in 0..w {
            let i = y * side + x;
            let at = |ch: usize| -> f32 {
                let under = s.base.as_ref().map_or(0.0, |(v, _)| {
                    (v[ch.min(c - 1) * h * w + y * w + x] + 1.0) / 2.0
                });
                under.max(ink[i])
            };
            let m = mask[i] * 0.6;
            let [r, g, b] = [at(0), at(1), at(2)];
            let mix = |v: f32, to: f32| ((v * (1.0 - m) + to * m).clamp(0.0, 1.0) * 255.0).round() as u8;
            rgba.extend([mix(r, 1.0), mix(g, 0.0), mix(b, 0.0), 255]);
        }
    }
    crate::render::images::put(canvas, &mut rgba, w, h)
}
