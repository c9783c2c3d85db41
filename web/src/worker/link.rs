//! The page's end of a worker: it starts the worker, holds outgoing messages until the worker is
//! listening (and sends them the moment it is, not at the widget's next tick), and collects what
//! comes back, its own failures included, for the widget's loop to read once per tick.
//!
//! A link is a *channel* of a worker: every message carries its channel's number, and the worker
//! runs one [`super::Job`] per channel ([`super::serve`]). A widget's link has a worker of its
//! own, unless the widget shares ([`Link::spawn_shared`]: the figures of a post, mounted by
//! `embed.js`): then the links of one entry share one worker per document, which works for each in
//! turn, so six figures do not hold seven wasm instances. A worker that dies takes all its
//! channels with it; each widget then starts a new one, as with a worker of its own.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::marker::PhantomData;
use std::rc::{Rc, Weak};

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;

use super::{BOOT_FAILED, PANICKED, READY};
use crate::widgets::event::Event;

/// What a channel received, not decoded yet (the channel's link knows its type).
enum Raw {
    Message(JsValue),
    Failed(String),
    Died(String),
}

/// One link's share of a worker.
#[derive(Default)]
struct Channel {
    /// Messages sent before the worker was ready (already wrapped for the channel), with what
    /// they transfer.
    held: Vec<(JsValue, Option<js_sys::Array>)>,
    received: Vec<Raw>,
    dead: bool,
}

/// A worker and its channels.
struct Worker {
    worker: web_sys::Worker,
    /// The entry it runs, where it is shared (it is then the document's worker of that entry).
    shared: Option<String>,
    ready: bool,
    dead: bool,
    channels: BTreeMap<u32, Rc<RefCell<Channel>>>,
    next: u32,
    _on_message: Option<Closure<dyn FnMut(web_sys::MessageEvent)>>,
    _on_error: Option<Closure<dyn FnMut(web_sys::Event)>>,
}

thread_local! {
    /// The document's shared worker of each entry.
    static SHARED: RefCell<HashMap<String, Weak<RefCell<Worker>>>> = RefCell::default();
}

/// `msg` (encoded) addressed to channel `ch`.
fn envelope(ch: u32, msg: Option<&JsValue>) -> JsValue {
    let o = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&o, &"ch".into(), &ch.into());
    match msg {
        Some(m) => js_sys::Reflect::set(&o, &"msg".into(), m),
        // no message: the channel is closed (its job is dropped)
        None => js_sys::Reflect::set(&o, &"close".into(), &true.into()),
    }
    .ok();
    o.into()
}

impl Worker {
    fn post(&self, value: &JsValue, transfer: Option<&js_sys::Array>, channel: &mut Channel) {
        let posted = match transfer {
            Some(t) => self.worker.post_message_with_transfer(value, t),
            None => self.worker.post_message(value),
        };
        if let Err(e) = posted {
            channel
                .received
                .push(Raw::Failed(format!("a message to the worker failed: {e:?}")));
        }
    }

    /// The worker is listening: what every channel held goes now.
    fn ready(&mut self) {
        self.ready = true;
        for ch in self.channels.values() {
            let mut c = ch.borrow_mut();
            for (value, transfer) in std::mem::take(&mut c.held) {
                self.post(&value, transfer.as_ref(), &mut c);
            }
        }
    }

    /// The worker is dead: it is ended (freeing what it held, GPU memory included), every channel
    /// hears it, and nothing it sends afterwards is taken in.
    fn died(&mut self, message: String) {
        if self.dead {
            return;
        }
        self.dead = true;
        self.worker.terminate();
        for ch in self.channels.values() {
            let mut c = ch.borrow_mut();
            c.dead = true;
            c.held.clear();
            c.received.push(Raw::Died(message.clone()));
        }
        if let Some(entry) = &self.shared {
            SHARED.with(|s| s.borrow_mut().remove(entry));
        }
    }

