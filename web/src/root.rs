//! One mounted widget's root: the element it lives in, the state it shows to tests and embeds
//! (`data-*` on the element, and a handle object at `element.__playground`), its message area, and
//! whether it is the page's own widget (the only one that writes the URL hash, and whose handle is
//! also `window.__playground`, so old links and tests work). Every widget instance gets its own, so
//! two widgets in one document share nothing.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::{JsCast, JsValue};
use web_sys::Element;

use crate::dom::{self, el};

/// The property of the root element that holds its handle object.
const HOOKS: &str = "__playground";

#[derive(Clone)]
pub struct Root {
    pub el: Element,
    /// What tests and embeds read back of the widget's last result (`__playground`).
    hooks: js_sys::Object,
    /// The page's own widget (mounted on `#app` from the page's hash).
    page: bool,
    /// Set by `Handle::unmount`: the widget's loop ends at its next turn.
    stopped: Rc<Cell<bool>>,
    /// The widget's settings as it last wrote them (`#k=v&…`): what the Embed dialog offers.
    settings: Rc<RefCell<String>>,
    /// Whether the widget is on screen, where it is watched ([`crate::screen`]); always true
    /// where it is not.
    pub screen: crate::screen::Screen,
    /// The widget's links share the document's workers with the other widgets that do (the
    /// figures of a post: `embed.js` asks for it), instead of starting their own.
    pub shared_workers: bool,
}

impl Root {
    /// A widget's root on `el` (a message area is added as its first child). The page's own
    /// widget's handle is `window.__playground` (kept if a test set it before the page started).
    pub fn new(element: Element, page: bool) -> Self {
        let global = js_sys::global();
        let existing = if page {
            js_sys::Reflect::get(&global, &HOOKS.into()).ok()
        } else {
            js_sys::Reflect::get(&element, &HOOKS.into()).ok()
        };
        let hooks = existing
            .filter(|h| h.is_object())
            .map_or_else(js_sys::Object::new, |h| h.unchecked_into());
        let _ = js_sys::Reflect::set(&element, &HOOKS.into(), &hooks);
        if page {
            let _ = js_sys::Reflect::set(&global, &HOOKS.into(), &hooks);
        }
        if element.query_selector(".messages").ok().flatten().is_none()
            && let Ok(area) = el("div", "messages", "")
        {
            let _ = element.prepend_with_node_1(&area);
        }
        Self {
            el: element,
            hooks,
            page,
            stopped: Rc::default(),
            settings: Rc::default(),
            screen: crate::screen::Screen::default(),
            shared_workers: false,
        }
    }

    /// Keeps `hash` as the widget's settings (the Embed dialog's), without writing the URL.
    pub fn remember_settings(&self, hash: &str) {
        *self.settings.borrow_mut() = hash.to_string();
    }

    /// The widget's settings as a hash (`#k=v&…`), as it last wrote them.
    pub fn settings(&self) -> String {
        self.settings.borrow().clone()
    }

    /// Shows the widget in `theme` (`data-theme` on its element; style.css holds the colours).
    /// The page's own widget colours the whole page.
    pub fn set_theme(&self, theme: crate::settings::Theme) {
        self.set("theme", theme.name());
        if self.page
            && let Some(html) = dom::document().document_element()
        {
            let _ = html.set_attribute("data-theme", theme.name());
        }
    }

    pub fn set(&self, key: &str, value: &str) {
        let _ = self.el.set_attribute(&format!("data-{key}"), value);
    }

    pub fn get(&self, key: &str) -> Option<String> {
        self.el.get_attribute(&format!("data-{key}"))
    }

    /// The page's own widget (it alone writes the URL hash).
    pub fn is_page(&self) -> bool {
        self.page
    }

    /// The handle object tests and embeds read (`element.__playground`).
    pub fn hooks(&self) -> &js_sys::Object {
        &self.hooks
    }

    /// True once the widget was unmounted: its loop returns, dropping its workers.
    pub fn stopped(&self) -> bool {
        self.stopped.get()
    }

    /// Ends the widget: its loop stops at its next turn, its element is emptied, and the element
    /// gets a fresh handle object (a later mount there starts from nothing).
    pub fn stop(&self) {
        self.stopped.set(true);
        self.screen.stop();
        self.el.set_inner_html("");
        self.set("status", "unmounted");
        let _ = js_sys::Reflect::set(&self.el, &HOOKS.into(), &js_sys::Object::new());
    }

