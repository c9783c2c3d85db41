//! `window.__playground`: what a test (or a curious reader in the console) can read back of the
//! page's last result, without scraping pixels.

use wasm_bindgen::JsValue;

/// Sets `window.__playground[key] = value`.
pub fn publish(key: &str, value: &JsValue) {
    let global = js_sys::global();
    let hooks = js_sys::Reflect::get(&global, &"__playground".into())
        .ok()
        .filter(|h| h.is_object())
        .unwrap_or_else(|| {
            let h: JsValue = js_sys::Object::new().into();
            let _ = js_sys::Reflect::set(&global, &"__playground".into(), &h);
            h
        });
    let _ = js_sys::Reflect::set(&hooks, &key.into(), value);
}

/// `window.__playground[key]` where a test set it to a number before the page started (e.g. a
/// smaller frame budget, so a short chain is thinned as a long one would be).
pub fn number(key: &str) -> Option<f64> {
    let hooks = js_sys::Reflect::get(&js_sys::global(), &"__playground".into()).ok()?;
    js_sys::Reflect::get(&hooks, &key.into()).ok()?.as_f64()
}

/// Sets `window.__playground[key]` to a function that queues `cmd` for the widget's loop: a test
/// hook (e.g. to make a worker panic, as a GPU out-of-memory error would).
pub fn publish_command<C: Clone + 'static>(key: &str, queue: &crate::controls::Queue<C>, cmd: C) {
    let q = queue.clone();
    let f = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
        q.borrow_mut().push(cmd.clone())
    });
    publish(key, f.as_ref());
    f.forget();
}