    /// Starts a worker running the exported function `entry`; `shared`: the document's shared
    /// worker of that key.
    fn start(
        entry: &str,
        name: &'static str,
        shared: Option<String>,
    ) -> Result<Rc<RefCell<Self>>, String> {
        let this = Rc::new(RefCell::new(Self {
            worker: super::spawn(entry)?,
            shared,
            ready: false,
            dead: false,
            channels: BTreeMap::new(),
            next: 0,
            _on_message: None,
            _on_error: None,
        }));
        let me = Rc::downgrade(&this);
        let ready_mark = format!("{entry}-ready");
        let on_message =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                let Some(me) = me.upgrade() else {
                    return;
                };
                let data = e.data();
                let get = |key: &str| js_sys::Reflect::get(&data, &key.into()).ok();
                let text = |key: &str| get(key).and_then(|v| v.as_string());
                let mut w = me.borrow_mut();
                if w.dead {
                    return;
                }
                match text("type").as_deref() {
                    Some(READY) => {
                        // a phase of the cold start (see docs/sampler.md)
                        crate::dom::mark(&ready_mark);
                        w.ready();
                    }
                    Some(PANICKED) => w.died(text("message").unwrap_or_default()),
                    Some(BOOT_FAILED) => w.died(format!(
                        "{name} could not start: {}",
                        text("message").unwrap_or_default()
                    )),
                    _ => {
                        let ch = get("ch").and_then(|v| v.as_f64()).map(|c| c as u32);
                        let channel = ch.and_then(|c| w.channels.get(&c));
                        if let (Some(c), Some(msg)) = (channel, get("msg")) {
                            c.borrow_mut().received.push(Raw::Message(msg));
                        }
                    }
                }
            });
        let me = Rc::downgrade(&this);
        // an `ErrorEvent` for an exception, a plain `Event` when the script could not load
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            let message = js_sys::Reflect::get(&e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
                .unwrap_or_else(|| "it could not be started".into());
            if let Some(me) = me.upgrade() {
                me.borrow_mut().died(format!("{name} failed: {message}"));
            }
        });
        {
            let mut w = this.borrow_mut();
            w.worker
                .set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            w.worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            w._on_message = Some(on_message);
            w._on_error = Some(on_error);
        }
        Ok(this)
    }

    /// A new channel on this worker.
    fn open(&mut self) -> (u32, Rc<RefCell<Channel>>) {
        let ch = self.next;
        self.next += 1;
        let channel = Rc::new(RefCell::new(Channel::default()));
        self.channels.insert(ch, channel.clone());
        (ch, channel)
    }
}

pub struct Link<Out: Serialize, In: DeserializeOwned> {
    worker: Rc<RefCell<Worker>>,
    ch: u32,
    channel: Rc<RefCell<Channel>>,
    _types: PhantomData<(Out, In)>,
}

