//! The page's end of a worker: it starts the worker, holds outgoing messages until the worker is
//! listening, and collects what comes back (including the worker's own failures) for the widget's
//! loop to read once per tick.

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
    /// The worker died with an error event (`worker` names it for people).
    fn died(message: String) -> Self;
}

pub struct Link<Out: Serialize, In: Reply> {
    worker: web_sys::Worker,
    ready: bool,
    /// Sent before the worker was ready.
    held: Vec<Out>,
    received: Rc<RefCell<Vec<In>>>,
    /// The worker failed to start or panicked: it answers nothing any more.
    pub dead: bool,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
    _out: PhantomData<Out>,
}

impl<Out: Serialize, In: Reply> Link<Out, In> {
    /// Starts a worker running the exported function `entry`; `name` says what it is in messages
    /// ("the training worker").
    pub fn spawn(entry: &str, name: &'static str) -> Result<Self, String> {
        let worker = super::spawn(entry)?;
        let received = Rc::new(RefCell::new(Vec::new()));
        let inbox = received.clone();
        let ready_mark = format!("{entry}-ready");
        let on_message =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                let msg = super::decode::<In>(e.data()).unwrap_or_else(In::failed);
                if msg.is_ready() {
                    // a phase of the cold start (see docs/sampler.md)
                    crate::dom::mark(&ready_mark);
                }
                inbox.borrow_mut().push(msg);
            });
        let inbox = received.clone();
        // an `ErrorEvent` for an exception, a plain `Event` when the script could not load
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            let message = js_sys::Reflect::get(&e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
                .unwrap_or_else(|| "it could not be started".into());
            inbox
                .borrow_mut()
                .push(In::died(format!("{name} failed: {message}")));
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Self {
            worker,
            ready: false,
            held: Vec::new(),
            dead: false,
            received,
            _on_message: on_message,
            _on_error: on_error,
            _out: PhantomData,
        })
    }

    /// Sends `msg` now, or as soon as the worker is listening.
    pub fn send(&mut self, msg: Out) {
        if self.dead {
            return;
        }
        if !self.ready {
            self.held.push(msg);
            return;
        }
        let sent = super::encode(&msg).and_then(|value| {
            self.worker
                .post_message(&value)
                .map_err(|e| format!("a message to the worker failed: {e:?}"))
        });
        if let Err(message) = sent {
            self.received.borrow_mut().push(In::failed(message));
        }
    }

    /// What the worker said since the last call.
    /// Once the worker is dead, nothing more: its error event echoes the panic it reported.
    pub fn receive(&mut self) -> Vec<In> {
        let mut got: Vec<In> = self.received.borrow_mut().drain(..).collect();
        if self.dead {
            return Vec::new();
        }
        if let Some(i) = got.iter().position(In::is_fatal) {
            got.truncate(i + 1);
            self.dead = true;
            self.held.clear();
        }
        if !self.ready && got.iter().any(In::is_ready) {
            self.ready = true;
            for msg in std::mem::take(&mut self.held) {
                self.send(msg);
            }
        }
        got
    }
}

impl<Out: Serialize, In: Reply> Drop for Link<Out, In> {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}
