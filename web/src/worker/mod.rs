//! Running part of the app in a Web Worker: the page's own wasm module, instantiated a second time
//! in a module worker and entered through an exported function. Nothing is built twice: the page
//! hands the worker its compiled `WebAssembly.Module` and the URL of its wasm-bindgen glue, and a
//! few lines of bootstrap (a Blob, so Trunk needs no extra asset) import the glue and call the entry.
//!
//! Messages both ways are serde values (through `serde-wasm-bindgen`), so each side reads typed
//! Rust enums: the worker runs a [`Job`] through [`serve`], the page holds a [`Link`]. Bytes
//! (`serde_bytes`) and [`Floats`] travel as typed arrays, not as arrays of numbers. Besides a
//! widget's own messages, the machinery here says three things of its own (`type`: `ready`,
//! `panicked`, `boot-failed`), which the link reads and widgets see as [`crate::widgets::event::Event`]s.

mod link;

pub use crate::floats::{Floats, JsFloats};
pub use link::Link;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

#[wasm_bindgen]
extern "C" {
    /// The URL of the wasm-bindgen glue this code was loaded through (`import.meta.url` there).
    #[wasm_bindgen(thread_local_v2, js_namespace = ["import", "meta"], js_name = url)]
    static GLUE_URL: String;
}

/// The worker's own messages (a widget's message enum must not use these `type`s).
const READY: &str = "ready";
const PANICKED: &str = "panicked";
/// Posted by [`BOOT`], which spells it out.
const BOOT_FAILED: &str = "boot-failed";

/// Imports the glue, instantiates it on the page's module and calls the entry; a failure is posted
/// back as a `boot-failed` message, since an exception here would otherwise only reach the console.
const BOOT: &str = "if (self.GPUAdapter) {
  // every device the worker opens, kept for the device-loss test hook (worker::lose_devices)
  const open = GPUAdapter.prototype.requestDevice;
  GPUAdapter.prototype.requestDevice = async function (...args) {
    const device = await open.apply(this, args);
    (self.__devices ??= []).push(device);
    // the device in use lost (not one replaced and dropped): backend::lost_reason
    device.lost.then((info) => {
      if (self.__devices.at(-1) === device) self.__lost = `${info.reason ?? 'unknown'}: ${info.message}`;
    });
    return device;
  };
}
self.onmessage = async (e) => {
  self.onmessage = null;
  const { glue, module, entry } = e.data;
  try {
    const m = await import(glue);
    await m.default({ module_or_path: module });
    m[entry]();
  } catch (err) {
    self.postMessage({ type: 'boot-failed', message: String(err) });
  }
};";

/// Test hook: destroys every WebGPU device this worker opened, as a driver reset or a lost GPU
/// would (`GPUDevice.destroy()`); returns how many there were.
pub fn lose_devices() -> u32 {
    let devices = js_sys::Reflect::get(&js_sys::global(), &"__devices".into())
        .ok()
        .and_then(|d| d.dyn_into::<js_sys::Array>().ok());
    let Some(devices) = devices else { return 0 };
    for d in devices.iter() {
        if let Ok(destroy) = js_sys::Reflect::get(&d, &"destroy".into())
            .and_then(|f| f.dyn_into::<js_sys::Function>())
        {
            let _ = destroy.call0(&d);
        }
    }
    devices.length()
}

/// `path` (a path on the playground's site, e.g. `static/weights/manifest.json`) as a URL on the
/// site the app was loaded from, so a widget on a host page at another path or origin fetches the
/// playground's files, not the host's.
pub fn app_url(path: &str) -> String {
    let base = GLUE_URL.with(String::clone);
    web_sys::Url::new_with_base(path, &base).map_or_else(|_| path.to_string(), |u| u.href())
}

/// True when this code runs in a worker (no `window`).
pub fn in_worker() -> bool {
    js_sys::global().dyn_into::<web_sys::Window>().is_err()
}

