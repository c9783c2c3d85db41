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
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::ErrorEvent)>,
}

impl Link {
    pub fn spawn() -> Result<Self, String> {
        let worker = worker::spawn("toy2d_trainer")?;
        let received = Rc::new(RefCell::new(Vec::new()));
        let inbox = received.clone();
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
            move |e: web_sys::MessageEvent| {
                let msg = worker::decode::<FromTrainer>(e.data())
                    .unwrap_or_else(|message| FromTrainer::Failed { message });
                inbox.borrow_mut().push(msg);
            },
        );
        let inbox = received.clone();
        let on_error = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
            inbox.borrow_mut().push(FromTrainer::Failed {
                message: format!("the training worker failed: {}", e.message()),
            });
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Self {
            worker,
            ready: false,
            held: Vec::new(),
            received,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    /// Sends `msg` now, or as soon as the worker is listening.
    pub fn send(&mut self, msg: ToTrainer) {
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
            Err(message) => self.received.borrow_mut().push(FromTrainer::Failed { message }),
        }
    }

    /// What the worker said since the last call.
    pub fn receive(&mut self) -> Vec<FromTrainer> {
        let got: Vec<FromTrainer> = self.received.borrow_mut().drain(..).collect();
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
        self.worker.terminate();
    }
}
