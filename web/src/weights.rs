//! Getting a model's weights into the tab: the model list, a streamed download with progress, the
//! browser's Cache Storage (so a second visit does not download again), and the checks of the file
//! ([`zoo::check_digested`]) before a byte is used; [`zoo::build`] then checks every tensor where
//! the network is built. Failures are sentences for the page.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Cache, Response};
use zoo::{Entry, Manifest};

use crate::dom;

/// The Cache Storage bucket the weights live in.
const CACHE: &str = "diffusion-playground-weights";

thread_local! {
    /// Files the sharing figures of this document downloaded and checked, by cache key (two
    /// samplers of one model in a post download it once, even where there is no Cache Storage).
    static FETCHED: RefCell<HashMap<String, Rc<Vec<u8>>>> = RefCell::default();
    /// Files being downloaded now: a second widget waits for the first instead of downloading too.
    static FETCHING: RefCell<HashSet<String>> = RefCell::default();
}

/// Marks a download in flight until dropped (also when it fails).
struct Fetching(String);

impl Fetching {
    fn start(key: &str) -> Self {
        FETCHING.with(|f| f.borrow_mut().insert(key.to_string()));
        Self(key.to_string())
    }
}

impl Drop for Fetching {
    fn drop(&mut self) {
        FETCHING.with(|f| f.borrow_mut().remove(&self.0));
    }
}

pub use crate::widgets::sampler::session::Source;