impl<Out: Serialize, In: DeserializeOwned + 'static> Link<Out, In> {
    /// Starts a worker of its own running the exported function `entry`; `name` says what it is
    /// in messages ("the training worker").
    pub fn spawn(entry: &str, name: &'static str) -> Result<Self, String> {
        Ok(Self::on(Worker::start(entry, name, None)?))
    }

    /// A channel of the document's shared worker `slot` of `entry` (started if there is none,
    /// or the last one died); a pool's workers are slots 0, 1, …
    pub fn spawn_shared(entry: &str, name: &'static str, slot: usize) -> Result<Self, String> {
        let key = match slot {
            0 => entry.to_string(),
            k => format!("{entry}#{k}"),
        };
        let alive = SHARED
            .with(|s| s.borrow().get(&key).and_then(Weak::upgrade))
            .filter(|w| !w.borrow().dead);
        let worker = match alive {
            Some(w) => w,
            None => {
                let w = Worker::start(entry, name, Some(key.clone()))?;
                SHARED.with(|s| s.borrow_mut().insert(key, Rc::downgrade(&w)));
                w
            }
        };
        Ok(Self::on(worker))
    }

    /// Either: a worker of its own, or a channel of the shared one.
    pub fn start(entry: &str, name: &'static str, shared: bool) -> Result<Self, String> {
        Self::start_slot(entry, name, shared, 0)
    }

    /// The same for worker `slot` of a pool.
    pub fn start_slot(
        entry: &str,
        name: &'static str,
        shared: bool,
        slot: usize,
    ) -> Result<Self, String> {
        if shared {
            Self::spawn_shared(entry, name, slot)
        } else {
            Self::spawn(entry, name)
        }
    }

    fn on(worker: Rc<RefCell<Worker>>) -> Self {
        let (ch, channel) = worker.borrow_mut().open();
        Self {
            worker,
            ch,
            channel,
            _types: PhantomData,
        }
    }

    /// True once the worker has failed to start or panicked.
    pub fn dead(&self) -> bool {
        self.channel.borrow().dead
    }

    /// Sends `msg` now, or as soon as the worker is listening.
    pub fn send(&mut self, msg: Out) {
        let w = self.worker.borrow();
        let mut c = self.channel.borrow_mut();
        if c.dead {
            return;
        }
        match super::encode(&msg) {
            Ok(value) if w.ready => w.post(&envelope(self.ch, Some(&value)), None, &mut c),
            Ok(value) => c.held.push((envelope(self.ch, Some(&value)), None)),
            Err(message) => c.received.push(Raw::Failed(message)),
        }
    }

    /// A pipe between this link's job and `other`'s, in their workers: a `MessageChannel` whose
    /// ends each worker takes for its channel, so the two jobs send each other messages
    /// ([`super::post_peer`]) without the page, whose loop reads messages once a frame.
    pub fn pipe(&mut self, other: &mut Self) -> Result<(), String> {
        let channel = web_sys::MessageChannel::new()
            .map_err(|e| format!("the workers could not be connected ({e:?})"))?;
        for (link, port, peer) in [
            (&*self, channel.port1(), other.ch),
            (&*other, channel.port2(), self.ch),
        ] {
            let o = js_sys::Object::new();
            let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&o, &k.into(), v);
            set("ch", &link.ch.into())
                .and_then(|_| set("pipe", &port))
                .and_then(|_| set("peer", &peer.into()))
                .map_err(|e| format!("the workers could not be connected ({e:?})"))?;
            let w = link.worker.borrow();
            let mut c = link.channel.borrow_mut();
            let transfer = js_sys::Array::of1(&port);
            if w.ready {
                w.post(&o, Some(&transfer), &mut c);
            } else {
                c.held.push((o.into(), Some(transfer)));
            }
        }
        Ok(())
    }

    /// What the worker said since the last call.
    pub fn receive(&mut self) -> Vec<Event<In>> {
        let raw = std::mem::take(&mut self.channel.borrow_mut().received);
        raw.into_iter()
            .map(|r| match r {
                Raw::Message(v) => super::decode::<In>(v).map_or_else(Event::Failed, Event::Message),
                Raw::Failed(m) => Event::Failed(m),
                Raw::Died(m) => Event::Died(m),
            })
            .collect()
    }
}

impl<Out: Serialize, In: DeserializeOwned> Drop for Link<Out, In> {
    /// Closes the channel (the worker drops its job); a worker left with no channel is ended and
    /// hears nothing more. Before the worker is ready nothing of the channel was sent: its held
    /// messages go with it.
    fn drop(&mut self) {
        let mut w = self.worker.borrow_mut();
        w.channels.remove(&self.ch);
        if w.channels.is_empty() {
            w.worker.set_onmessage(None);
            w.worker.set_onerror(None);
            if !w.dead {
                w.worker.terminate();
                w.dead = true;
                if let Some(entry) = w.shared.clone() {
                    SHARED.with(|s| s.borrow_mut().remove(&entry));
                }
            }
        } else if w.ready && !w.dead {
            let _ = w.worker.post_message(&envelope(self.ch, None));
        }
    }
}