/// Starts a module worker running this app's exported function `entry`.
pub fn spawn(entry: &str) -> Result<web_sys::Worker, String> {
    let failed = |what: &str, e: JsValue| format!("{what} ({e:?})");
    let parts = js_sys::Array::of1(&JsValue::from_str(BOOT));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/javascript");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|e| failed("the worker's script could not be made", e))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|e| failed("the worker's script could not be made", e))?;
    let options = web_sys::WorkerOptions::new();
    options.set_type(web_sys::WorkerType::Module);
    let worker = web_sys::Worker::new_with_options(&url, &options)
        .map_err(|e| failed("this browser could not start a module Web Worker", e))?;
    let boot = js_sys::Object::new();
    let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&boot, &k.into(), v);
    let glue = GLUE_URL.with(String::clone);
    set("glue", &glue.into())
        .and_then(|_| set("module", &wasm_bindgen::module()))
        .and_then(|_| set("entry", &entry.into()))
        .map_err(|e| failed("the worker could not be started", e))?;
    worker
        .post_message(&boot)
        .map_err(|e| failed("the worker could not be started", e))?;
    Ok(worker)
}

/// A typed message as a JS value.
pub fn encode<T: Serialize>(msg: &T) -> Result<JsValue, String> {
    let to_js = serde_wasm_bindgen::Serializer::json_compatible().serialize_bytes_as_arrays(false);
    msg.serialize(&to_js)
        .map_err(|e| format!("a message could not be encoded: {e}"))
}

/// A JS value as a typed message.
pub fn decode<T: DeserializeOwned>(value: JsValue) -> Result<T, String> {
    serde_wasm_bindgen::from_value(value).map_err(|e| format!("an unexpected message: {e}"))
}

thread_local! {
    /// In a worker: the channel whose job runs now (what [`post`] addresses).
    static CHANNEL: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    /// In a worker: each channel's pipe to another worker's job ([`Link::pipe`]): the port, and
    /// the channel number of that job in its worker.
    static PIPES: RefCell<std::collections::BTreeMap<u32, (web_sys::MessagePort, u32)>> =
        RefCell::default();
}

/// Posts `msg` (a message of the other job's own type) to the job at the other end of the running
/// job's pipe ([`Link::pipe`]); false where it has none.
pub fn post_peer<T: Serialize>(msg: &T) -> bool {
    let ch = CHANNEL.with(|c| c.get());
    PIPES.with(|p| {
        let pipes = p.borrow();
        let Some((port, peer)) = pipes.get(&ch) else {
            return false;
        };
        let Ok(value) = encode(msg) else {
            return false;
        };
        let o = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&o, &"ch".into(), &(*peer).into());
        let _ = js_sys::Reflect::set(&o, &"msg".into(), &value);
        port.post_message(&o).is_ok()
    })
}

/// Posts `msg` from the worker to the page, to the channel whose job is running.
pub fn post<T: Serialize>(msg: &T) {
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    if let Ok(value) = encode(msg) {
        let o = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&o, &"ch".into(), &CHANNEL.with(|c| c.get()).into());
        let _ = js_sys::Reflect::set(&o, &"msg".into(), &value);
        let _ = scope.post_message(&o);
    }
}

/// Posts one of the worker's own messages ([`READY`], [`PANICKED`]) to the page.
fn signal(kind: &str, message: Option<&str>) {
    let msg = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&msg, &"type".into(), &kind.into());
    if let Some(text) = message {
        let _ = js_sys::Reflect::set(&msg, &"message".into(), &text.into());
    }
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let _ = scope.post_message(&msg);
}

/// The work a worker does: it takes the page's messages and, while busy, works in slices.
#[allow(async_fn_in_trait)] // run on this thread only, never sent across threads
pub trait Job: Default + 'static {
    /// What the page sends.
    type In: DeserializeOwned;
    async fn apply(&mut self, msg: Self::In);
    /// True while there is work to do between messages.
    fn busy(&self) -> bool;
    /// One slice of that work (the messages are read between slices).
    async fn work(&mut self);
}