    /// Sets `hooks[key] = value`.
    pub fn publish(&self, key: &str, value: &JsValue) {
        let _ = js_sys::Reflect::set(&self.hooks, &key.into(), value);
    }

    /// `hooks[key]` where a test set it to a number before the widget started (e.g. a smaller
    /// frame budget, so a short chain is thinned as a long one would be).
    pub fn number(&self, key: &str) -> Option<f64> {
        js_sys::Reflect::get(&self.hooks, &key.into())
            .ok()?
            .as_f64()
    }

    /// Sets `hooks[key]` to a function that queues `cmd` for the widget's loop: a test hook (e.g.
    /// to make a worker panic, as a GPU out-of-memory error would).
    pub fn publish_command<C: Clone + 'static>(
        &self,
        key: &str,
        queue: &crate::controls::Queue<C>,
        cmd: C,
    ) {
        let q = queue.clone();
        let f = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
            q.borrow_mut().push(cmd.clone())
        });
        self.publish(key, f.as_ref());
        f.forget();
    }

    /// Puts the widget's settings in the URL (`#…`), where this is the page's own widget; an
    /// instance mounted by a host page leaves the host's URL alone.
    pub fn write_hash(&self, hash: &str) {
        self.remember_settings(hash);
        if !self.page {
            return;
        }
        if let Ok(history) = dom::window().history() {
            let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(hash));
        }
    }

    /// Shows a message banner (`kind` is `notice`, `warning` or `error`) at the top of the widget.
    pub fn message(&self, kind: &str, text: &str) {
        let Ok(m) = el("p", &format!("message {kind}"), text) else {
            return;
        };
        let _ = m.set_attribute("role", if kind == "error" { "alert" } else { "status" });
        let area = self.el.query_selector(".messages").ok().flatten();
        let _ = area.unwrap_or_else(|| self.el.clone()).append_child(&m);
    }

    /// Like [`Root::message`], but a later message with the same `key` replaces this one in place
    /// (for hints that repeat, so the page does not grow a banner per event).
    pub fn message_once(&self, kind: &str, key: &str, text: &str) {
        let selector = format!(".message[data-key=\"{key}\"]");
        if let Ok(Some(m)) = self.el.query_selector(&selector) {
            m.set_class_name(&format!("message {kind}"));
            m.set_text_content(Some(text));
            return;
        }
        self.message(kind, text);
        if let Ok(all) = self.el.query_selector_all(".messages .message")
            && let Some(m) = all
                .get(all.length().saturating_sub(1))
                .and_then(|n| n.dyn_into::<Element>().ok())
        {
            let _ = m.set_attribute("data-key", key);
        }
    }

    /// Shows (or takes away) the note that the widget paused because it is off screen. It floats
    /// over the widget, so the widget's height, and the post around it, do not move.
    pub fn paused_offscreen(&self, paused: bool) {
        if !self.screen.set_paused(paused) {
            return;
        }
        let note = match self.el.query_selector(":scope > .offscreen-note").ok().flatten() {
            Some(n) => n,
            None if !paused => return,
            None => {
                let Ok(n) = el("p", "offscreen-note", crate::screen::NOTE) else {
                    return;
                };
                let _ = n.set_attribute("role", "status");
                let _ = self.el.append_child(&n);
                n
            }
        };
        let _ = note.toggle_attribute_with_force("hidden", !paused);
        self.set("paused-offscreen", if paused { "true" } else { "false" });
    }

    /// Takes away the message [`Root::message_once`] showed under `key`, if any.
    pub fn unmessage(&self, key: &str) {
        if let Ok(Some(m)) = self.el.query_selector(&format!(".message[data-key=\"{key}\"]")) {
            m.remove();
        }
    }

    /// Like [`Root::message`], unless a message with the same text is on the widget already.
    pub fn message_unless_shown(&self, kind: &str, text: &str) {
        if let Ok(all) = self.el.query_selector_all(".messages .message") {
            let shown = (0..all.length())
                .filter_map(|i| all.get(i)?.text_content())
                .any(|t| t == text);
            if shown {
                return;
            }
        }
        self.message(kind, text);
    }

    /// Puts the widget in the error state with a message a person can read.
    pub fn fail(&self, text: &str) {
        self.set("status", "error");
        self.message("error", text);
    }
}
