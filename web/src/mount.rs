//! Widgets as instances: `mount(element, settings)` mounts a widget on any element, any number of
//! times in one document, each with its own settings (a string in the URL-hash format:
//! `widget=toy2d&data=moons`), workers, state hooks and messages. The page's own widget is one such
//! instance, mounted on `#app` from the page's hash ([`crate::app`]).

use std::cell::RefCell;

use wasm_bindgen::prelude::*;

use crate::backend;
use crate::dom;
use crate::root::Root;
use crate::settings::HashState;
use crate::widgets;

thread_local! {
    /// Every widget mounted in this document: a panic (which ends the whole app) is said in each.
    static MOUNTED: RefCell<Vec<Root>> = const { RefCell::new(Vec::new()) };
}

/// What `mount` gives back to the host page.
#[wasm_bindgen]
pub struct Handle {
    root: Root,
}

#[wasm_bindgen]
impl Handle {
    /// The widget's state for tests and embeds: the same object as `element.__playground`.
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> JsValue {
        self.root.hooks().clone().into()
    }

    /// The root's `data-status` (`loading`, `ready`, …, `error`).
    #[wasm_bindgen(getter)]
    pub fn status(&self) -> String {
        self.root.get("status").unwrap_or_default()
    }

    /// Ends the widget: its loop stops, its workers are ended, its element is emptied.
    pub fn unmount(&self) {
        self.root.stop();
        MOUNTED.with(|m| m.borrow_mut().retain(|r| r.el != self.root.el));
    }
}

/// Mounts the widget that `settings` names (`widget=…`, default `mixture`) on `element`. Settings
/// that cannot be used are warnings in the widget, an unknown widget an error there: the host page
/// gets a handle either way. `options` (an object, or undefined; `embed.js` asks for both):
/// `pauseOffscreen: true` makes the widget pause what it animates and trains while it is
/// scrolled away; `shareWorkers: true` runs its work in the document's shared workers (one per
/// kind for all the widgets that share) instead of workers of its own.
#[wasm_bindgen]
pub fn mount(element: web_sys::Element, settings: &str, options: JsValue) -> Handle {
    crate::run_static_constructors();
    // a second mount on the same element replaces the first
    let before: Vec<Root> = MOUNTED.with(|m| {
        let mut m = m.borrow_mut();
        let (same, other) = m.drain(..).partition(|r: &Root| r.el == element);
        *m = other;
        same
    });
    for r in before {
        r.stop();
    }
    let mut root = Root::new(element, false);
    let option = |key: &str| {
        options.is_object()
            && js_sys::Reflect::get(&options, &key.into())
                .ok()
                .is_some_and(|v| v.is_truthy())
    };
    root.shared_workers = option("shareWorkers");
    if option("pauseOffscreen") {
        let _ = root.screen.watch(&root.el);
    }
    start(root.clone(), HashState::parse(settings));
    Handle { root }
}

/// Runs the widget of `hash` on `root` from now on.
pub fn start(root: Root, hash: HashState) {
    MOUNTED.with(|m| m.borrow_mut().push(root.clone()));
    wasm_bindgen_futures::spawn_local(async move {
        run(&root, hash).await;
    });
}

/// A panic ends the app in this document: every mounted widget says so.
pub fn fail_all(text: &str) {
    MOUNTED.with(|m| {
        for root in m.borrow().iter() {
            root.fail(text);
        }
    });
}

async fn run(root: &Root, mut hash: HashState) {
    root.set("status", "loading");
    let widget = match hash.widget.clone() {
        Ok(w) => w,
        Err(msg) => {
            root.set("widget", "none");
            return root.fail(&msg);
        }
    };
    root.set("widget", widget.name());
    root.set_theme(hash.theme);
    root.remember_settings(&hash.to_hash());
    // keys and the Embed dialog are conveniences: a failure there leaves the widget alone
    let _ = crate::keys::listen(&root.el);
    if root.is_page() {
        let _ = crate::app::mark_nav(widget.name(), hash.backend);
        if !dom::embedded() {
            let _ = crate::embed::offer(root, widget);
        }
    }
    let starting = widgets::Starting::new(widget, &mut hash, root.shared_workers);
    let backend = backend::choose(hash.backend).await;
    // unmounted while the backend started: nothing more is drawn
    if root.stopped() {
        return;
    }
    root.set("backend", backend.kind.attr());
    dom::mark("backend");
    root.message("notice", &backend.note);
    if let Err(msg) = widgets::mount(starting, root, &backend, &mut hash).await
        && !root.stopped()
    {
        root.fail(&msg);
    }
}