/// Runs `J` in this worker, one job per channel (a widget's link; several where widgets share the
/// worker, [`Link::spawn_shared`]): says it is ready, then applies each channel's messages as they
/// come and, while jobs are busy, works a slice of each in turn, letting messages in (a stop, a
/// new run) between rounds. A closed channel's job is dropped.
pub fn serve<J: Job>() {
    wasm_bindgen_futures::spawn_local(async {
        let inbox = Inbox::listen();
        signal(READY, None);
        let mut jobs: std::collections::BTreeMap<u32, J> = Default::default();
        // channels closed (numbers are not reused): what still comes for one, through a pipe
        // from another worker, starts no job
        let mut closed = std::collections::BTreeSet::new();
        loop {
            for raw in inbox.drain_raw() {
                let get = |k: &str| js_sys::Reflect::get(&raw, &k.into()).ok();
                let Some(ch) = get("ch").and_then(|c| c.as_f64()).map(|c| c as u32) else {
                    continue;
                };
                if closed.contains(&ch) {
                    continue;
                }
                if get("close").is_some_and(|c| c.is_truthy()) {
                    jobs.remove(&ch);
                    closed.insert(ch);
                    if let Some((port, _)) = PIPES.with(|p| p.borrow_mut().remove(&ch)) {
                        port.close();
                    }
                    continue;
                }
                // the channel's end of a pipe to another worker's job: what comes through it
                // joins the inbox, addressed as the page addresses it
                if let Some(port) = get("pipe").and_then(|p| p.dyn_into::<web_sys::MessagePort>().ok()) {
                    let peer = get("peer").and_then(|c| c.as_f64()).unwrap_or(0.0) as u32;
                    inbox.listen_to(&port);
                    PIPES.with(|p| p.borrow_mut().insert(ch, (port, peer)));
                    continue;
                }
                match get("msg").map(decode::<J::In>) {
                    Some(Ok(msg)) => {
                        CHANNEL.with(|c| c.set(ch));
                        jobs.entry(ch).or_default().apply(msg).await;
                    }
                    Some(Err(e)) => web_sys::console::warn_1(&e.into()),
                    None => {}
                }
            }
            let busy: Vec<u32> = jobs
                .iter()
                .filter(|(_, j)| j.busy())
                .map(|(ch, _)| *ch)
                .collect();
            if busy.is_empty() {
                inbox.wait().await;
                continue;
            }
            for ch in busy {
                if let Some(job) = jobs.get_mut(&ch) {
                    CHANNEL.with(|c| c.set(ch));
                    job.work().await;
                }
            }
            crate::dom::yield_now().await;
        }
    });
}

/// What has arrived at a worker and not been read yet.
#[derive(Clone, Default)]
struct Inbox {
    queue: Rc<RefCell<VecDeque<JsValue>>>,
    wake: Rc<RefCell<Option<js_sys::Function>>>,
}

impl Inbox {
    /// Starts collecting the worker's incoming messages.
    fn listen() -> Self {
        let inbox = Self::default();
        let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        let take = inbox.taker();
        scope.set_onmessage(Some(take.as_ref().unchecked_ref()));
        take.forget();
        inbox
    }

    /// Takes in what comes through `port` too (a pipe from another worker; one per pool, kept
    /// for the worker's life).
    fn listen_to(&self, port: &web_sys::MessagePort) {
        let take = self.taker();
        port.set_onmessage(Some(take.as_ref().unchecked_ref()));
        take.forget();
    }

    /// A message handler that queues what comes and wakes the loop.
    fn taker(&self) -> Closure<dyn FnMut(web_sys::MessageEvent)> {
        let (queue, wake) = (self.queue.clone(), self.wake.clone());
        Closure::new(move |e: web_sys::MessageEvent| {
            queue.borrow_mut().push_back(e.data());
            if let Some(resolve) = wake.borrow_mut().take() {
                let _ = resolve.call0(&JsValue::NULL);
            }
        })
    }

    /// The messages so far, as they came (each addressed to a channel).
    fn drain_raw(&self) -> Vec<JsValue> {
        self.queue.borrow_mut().drain(..).collect()
    }

    /// Resolves when a message is waiting.
    async fn wait(&self) {
        if !self.queue.borrow().is_empty() {
            return;
        }
        let wake = self.wake.clone();
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            *wake.borrow_mut() = Some(resolve);
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
}

/// In a worker: a panic goes to the console and to the page, as a `panicked` message (the worker
/// is dead after it: a wasm panic traps).
pub fn report_panics() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        let payload = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        // a lost device is no internal error: its sentence goes as it is (also where Burn's
        // runtime panicked on the lost device before the worker's own check)
        let text = if payload.starts_with("the GPU device was lost") {
            payload.to_string()
        } else if crate::backend::is_device_lost(payload) {
            crate::backend::device_lost_sentence(payload)
        } else {
            format!("the worker stopped on an internal error: {info}")
        };
        signal(PANICKED, Some(&text));
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::*;

