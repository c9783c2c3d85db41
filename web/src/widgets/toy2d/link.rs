//! The page's end of the training worker: it starts the worker, holds outgoing messages until the
//! worker is listening, and collects what comes back (including the worker's own failures) for
//! the widget's loop to read once per tick.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;

use super::messages::{FromTrainer, ToTrainer};
use crate::worker;

pub struct Link {
    worker: web_sys::Worker,
    ready: bool,
    /// Sent before the worker was ready.
    held: Vec<ToTrainer>,
    received: Rc<RefCell<Vec<FromTrainer>>>,
    /// The worker failed to start or panicked: it answers nothing any more.
    pub dead: bool,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

impl Link {
    pub fn spawn() -> Result<Self, String> {
        let worker = worker::spawn("toy2d_trainer")?;
        let received = Rc::new(RefCell::new(Vec::new()));
        let inbox = received.clone();
        let on_message =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                let msg = worker::decode::<FromTrainer>(e.data())
                    .unwrap_or_else(|message| FromTrainer::Failed { message });
                inbox.borrow_mut().push(msg);
            });
        let inbox = received.clone();
        // an `ErrorEvent` for an exception, a plain `Event` when the script could not load
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            let message = js_sys::Reflect::get(&e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
                .unwrap_or_else(|| "it could not be started".into());
            inbox.borrow_mut().push(FromTrainer::Panicked {
                message: format!("the training worker failed: {message}"),
            });
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
        })
    }

    /// Sends `msg` now, or as soon as the worker is listening.
    pub fn send(&mut self, msg: ToTrainer) {
        if self.dead {
            return;
        }
        if !self.ready {
            self.held.push(msg);
            return;
        }
        match worker::encode(&msg) {
            Ok(value) => {
                if let Err(e) = self.worker.post_message(&value) {
                    self.received.borrow_mut().push(FromTrainer::Failed {
                        message: format!("a message to the training worker failed: {e:?}"),
                    });
                }
            }
            Err(message) => self
                .received
                .borrow_mut()
                .push(FromTrainer::Failed { message }),
        }
    }

    /// What the worker said since the last call.
    pub fn receive(&mut self) -> Vec<FromTrainer> {
        let got: Vec<FromTrainer> = self.received.borrow_mut().drain(..).collect();
        if got.iter().any(|m| {
            matches!(
                m,
                FromTrainer::Panicked { .. } | FromTrainer::BootFailed { .. }
            )
        }) {
            self.dead = true;
            self.held.clear();
        }
        if !self.ready && got.iter().any(|m| matches!(m, FromTrainer::Ready)) {
            self.ready = true;
            for msg in std::mem::take(&mut self.held) {
                self.send(msg);
            }
        }
        got
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}