fn js_text(e: &JsValue) -> String {
    e.as_string()
        .or_else(|| {
            Reflect::get(e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| format!("{e:?}"))
}

async fn fetch(url: &str) -> Result<Response, String> {
    let r = JsFuture::from(dom::window().fetch_with_str(url))
        .await
        .map_err(|e| {
            format!(
                "could not reach {url} ({}): is the server running?",
                js_text(&e)
            )
        })?;
    let r: Response = r.dyn_into().map_err(|_| "fetch returned no response")?;
    if !r.ok() {
        return Err(match r.status() {
            404 => format!("the server has no file {url} (HTTP 404 Not Found)"),
            s => format!("the server answered HTTP {s} {} for {url}", r.status_text()),
        });
    }
    Ok(r)
}

/// Reads and parses the model list at `url` (relative to the page).
pub async fn manifest(url: &str) -> Result<Manifest, String> {
    let url = &crate::worker::app_url(url);
    let r = fetch(url).await?;
    let text = JsFuture::from(r.text().map_err(|e| js_text(&e))?)
        .await
        .map_err(|e| format!("reading {url} failed: {}", js_text(&e)))?
        .as_string()
        .unwrap_or_default();
    Manifest::parse(&text)
}

/// The URL of an entry's file (the manifest's folder + its file name).
pub fn file_url(manifest_url: &str, entry: &Entry) -> String {
    let manifest_url = crate::worker::app_url(manifest_url);
    match manifest_url.rfind('/') {
        Some(i) => format!("{}/{}", &manifest_url[..i], entry.file),
        None => entry.file.clone(),
    }
}

/// The cache key: the file's URL and its checksum, so new weights under the same name are fetched.
fn cache_key(url: &str, entry: &Entry) -> String {
    format!("{url}?sha256={}", entry.sha256)
}

thread_local! {
    /// `caches.open` of the weights bucket, once asked for: the first open of a page takes
    /// ~100 ms, which [`open_cache_early`] overlaps with the page's start.
    static OPENING: std::cell::RefCell<Option<js_sys::Promise>> = const { std::cell::RefCell::new(None) };
}

/// Starts opening the weights cache now, for a later read to find open.
pub fn open_cache_early() {
    opening();
}

fn opening() -> Option<js_sys::Promise> {
    OPENING.with_borrow_mut(|p| {
        if p.is_none() {
            *p = cache_storage().map(|c| {
                let promise = c.open(CACHE);
                // handled here, so a failure started early is not an "uncaught" rejection
                let noop = wasm_bindgen::closure::Closure::<dyn FnMut(JsValue)>::new(|_| {});
                let _ = promise.catch(&noop);
                noop.forget();
                promise
            });
        }
        p.clone()
    })
}

/// `window.caches`, which only secure contexts have: a page served over plain http from another
/// machine (a phone trying `trunk serve` on the LAN) runs without the cache, downloading each time.
fn cache_storage() -> Option<web_sys::CacheStorage> {
    let caches = Reflect::get(&dom::window(), &"caches".into()).ok()?;
    (!caches.is_undefined() && !caches.is_null()).then(|| caches.unchecked_into())
}

async fn open_cache() -> Option<Cache> {
    match JsFuture::from(opening()?).await {
        Ok(cache) => cache.dyn_into().ok(),
        Err(_) => {
            // not kept: the next read or write tries again
            OPENING.with_borrow_mut(|p| *p = None);
            None
        }
    }
}

async fn cached(key: &str) -> Option<Vec<u8>> {
    let cache = open_cache().await?;
    let hit = JsFuture::from(cache.match_with_str(key)).await.ok()?;
    let r: Response = hit.dyn_into().ok()?;
    let buf = JsFuture::from(r.array_buffer().ok()?).await.ok()?;
    Some(Uint8Array::new(&buf).to_vec())
}

async fn store(key: &str, bytes: &mut [u8]) {
    let Some(cache) = open_cache().await else {
        return;
    };
    if let Ok(r) = Response::new_with_opt_u8_array(Some(bytes)) {
        let _ = JsFuture::from(cache.put_with_str(key, &r)).await;
    }
}

async fn forget(key: &str) {
    if let Some(cache) = open_cache().await {
        let _ = JsFuture::from(cache.delete_with_str(key)).await;
    }
}

/// Empties the weights cache; returns how it went in words.
pub async fn clear_cache() -> String {
    FETCHED.with(|f| f.borrow_mut().clear());
    let Some(caches) = cache_storage() else {
        return "This browser gives the page no Cache Storage (a page served over plain http from \
                another machine has none); nothing to clear."
            .into();
    };
    // the open bucket goes with it: the next read or write opens a new one
    OPENING.with_borrow_mut(|p| *p = None);
    match JsFuture::from(caches.delete(CACHE)).await {
        Ok(_) => "Cached weights cleared: the next model you load is downloaded again.".into(),
        Err(e) => format!("Clearing the cache failed: {}", js_text(&e)),
    }
}

/// Streams `url`'s body, calling `progress(received, total)` as bytes arrive.
async fn download(
    url: &str,
    expected: u64,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Vec<u8>, String> {
    let r = fetch(url).await?;
    let content_type = r.headers().get("content-type").ok().flatten();
    if content_type.is_some_and(|t| t.contains("text/html")) {
        return Err(format!(
            "the server sent a web page instead of the weights file {url} (is the file missing on the server?)"
        ));
    }
    let total = r
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(expected);
    let Some(body) = r.body() else {
        let buf = JsFuture::from(r.array_buffer().map_err(|e| js_text(&e))?)
            .await
            .map_err(|e| format!("downloading {url} failed: {}", js_text(&e)))?;
        return Ok(Uint8Array::new(&buf).to_vec());
    };
    let reader: web_sys::ReadableStreamDefaultReader = body
        .get_reader()
        .dyn_into()
        .map_err(|_| "the browser gave no stream reader")?;
    // sized by the model list (at most zoo::manifest::MAX_FILE_BYTES), not by what the server says
    let mut bytes = Vec::with_capacity(total.min(expected) as usize);
    progress(0, total);
    loop {
        let chunk: Object = JsFuture::from(reader.read())
            .await
            .map_err(|e| {
                format!(
                    "the download of {url} broke off after {} bytes: {}",
                    bytes.len(),
                    js_text(&e)
                )
            })?
            .unchecked_into();
        if Reflect::get(&chunk, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true)
        {
            break;
        }
        if let Ok(v) = Reflect::get(&chunk, &"value".into()) {
            let chunk = Uint8Array::new(&v);
            let at = bytes.len();
            bytes.resize(at + chunk.length() as usize, 0);
            chunk.copy_to(&mut bytes[at..]);
        }
        if bytes.len() as u64 > expected {
            let _ = reader.cancel();
            return Err(format!(
                "the server sent more than the {expected} bytes the model list gives for {url}: \
                 it is not the file the list names"
            ));
        }
        progress(bytes.len() as u64, total.max(bytes.len() as u64));
    }
    Ok(bytes)
}

/// The checked file of `entry`: from the cache when it holds one that passes the checks of a file
/// ([`zoo::check_digested`]: not a web page, size, SHA-256), else downloaded (with `progress`) and
/// checked. Returns where the bytes came from; downloaded bytes are cached by [`remember`] once
/// they have built a network. `share`: the widget is a figure of a post that shares with the
/// others (`Root::shared_workers`): a file another one has (or is getting) is taken from it, and
/// the file is kept for the ones to come (a post's figures download each file once, even where
/// the host gives no Cache Storage).
pub async fn fetch_checked(
    manifest_url: &str,
    entry: &Entry,
    progress: &mut dyn FnMut(u64, u64),
    share: bool,
) -> Result<(Vec<u8>, Source), String> {
    let url = file_url(manifest_url, entry);
    let key = cache_key(&url, entry);
    let _fetching = if share {
        // another figure of this document is downloading it: wait, then share its bytes
        while FETCHING.with(|f| f.borrow().contains(&key)) {
            dom::sleep_ms(50).await;
        }
        if let Some(bytes) = FETCHED.with(|f| f.borrow().get(&key).cloned()) {
            dom::mark("shared-read");
            return Ok(((*bytes).clone(), Source::Cache));
        }
        Some(Fetching::start(&key))
    } else {
        None
    };
    if let Some(bytes) = cached(&key).await {
        dom::mark("cache-read");
        let sha = digest_if_sized(entry, &bytes).await;
        match zoo::check_digested(entry, &bytes, || sha) {
            Ok(()) => {
                if share {
                    FETCHED.with(|f| f.borrow_mut().insert(key, Rc::new(bytes.clone())));
                }
                return Ok((bytes, Source::Cache));
            }
            // a damaged cache entry is dropped and the file downloaded again
            Err(_) => forget(&key).await,
        }
    }
    let bytes = download(&url, entry.bytes, progress).await?;
    let sha = digest_if_sized(entry, &bytes).await;
    zoo::check_digested(entry, &bytes, || sha).map_err(|e| e.to_string())?;
    if share {
        FETCHED.with(|f| f.borrow_mut().insert(key, Rc::new(bytes.clone())));
    }
    Ok((bytes, Source::Network))
}

/// Keeps a downloaded file that has passed every check in the cache.
pub async fn remember(manifest_url: &str, entry: &Entry, bytes: &mut [u8]) {
    let url = file_url(manifest_url, entry);
    store(&cache_key(&url, entry), bytes).await;
}

/// The SHA-256 for [`zoo::check_digested`], computed only when the size is right: otherwise the
/// cheaper checks refuse the file first and never ask for it.
async fn digest_if_sized(entry: &Entry, bytes: &[u8]) -> String {
    if bytes.len() as u64 == entry.bytes {
        sha256_hex(bytes).await
    } else {
        String::new()
    }
}

/// SHA-256 of `bytes` as lower-case hex, by the browser's native `crypto.subtle` (about ten times
/// faster than the same in wasm: ~25 ms per MB here, which the 13.6 MB CIFAR-10 weights felt);
/// where the page has no `crypto.subtle` (it is only offered to secure origins, so not on plain
/// http from another machine), by [`zoo::sha256_hex`].
async fn sha256_hex(bytes: &[u8]) -> String {
    let native = async {
        let crypto = Reflect::get(&js_sys::global(), &"crypto".into()).ok()?;
        let subtle: web_sys::SubtleCrypto = Reflect::get(&crypto, &"subtle".into())
            .ok()
            .filter(|s| !s.is_undefined() && !s.is_null())?
            .unchecked_into();
        let data = Uint8Array::from(bytes);
        let promise = subtle
            .digest_with_str_and_buffer_source("SHA-256", &data)
            .ok()?;
        let digest = JsFuture::from(promise).await.ok()?;
        let digest = Uint8Array::new(&digest).to_vec();
        Some(
            digest
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
        )
    };
    match native.await {
        Some(hex) => hex,
        None => zoo::sha256_hex(bytes),
    }
}
