//! Small DOM helpers shared by the widgets.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CanvasRenderingContext2d, Document, Element, HtmlCanvasElement, Window};

pub fn window() -> Window {
    web_sys::window().expect("the app runs in a window")
}

pub fn document() -> Document {
    window().document().expect("a window has a document")
}

/// A new `<tag class="…">` with optional text.
pub fn el(tag: &str, class: &str, text: &str) -> Result<Element, JsValue> {
    let e = document().create_element(tag)?;
    if !class.is_empty() {
        e.set_class_name(class);
    }
    if !text.is_empty() {
        e.set_text_content(Some(text));
    }
    Ok(e)
}

/// True when this page runs in a frame of another page (an iframe in a post).
pub fn embedded() -> bool {
    let w = window();
    match w.top() {
        Ok(Some(top)) => top != w,
        _ => true,
    }
}

/// A canvas for drawing (plots, charts) that stays crisp on a HiDPI screen: its backing store has
/// `devicePixelRatio` (1 to 3) pixels per CSS pixel, and its context is scaled so that drawing code
/// works in `width` × `height` units as on a plain canvas ([`logical_width`] gives them back).
pub fn sharp_canvas(width: u32, height: u32) -> Result<HtmlCanvasElement, JsValue> {
    let scale = window().device_pixel_ratio().clamp(1.0, 3.0);
    let c = canvas(
        (width as f64 * scale).round() as u32,
        (height as f64 * scale).round() as u32,
    )?;
    c.set_attribute("data-scale", &scale.to_string())?;
    context_2d(&c)?.scale(scale, scale)?;
    Ok(c)
}

/// The width of `canvas` in the units its drawing code uses ([`sharp_canvas`]'s, else pixels).
pub fn logical_width(canvas: &HtmlCanvasElement) -> f64 {
    canvas.width() as f64 / scale_of(canvas)
}

/// The height of `canvas` in drawing units (see [`logical_width`]).
pub fn logical_height(canvas: &HtmlCanvasElement) -> f64 {
    canvas.height() as f64 / scale_of(canvas)
}

fn scale_of(canvas: &HtmlCanvasElement) -> f64 {
    canvas
        .get_attribute("data-scale")
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| *s >= 1.0)
        .unwrap_or(1.0)
}

pub fn canvas(width: u32, height: u32) -> Result<HtmlCanvasElement, JsValue> {
    let c: HtmlCanvasElement = document().create_element("canvas")?.dyn_into()?;
    c.set_width(width);
    c.set_height(height);
    Ok(c)
}

/// The canvas's 2-D drawing context.
pub fn context_2d(canvas: &HtmlCanvasElement) -> Result<CanvasRenderingContext2d, JsValue> {
    canvas
        .get_context("2d")?
        .ok_or("this browser cannot draw on a canvas")?
        .dyn_into::<CanvasRenderingContext2d>()
        .map_err(JsValue::from)
}

/// Milliseconds since navigation started (or since a worker started), in a page or a worker.
pub fn now_ms() -> f64 {
    js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .map_or(0.0, |p| p.now())
}

/// A `performance.mark` named `playground:<name>`: the phases of a cold start (app, backend,
/// manifest, weights, first image) for the benchmark and the browser's performance panel.
pub fn mark(name: &str) {
    if let Some(p) = window().performance() {
        let _ = p.mark(&format!("playground:{name}"));
    }
}

/// Resolves after about `ms` milliseconds, in a page or a worker (both have `setTimeout`).
pub async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let timer = js_sys::Reflect::get(&js_sys::global(), &"setTimeout".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        match timer {
            Some(f) => {
                let _ = f.call2(&JsValue::NULL, &resolve, &ms.into());
            }
            None => {
                let _ = resolve.call0(&JsValue::NULL);
            }
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Resolves on the next animation frame, so the browser can paint between steps.
pub async fn next_frame() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().request_animation_frame(&resolve);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Resolves on the next animation frame, or after `ms` where no frame comes first: browsers send
/// no frames to a hidden tab, and timers still run there (if throttled).
pub async fn next_frame_or(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let w = window();
        let _ = w.request_animation_frame(&resolve);
        let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Resolves after the browser has run the tasks already queued (input, timers, a frame when one
/// is due): a message to ourselves through a `MessageChannel`, which, unlike a zero timeout, is not
/// clamped to 4 ms. Unlike [`next_frame`] it does not wait for the next frame, so work sliced this
/// way keeps the CPU busy while the page stays responsive.
pub async fn yield_now() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let Ok(channel) = web_sys::MessageChannel::new() else {
            let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
            return;
        };
        channel.port1().set_onmessage(Some(&resolve));
        let _ = channel.port2().post_message(&JsValue::NULL);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// A future started now rather than when first awaited (Rust futures are lazy): the page can set
/// a download going and do other work meanwhile.
pub struct Eager<T> {
    slot: std::rc::Rc<std::cell::RefCell<Option<T>>>,
    done: js_sys::Promise,
}

/// Runs `work` on the page's executor from now on; [`Eager::get`] waits for its output.
pub fn eager<T: 'static>(work: impl std::future::Future<Output = T> + 'static) -> Eager<T> {
    let slot = std::rc::Rc::new(std::cell::RefCell::new(None));
    let mut finish: Option<js_sys::Function> = None;
    let done = js_sys::Promise::new(&mut |resolve, _| finish = Some(resolve));
    let out = slot.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let value = work.await;
        *out.borrow_mut() = Some(value);
        if let Some(resolve) = finish {
            let _ = resolve.call0(&JsValue::NULL);
        }
    });
    Eager { slot, done }
}

impl<T> Eager<T> {
    pub async fn get(self) -> T {
        let _ = wasm_bindgen_futures::JsFuture::from(self.done).await;
        self.slot
            .borrow_mut()
            .take()
            .expect("an eager future's output is taken once, after it resolved")
    }
}
