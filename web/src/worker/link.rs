//! The page's end of a worker: it starts the worker, holds outgoing messages until the worker is
//! listening (and sends them the moment it is, not at the widget's next tick), and collects what
//! comes back, its own failures included, for the widget's loop to read once per tick.

use std::cell::RefCell;
use std::marker::PhantomData;
use std::rc::Rc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;

use super::{BOOT_FAILED, PANICKED, READY};
use crate::widgets::event::Event;

/// What the link and its event handlers share.
struct Shared<In> {
    worker: web_sys::Worker,
    ready: bool,
    /// Encoded messages sent before the worker was ready.
    held: Vec<JsValue>,
    received: Vec<Event<In>>,
    dead: bool,
}

impl<In> Shared<In> {
    fn post(&mut self, value: &JsValue) {
        if let Err(e) = self.worker.post_message(value) {
            self.received.push(Event::Failed(format!(
                "a message to the worker failed: {e:?}"
            )));
        }
    }

    /// The worker is listening: what was held goes now.
    fn ready(&mut self) {
        self.ready = true;
        for value in std::mem::take(&mut self.held) {
            self.post(&value);
        }
    }

    /// The worker is dead: it is ended (freeing what it held, GPU memory included), and nothing
    /// it sends afterwards is taken in (its error event echoes the panic it reported).
    fn died(&mut self, message: String) {
        if !self.dead {
            self.dead = true;
            self.held.clear();
            self.worker.terminate();
            self.received.push(Event::Died(message));
        }
    }
}

pub struct Link<Out: Serialize, In: DeserializeOwned> {
    shared: Rc<RefCell<Shared<In>>>,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
    _out: PhantomData<Out>,
}

impl<Out: Serialize, In: DeserializeOwned + 'static> Link<Out, In> {
    /// Starts a worker running the exported function `entry`; `name` says what it is in messages
    /// ("the training worker").
    pub fn spawn(entry: &str, name: &'static str) -> Result<Self, String> {
        let shared = Rc::new(RefCell::new(Shared {
            worker: super::spawn(entry)?,
            ready: false,
            held: Vec::new(),
            received: Vec::new(),
            dead: false,
        }));
        let inbox = shared.clone();
        let ready_mark = format!("{entry}-ready");
        let on_message =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                let data = e.data();
                let text = |key: &str| {
                    js_sys::Reflect::get(&data, &key.into())
                        .ok()
                        .and_then(|v| v.as_string())
                };
                let mut s = inbox.borrow_mut();
                if s.dead {
                    return;
                }
                match text("type").as_deref() {
                    Some(READY) => {
                        // a phase of the cold start (see docs/sampler.md)
                        crate::dom::mark(&ready_mark);
                        s.ready();
                    }
                    Some(PANICKED) => s.died(text("message").unwrap_or_default()),
                    Some(BOOT_FAILED) => s.died(format!(
                        "{name} could not start: {}",
                        text("message").unwrap_or_default()
                    )),
                    _ => {
                        let event =
                            super::decode::<In>(data).map_or_else(Event::Failed, Event::Message);
                        s.received.push(event);
                    }
                }
            });
        let inbox = shared.clone();
        // an `ErrorEvent` for an exception, a plain `Event` when the script could not load
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            let message = js_sys::Reflect::get(&e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
                .unwrap_or_else(|| "it could not be started".into());
            inbox.borrow_mut().died(format!("{name} failed: {message}"));
        });
        {
            let s = shared.borrow();
            s.worker
                .set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            s.worker
                .set_onerror(Some(on_error.as_ref().unchecked_ref()));
        }
        Ok(Self {
            shared,
            _on_message: on_message,
            _on_error: on_error,
            _out: PhantomData,
        })
    }

    /// True once the worker has failed to start or panicked.
    pub fn dead(&self) -> bool {
        self.shared.borrow().dead
    }

    /// Sends `msg` now, or as soon as the worker is listening.
    pub fn send(&mut self, msg: Out) {
        let mut s = self.shared.borrow_mut();
        if s.dead {
            return;
        }
        match super::encode(&msg) {
            Ok(value) if s.ready => s.post(&value),
            Ok(value) => s.held.push(value),
            Err(message) => s.received.push(Event::Failed(message)),
        }
    }

    /// What the worker said since the last call.
    pub fn receive(&mut self) -> Vec<Event<In>> {
        std::mem::take(&mut self.shared.borrow_mut().received)
    }
}

impl<Out: Serialize, In: DeserializeOwned> Drop for Link<Out, In> {
    fn drop(&mut self) {
        let s = self.shared.borrow();
        s.worker.set_onmessage(None);
        s.worker.set_onerror(None);
        s.worker.terminate();
    }
}
