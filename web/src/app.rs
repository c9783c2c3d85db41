//! Start-up: read the hash, pick the backend, mount the widget; anything that goes wrong ends as a
//! message in the page and `data-status="error"`, never a blank canvas.

use wasm_bindgen::prelude::*;

use crate::backend;
use crate::dom::{self, Root, el};
use crate::state::{BackendChoice, HashState};
use crate::widgets;

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
        if let Ok(root) = root() {
            root.fail(&format!(
                "The app stopped on an internal error: {info}. Reload the page to start again."
            ));
        }
    }));
    let on_hash = Closure::<dyn FnMut()>::new(|| {
        let _ = dom::window().location().reload();
    });
    let _ = dom::window()
        .add_event_listener_with_callback("hashchange", on_hash.as_ref().unchecked_ref());
    on_hash.forget();
    wasm_bindgen_futures::spawn_local(async {
        if let Err(e) = run().await {
            web_sys::console::error_1(&e);
        }
    });
}

/// The element the widget lives in: `#app`, with a message area as its first child.
fn root() -> Result<Root, JsValue> {
    let doc = dom::document();
    let e = match doc.get_element_by_id(ROOT_ID) {
        Some(e) => e,
        None => {
            let e = el("main", "", "")?;
            e.set_id(ROOT_ID);
            doc.body().ok_or("the page has no body")?.append_child(&e)?;
            e
        }
    };
    if e.query_selector(".messages")?.is_none() {
        let area = el("div", "messages", "")?;
        e.append_child(&area)?;
    }
    Ok(Root(e))
}

async fn run() -> Result<(), JsValue> {
    dom::mark("app");
    let root = root()?;
    root.set("status", "loading");
    let mut state = HashState::parse(&dom::window().location().hash().unwrap_or_default());
    let widget = match state.widget.clone() {
        Ok(w) => w,
        Err(msg) => {
            root.set("widget", "none");
            root.fail(&msg);
            return Ok(());
        }
    };
    root.set("widget", widget.name());
    // the header's links are a convenience: a failure there leaves the widget alone
    let _ = mark_nav(widget.name(), state.backend);
    let starting = widgets::Starting::new(widget, &mut state);
    let backend = backend::choose(state.backend).await;
    root.set("backend", backend.kind.attr());
    dom::mark("backend");
    root.message("notice", &backend.note);
    if let Err(msg) = widgets::mount(starting, &root, &backend, &mut state).await {
        root.fail(&msg);
    }
    Ok(())
}

/// The site header's links to the widgets: the current one gets `aria-current="page"`, and each
/// keeps a `backend=` the URL chose (a valid one: a bad value's warning stays on this page).
fn mark_nav(current: &str, backend: BackendChoice) -> Result<(), JsValue> {
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
