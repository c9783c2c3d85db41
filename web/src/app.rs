//! The page: its own widget is the instance mounted on `#app data-playground-page` from the page's
//! hash (any other page is a host page that mounts widgets itself, through [`crate::mount::mount`]). Anything that
//! goes wrong ends as a message in the widget and `data-status="error"`, never a blank canvas.

use wasm_bindgen::prelude::*;

use crate::dom;
use crate::mount;
use crate::root::Root;
use crate::settings::{BackendChoice, HashState};

const ROOT_ID: &str = "app";

#[wasm_bindgen(start)]
pub fn start() {
    crate::run_static_constructors();
    if crate::worker::in_worker() {
        // a worker runs one exported entry (see `worker::spawn`), not the page
        crate::worker::report_panics();
        return;
    }
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        mount::fail_all(&format!(
            "The app stopped on an internal error: {info}. Reload the page to start again."
        ));
    }));
    // the app's wasm memory, for the soak script's readings (scripts/soak.mjs)
    let _ = js_sys::Reflect::set(
        &dom::window(),
        &"__playgroundMemory".into(),
        &wasm_bindgen::memory(),
    );
    // the playground's own page marks its root; a host page's `#app` (a Vue or React root, say)
    // is left alone: a host mounts widgets itself
    let Some(app) = dom::document()
        .get_element_by_id(ROOT_ID)
        .filter(|e| e.has_attribute("data-playground-page"))
    else {
        return;
    };
    dom::mark("app");
    // the page's widget is its hash: another hash is another page
    let on_hash = Closure::<dyn FnMut()>::new(|| {
        let _ = dom::window().location().reload();
    });
    let _ = dom::window()
        .add_event_listener_with_callback("hashchange", on_hash.as_ref().unchecked_ref());
    on_hash.forget();
    let hash = HashState::parse(&dom::window().location().hash().unwrap_or_default());
    let root = Root::new(app, true);
    // in a post's iframe the widget pauses while the reader has scrolled it away
    if dom::embedded() {
        let _ = root.screen.watch(&root.el);
    }
    mount::start(root, hash);
}

/// The site header's links to the widgets: the current one gets `aria-current="page"`, and each
/// keeps a `backend=` the URL chose (a valid one: a bad value's warning stays on this page).
pub fn mark_nav(current: &str, backend: BackendChoice) -> Result<(), JsValue> {
    let links = dom::document().query_selector_all("header.site nav a[data-widget]")?;
    for i in 0..links.length() {
        let Some(link) = links
            .item(i)
            .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
        else {
            continue;
        };
        let Some(name) = link.get_attribute("data-widget") else {
            continue;
        };
        if name == current {
            link.set_attribute("aria-current", "page")?;
        }
        if backend != BackendChoice::Auto {
            link.set_attribute("href", &format!("#widget={name}&backend={backend}"))?;
        }
    }
    Ok(())
}