    wasm_bindgen_test_configure!(run_in_browser);

    #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
    #[serde(tag = "type")]
    enum Msg {
        Frame {
            #[serde(with = "serde_bytes")]
            pixels: Vec<u8>,
            values: Floats,
            step: usize,
        },
    }

    #[wasm_bindgen_test]
    fn bytes_and_floats_cross_as_typed_arrays_and_come_back_the_same() {
        let values = vec![0.0, -1.5, f32::MIN_POSITIVE, 3.25e7, f32::INFINITY];
        let msg = Msg::Frame {
            pixels: (0..=255).collect(),
            values: Floats(values.clone()),
            step: 7,
        };
        let js = encode(&msg).unwrap();
        for (field, len) in [("pixels", 256), ("values", 4 * values.len() as u32)] {
            let v = js_sys::Reflect::get(&js, &field.into()).unwrap();
            let arr = v
                .dyn_ref::<js_sys::Uint8Array>()
                .unwrap_or_else(|| panic!("{field} is not a Uint8Array"));
            assert_eq!(arr.length(), len);
        }
        assert_eq!(decode::<Msg>(js).unwrap(), msg);
    }

    #[wasm_bindgen_test]
    fn floats_of_a_broken_length_are_refused() {
        let js = encode(&Msg::Frame {
            pixels: vec![],
            values: Floats(vec![]),
            step: 0,
        })
        .unwrap();
        js_sys::Reflect::set(
            &js,
            &"values".into(),
            &js_sys::Uint8Array::new_with_length(5),
        )
        .unwrap();
        let e = decode::<Msg>(js).unwrap_err();
        assert!(e.contains("not a whole number of floats"), "{e}");
    }

    /// Tagged as the messages that carry [`JsFloats`] are (see `widgets::toy2d::messages`).
    #[derive(Debug, Serialize, serde::Deserialize)]
    #[serde(tag = "type", content = "body")]
    enum Relay {
        Weights { step: usize, values: JsFloats },
    }

    #[wasm_bindgen_test]
    fn js_floats_pass_through_the_page_as_the_same_array() {
        let values = vec![0.5, -2.0, f32::MAX, 1e-30];
        let sent = encode(&Relay::Weights {
            step: 3,
            values: JsFloats::new(&values),
        })
        .unwrap();
        let body = js_sys::Reflect::get(&sent, &"body".into()).unwrap();
        let array = js_sys::Reflect::get(&body, &"values".into()).unwrap();
        assert!(array.is_instance_of::<js_sys::Float32Array>());
        // the page decodes and encodes again: the array is the same object, not a copy
        let Relay::Weights { step, values: got } = decode::<Relay>(sent).unwrap();
        assert_eq!(step, 3);
        let again = encode(&Relay::Weights { step, values: got }).unwrap();
        let body = js_sys::Reflect::get(&again, &"body".into()).unwrap();
        let array_again = js_sys::Reflect::get(&body, &"values".into()).unwrap();
        assert!(js_sys::Object::is(&array, &array_again));
        let Relay::Weights { values: got, .. } = decode::<Relay>(again).unwrap();
        assert_eq!(got.to_vec(), values);
    }

    #[wasm_bindgen_test]
    fn js_floats_that_are_not_a_float32_array_are_refused() {
        let sent = encode(&Relay::Weights {
            step: 0,
            values: JsFloats::new(&[]),
        })
        .unwrap();
        let body = js_sys::Reflect::get(&sent, &"body".into()).unwrap();
        js_sys::Reflect::set(
            &body,
            &"values".into(),
            &js_sys::Uint8Array::new_with_length(8),
        )
        .unwrap();
        let e = decode::<Relay>(sent).unwrap_err();
        assert!(e.contains("Float32Array"), "{e}");
    }
}
