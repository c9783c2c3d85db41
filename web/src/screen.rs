//! Whether a widget is on screen. A widget embedded in a post (in an iframe, or mounted by
//! `embed.js`) pauses what it animates and trains while the reader has scrolled it away, says so,
//! and goes on when the reader comes back: an `IntersectionObserver` on its root element (in an
//! iframe it observes against the post's viewport). Widgets that are not watched are always on
//! screen.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::{Element, IntersectionObserver, IntersectionObserverEntry};

/// What a paused widget says while it is off screen.
pub const NOTE: &str = "Paused while off screen: it goes on when you scroll back.";

#[derive(Clone)]
pub struct Screen {
    inner: Rc<Inner>,
}

struct Inner {
    onscreen: Cell<bool>,
    /// The value changed since the widget last asked ([`Screen::take_change`]).
    changed: Cell<bool>,
    /// The widget says it paused because it is off screen (what its note shows).
    paused: Cell<bool>,
    observer: RefCell<Option<(IntersectionObserver, Closure<dyn FnMut(js_sys::Array)>)>>,
}

impl Default for Screen {
    fn default() -> Self {
        Self {
            inner: Rc::new(Inner {
                onscreen: Cell::new(true),
                changed: Cell::new(false),
                paused: Cell::new(false),
                observer: RefCell::default(),
            }),
        }
    }
}

impl Screen {
    /// Watches `el` from now on (its `data-offscreen` says what was seen last).
    pub fn watch(&self, el: &Element) -> Result<(), JsValue> {
        let inner = Rc::downgrade(&self.inner);
        let target = el.clone();
        let seen = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
            let Some(inner) = inner.upgrade() else {
                return;
            };
            // the newest entry holds the current state
            let Some(last) = entries
                .iter()
                .last()
                .and_then(|e| e.dyn_into::<IntersectionObserverEntry>().ok())
            else {
                return;
            };
            let on = last.is_intersecting();
            let _ = target.set_attribute("data-offscreen", if on { "false" } else { "true" });
            if on != inner.onscreen.get() {
                inner.onscreen.set(on);
                inner.changed.set(true);
            }
        });
        let observer = IntersectionObserver::new(seen.as_ref().unchecked_ref())?;
        observer.observe(el);
        *self.inner.observer.borrow_mut() = Some((observer, seen));
        Ok(())
    }

    /// True once [`Screen::watch`] was called (a comparison's runs are watched as it is).
    pub fn watching(&self) -> bool {
        self.inner.observer.borrow().is_some()
    }

    pub fn onscreen(&self) -> bool {
        self.inner.onscreen.get()
    }

    /// `Some(onscreen)` once after each change, else `None`.
    pub fn take_change(&self) -> Option<bool> {
        self.inner
            .changed
            .replace(false)
            .then(|| self.inner.onscreen.get())
    }

    /// Records whether the widget paused for being off screen; true when that changed (the
    /// widgets say it every frame, the note is touched only on a change).
    pub fn set_paused(&self, paused: bool) -> bool {
        self.inner.paused.replace(paused) != paused
    }

    /// Stops watching (the widget was unmounted).
    pub fn stop(&self) {
        if let Some((observer, _)) = self.inner.observer.borrow_mut().take() {
            observer.disconnect();
        }
    }
}
