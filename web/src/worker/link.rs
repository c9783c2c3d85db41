//! The page's end of a worker: it starts the worker, holds outgoing messages until the worker is
//! listening (and sends them the moment it is, not at the widget's next tick), and collects what
//! comes back (including the worker's own failures) for the widget's loop to read once per tick.

use std::cell::RefCell;
use std::marker::PhantomData;
use std::rc::Rc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;

/// What a worker sends back, as far as the link needs to know.
pub trait Reply: DeserializeOwned + 'static {
    /// The worker's first message: it is listening.
    fn is_ready(&self) -> bool;
    /// The worker panicked or could not boot: it answers nothing any more.
    fn is_fatal(&self) -> bool;
    /// A message could not be sent or read (the worker lives on).
    fn failed(message: String) -> Self;
    /// The worker died with an error event.
    fn died(message: String) -> Self;
}

/// What the link and its event handlers share.
struct Shared<In> {
    worker: web_sys::Worker,
    ready: bool,
    /// Encoded messages sent before the worker was ready.
    held: Vec<JsValue>,
    received: Vec<In>,
    /// The worker failed to start or panicked: it answers nothing any more.
    dead: bool,
}

impl<In: Reply> Shared<In> {
    fn post(&mut self, value: &JsValue) {
        if let Err(e) = self.worker.post_message(value) {
            self.received
                .push(In::failed(format!("a message to the worker failed: {e:?}")));
        }
    }

    /// Takes in what the worker said; after a fatal message nothing more is taken (its error
    /// event echoes the panic it reported), and the worker is ended, freeing what it held.
    fn take(&mut self, msg: In) {
        if self.dead {
            return;
        }
        if msg.is_fatal() {
            self.dead = true;
            self.held.clear();
            self.worker.terminate();
        } else if msg.is_ready() && !self.ready {
            self.ready = true;
            for value in std::mem::take(&mut self.held) {
                self.post(&value);
            }
        }
        self.received.push(msg);
    }
}

pub struct Link<Out: Serialize, In: Reply> {
    shared: Rc<RefCell<Shared<In>>>,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
    _out: PhantomData<Out>,
}

impl<Out: Serialize, In: Reply> Link<Out, In> {
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
                let msg = super::decode::<In>(e.data()).unwrap_or_else(In::failed);
                if msg.is_ready() {
                    // a phase of the cold start (see docs/sampler.md)
                    crate::dom::mark(&ready_mark);
                }
                inbox.borrow_mut().take(msg);
            });
        let inbox = shared.clone();
        // an `ErrorEvent` for an exception, a plain `Event` when the script could not load
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            let message = js_sys::Reflect::get(&e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
                .unwrap_or_else(|| "it could not be started".into());
            inbox
                .borrow_mut()
                .take(In::died(format!("{name} failed: {message}")));
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
            Err(message) => s.received.push(In::failed(message)),
        }
    }

    /// What the worker said since the last call.
    pub fn receive(&mut self) -> Vec<In> {
        std::mem::take(&mut self.shared.borrow_mut().received)
    }
}

impl<Out: Serialize, In: Reply> Drop for Link<Out, In> {
    fn drop(&mut self) {
        let s = self.shared.borrow();
        s.worker.set_onmessage(None);
        s.worker.set_onerror(None);
        s.worker.terminate();
    }
}
