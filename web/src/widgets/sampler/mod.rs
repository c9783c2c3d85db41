//! The image sampler: a person picks a shipped model, presses Sample, and watches noise turn into
//! images. Weights come through [`crate::weights`] (streamed, checked, cached); the chain is a
//! [`zoo::ImageChain`] (the same code as the CLI's `sample`), stepped once per loop turn: step k+1
//! is queued on the device before step k is read back and drawn, so on WebGPU drawing overlaps
//! computing. Every step's x_t and x̂₀ are kept (as bytes) for the scrubber afterwards.

mod panel;

use burn::prelude::*;
use diffusion::Step;
use wasm_bindgen::JsCast;
use zoo::{ImageChain, Manifest, Net};

use crate::backend::Backend;
use crate::dom::{self, Root, el};
use crate::hooks::publish;
use crate::readback::to_vec;
use crate::render::images::{self, Grid};
use crate::sampler_settings::{SamplerSettings, manifest_url};
use crate::state::HashState;
use crate::weights;
use panel::{Cmd, Panel};

/// Milliseconds of sampling before the loop yields to the browser (at least one step).
const SLICE_MS: f64 = 25.0;
/// Least milliseconds between two redraws while sampling.
const DRAW_MS: f64 = 50.0;
/// Milliseconds per step when the chain plays back.
const CHAIN_MS: f64 = 120.0;
/// Most chain columns in the downloaded strip, and most images in it.
const STRIP_STEPS: usize = 32;
const STRIP_IMAGES: usize = 8;

pub async fn run(root: &Root, backend: &Backend, hash: &mut HashState) -> Result<(), String> {
    let url = manifest_url(hash);
    let manifest = weights::manifest(&url)
        .await
        .map_err(|e| format!("The model list could not be loaded: {e}."))?;
    dom::mark("manifest");
    if manifest.generators().next().is_none() {
        return Err(format!(
            "The model list {url} names no image model, so there is nothing to sample."
        ));
    }
    let settings = SamplerSettings::read(hash, &manifest);
    for w in hash.warnings.drain(..) {
        root.message("warning", &w);
    }
    let panel = Panel::build(&root.0, panel::Queue::default()).map_err(js_err)?;
    panel.fill(&settings, &manifest).map_err(js_err)?;
    let mut w = Widget {
        root: root.clone(),
        device: backend.device.clone(),
        hash: hash.clone(),
        manifest,
        settings,
        panel,
        net: None,
        classifier: None,
        running: None,
        record: None,
        scrub: 0,
        chain_playing: false,
        chain_moved_at: 0.0,
        follow: None,
        drawn_at: f64::NEG_INFINITY,
    };
    w.write_hash();
    dom::mark("panel");
    w.load_model().await;
    if w.settings.autorun && w.net.is_some() {
        w.start();
    }
    loop {
        w.tick().await;
        if w.running.is_some() {
            dom::yield_now().await;
        } else {
            dom::next_frame().await;
        }
    }
}

/// A chain being sampled.
struct Running {
    chain: ImageChain,
    x: Tensor<4>,
    /// The step computed last turn, read back and drawn this turn.
    pending: Option<Step<4>>,
    started_ms: f64,
    last_ms: f64,
}

/// One step as kept for the viewer: x_t and x̂₀ quantised to bytes.
struct Frame {
    t: f64,
    xt: Vec<u8>,
    x0: Vec<u8>,
}

/// The chain of the latest run.
struct Record {
    model: String,
    grid: Grid,
    len: usize,
    frames: Vec<Frame>,
    step_ms: Vec<f64>,
    /// Per step: milliseconds in the sampler's step call (all of the work on the CPU; queueing
    /// on WebGPU) and in reading the result back.
    compute_ms: Vec<f64>,
    read_ms: Vec<f64>,
    total_ms: Option<f64>,
    /// The requested class of each image (empty: none).
    classes: Vec<usize>,
    /// The final images as floats (published for tests and classification).
    last_x: Vec<f32>,
}

struct Widget {
    root: Root,
    device: Device,
    hash: HashState,
    manifest: Manifest,
    settings: SamplerSettings,
    panel: Panel,
    /// The loaded model (id, network).
    net: Option<(String, Net)>,
    classifier: Option<(String, Net)>,
    running: Option<Running>,
    record: Option<Record>,
    scrub: usize,
    chain_playing: bool,
    chain_moved_at: f64,
    follow: Option<usize>,
    /// When the grids were last drawn (ms since navigation).
    drawn_at: f64,
}

impl Widget {
    async fn tick(&mut self) {
        let cmds: Vec<Cmd> = self.panel.queue().borrow_mut().drain(..).collect();
        for cmd in cmds {
            self.apply(cmd).await;
        }
        if self.running.is_some() {
            // several fast steps per turn, drawn once: the browser only gets the thread back
            // (to paint, and for input) every SLICE_MS
            let start = dom::now_ms();
            while self.running.is_some() && dom::now_ms() - start < SLICE_MS {
                self.advance().await;
            }
            // painting the grids costs the browser more than a fast step: at most every DRAW_MS
            // while sampling (every step is kept for the scrubber), and always at the end
            if self.running.is_none() || dom::now_ms() - self.drawn_at >= DRAW_MS {
                self.draw();
            }
        } else if self.chain_playing && dom::now_ms() - self.chain_moved_at >= CHAIN_MS {
            let len = self.record.as_ref().map_or(0, |r| r.frames.len());
            if self.scrub + 1 < len {
                self.scrub += 1;
                self.chain_moved_at = dom::now_ms();
            } else {
                self.chain_playing = false;
            }
            self.draw();
        }
    }

    async fn apply(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Set(key, value) => {
                let before = self.settings.model.clone();
                self.hash.set(&key, Some(&value));
                let mut h = self.hash.clone();
                self.settings = SamplerSettings::read(&mut h, &self.manifest);
                for w in h.warnings {
                    self.root.message_once("warning", "settings", &w);
                }
                let _ = self.panel.fill(&self.settings, &self.manifest);
                self.write_hash();
                if self.settings.model != before {
                    self.running = None;
                    self.load_model().await;
                }
            }
            Cmd::Sample => self.start(),
            Cmd::Stop => {
                if self.running.take().is_some() {
                    self.root.set("status", "ready");
                    self.panel.counter.set_text_content(Some("stopped"));
                }
            }
            Cmd::ClearCache => {
                let said = weights::clear_cache().await;
                self.root.message_once("notice", "cache", &said);
            }
            Cmd::Scrub(i) => {
                self.chain_playing = false;
                self.scrub = i;
                self.draw();
            }
            Cmd::ChainPlay => {
                let len = self.record.as_ref().map_or(0, |r| r.frames.len());
                if self.running.is_none() && len > 0 {
                    self.chain_playing = !self.chain_playing;
                    if self.chain_playing && self.scrub + 1 >= len {
                        self.scrub = 0;
                    }
                    self.chain_moved_at = dom::now_ms();
                    self.draw();
                }
            }
            Cmd::Pick(x, y) => {
                if let Some(i) = self.record.as_ref().and_then(|r| r.grid.hit(x, y)) {
                    self.follow = (self.follow != Some(i)).then_some(i);
                    self.draw();
                }
            }
            Cmd::DownloadGrid => self.download_grid(),
            Cmd::DownloadChain => self.download_chain(),
        }
    }

    /// Fetches (or takes from the cache) the chosen model's weights and builds the network.
    async fn load_model(&mut self) {
        self.net = None;
        let Some(entry) = self.manifest.get(&self.settings.model).cloned() else {
            return;
        };
        self.root.set("status", "loading");
        self.root.set("model", &entry.id);
        self.panel.counter.set_text_content(Some(&format!(
            "loading {} ({})…",
            entry.id,
            entry.size_text()
        )));
        let started = dom::now_ms();
        let panel = &self.panel;
        let mut progress = |got: u64, total: u64| panel.set_progress(got, total);
        match weights::load(&self.settings.manifest, &entry, &self.device, &mut progress).await {
            Ok((net, source)) => {
                let ms = dom::now_ms() - started;
                self.panel.set_progress(entry.bytes, entry.bytes);
                self.panel.counter.set_text_content(Some(&format!(
                    "{} ready ({}, checked, {:.0} ms)",
                    entry.id,
                    source.phrase(),
                    ms
                )));
                self.root.set("source", source.attr());
                publish("loadMs", &ms.into());
                dom::mark("model");
                self.net = Some((entry.id.clone(), net));
                self.root.set("status", "ready");
            }
            Err(e) => {
                self.panel.counter.set_text_content(Some("no model loaded"));
                self.root.fail(&format!(
                    "Model {} could not be loaded: {e}. Pick another model, or reload to try again.",
                    entry.id
                ));
            }
        }
    }

    fn start(&mut self) {
        let Some((id, net)) = &self.net else {
            self.root.message_once(
                "warning",
                "no-model",
                "No model is loaded yet: pick a model first.",
            );
            return;
        };
        let Some(process) = self.manifest.get(id).and_then(|e| e.process.clone()) else {
            return;
        };
        let spec = self.settings.spec(net.classes());
        let mut chain = match ImageChain::new(net, &process, &spec, &self.device) {
            Ok(c) => c,
            Err(e) => {
                self.root
                    .message_once("error", "sample", &format!("Cannot sample: {e}."));
                return;
            }
        };
        let x = chain.start();
        let now = dom::now_ms();
        self.record = Some(Record {
            model: id.clone(),
            grid: Grid::new(chain.shape()),
            len: chain.len(),
            frames: Vec::with_capacity(chain.len()),
            step_ms: Vec::new(),
            compute_ms: Vec::new(),
            read_ms: Vec::new(),
            total_ms: None,
            classes: spec.classes.clone(),
            last_x: Vec::new(),
        });
        self.running = Some(Running {
            chain,
            x,
            pending: None,
            started_ms: now,
            last_ms: now,
        });
        self.scrub = 0;
        self.chain_playing = false;
        self.follow = self.follow.filter(|&i| i < spec.n);
        self.panel.verdict.set_text_content(None);
        self.root.set("status", "sampling");
        dom::mark("sampling");
        self.root.set("step", "0");
        publish("classified", &wasm_bindgen::JsValue::UNDEFINED);
    }

    /// One turn of sampling: queue the next step, then read back and draw the previous one.
    async fn advance(&mut self) {
        let Some(mut r) = self.running.take() else {
            return;
        };
        let t0 = dom::now_ms();
        let next = match r.chain.step(&r.x) {
            Ok(n) => n,
            Err(e) => return self.stop_with(&format!("Sampling failed: {e}.")),
        };
        if let (Some(rec), Some(_)) = (self.record.as_mut(), &next) {
            rec.compute_ms.push(dom::now_ms() - t0);
        }
        if let Some(prev) = r.pending.take() {
            if let Err(e) = self.keep(prev, &mut r).await {
                return self.stop_with(&e);
            }
        }
        match next {
            Some(step) => {
                r.x = step.x.clone();
                r.pending = Some(step);
                self.running = Some(r);
            }
            None => self.finish(r.started_ms).await,
        }
    }

    fn stop_with(&mut self, msg: &str) {
        self.running = None;
        self.root.fail(msg);
    }

    /// Reads a step back, keeps it and shows it.
    async fn keep(&mut self, step: Step<4>, r: &mut Running) -> Result<(), String> {
        let t0 = dom::now_ms();
        let mut both = to_vec(Tensor::cat(vec![step.x, step.x0], 0)).await?;
        let read = dom::now_ms() - t0;
        let half = both.len() / 2;
        let (xt, x0) = both.split_at(half);
        if xt.iter().any(|v| !v.is_finite()) {
            return Err(format!(
                "Sampling produced non-finite values at step {}: the model or sampler settings do not fit (try more steps or another sampler).",
                step.index + 1
            ));
        }
        let now = dom::now_ms();
        let rec = self.record.as_mut().ok_or("no record")?;
        let live = self.scrub + 1 >= rec.frames.len();
        rec.frames.push(Frame {
            t: step.t,
            xt: data::to_pixels(xt),
            x0: data::to_pixels(x0),
        });
        rec.step_ms.push(now - r.last_ms);
        rec.read_ms.push(read);
        both.truncate(half);
        rec.last_x = both;
        r.last_ms = now;
        if live {
            self.scrub = rec.frames.len() - 1;
        }
        self.root.set("step", &rec.frames.len().to_string());
        Ok(())
    }

    async fn finish(&mut self, started_ms: f64) {
        let Some(rec) = self.record.as_mut() else {
            return;
        };
        // performance.now() counts from navigation: this is "navigation → first finished image"
        let first_image = dom::now_ms();
        let total = first_image - started_ms;
        rec.total_ms = Some(total);
        publish("finishedAtMs", &first_image.into());
        dom::mark("image");
        let images = js_sys::Float32Array::from(rec.last_x.as_slice());
        publish("images", &images.into());
        let shape = js_sys::Array::new();
        for d in [rec.grid.n, rec.grid.c, rec.grid.h, rec.grid.w] {
            shape.push(&(d as u32).into());
        }
        publish("shape", &shape.into());
        for (key, values) in [
            ("stepMs", &rec.step_ms),
            ("computeMs", &rec.compute_ms),
            ("readMs", &rec.read_ms),
        ] {
            publish(key, &js_sys::Float64Array::from(values.as_slice()).into());
        }
        publish("totalMs", &total.into());
        publish("model", &rec.model.clone().into());
        self.draw();
        self.classify().await;
        self.root.set("status", "done");
    }

    /// Runs the data set's classifier (if the model list has one) on the final images and says
    /// what it reads; published as `classified` (labels) and `confidence` for tests.
    async fn classify(&mut self) {
        let Some(rec) = &self.record else { return };
        let Some(entry) = self
            .manifest
            .get(&rec.model)
            .and_then(|m| self.manifest.classifier_for(&m.dataset))
            .cloned()
        else {
            return;
        };
        if [rec.grid.c, rec.grid.h, rec.grid.w] != [1, 28, 28] {
            return;
        }
        if self.classifier.as_ref().map(|c| &c.0) != Some(&entry.id) {
            match weights::load(
                &self.settings.manifest,
                &entry,
                &self.device,
                &mut |_, _| {},
            )
            .await
            {
                Ok((net, _)) => self.classifier = Some((entry.id.clone(), net)),
                Err(e) => {
                    self.root.message_once(
                        "warning",
                        "classifier",
                        &format!("The classifier could not be loaded: {e}."),
                    );
                    return;
                }
            }
        }
        let (Some((_, Net::Classifier(clf))), Some(rec)) = (&self.classifier, &self.record) else {
            return;
        };
        let n = rec.grid.n;
        let x = Tensor::<4>::from_data(
            TensorData::new(rec.last_x.clone(), [n, 1, 28, 28]),
            &self.device,
        )
        .clamp(-1.0, 1.0);
        let probs = burn::tensor::activation::softmax(clf.forward(x), 1);
        let Ok(p) = to_vec(probs).await else { return };
        let k = p.len() / n.max(1);
        let (labels, conf): (Vec<usize>, Vec<f32>) = p
            .chunks(k)
            .map(|row| {
                row.iter()
                    .enumerate()
                    .fold((0, f32::MIN), |b, (i, &v)| if v > b.1 { (i, v) } else { b })
            })
            .unzip();
        let text = if rec.classes.is_empty() {
            format!("Our MNIST classifier reads these as: {}.", join(&labels))
        } else {
            let right = labels
                .iter()
                .zip(&rec.classes)
                .filter(|(a, b)| a == b)
                .count();
            format!(
                "Our MNIST classifier reads these as: {} ({right} of {n} are the class asked for).",
                join(&labels)
            )
        };
        self.panel.verdict.set_text_content(Some(&text));
        let arr = js_sys::Array::new();
        for l in &labels {
            arr.push(&(*l as u32).into());
        }
        publish("classified", &arr.into());
        publish(
            "confidence",
            &js_sys::Float32Array::from(conf.as_slice()).into(),
        );
    }

    /// Shows step `self.scrub` of the record (and the followed image).
    fn draw(&mut self) {
        self.drawn_at = dom::now_ms();
        let Some(rec) = &self.record else { return };
        let Some(frame) = rec
            .frames
            .get(self.scrub.min(rec.frames.len().saturating_sub(1)))
        else {
            return;
        };
        let g = rec.grid;
        for (canvas, q) in [(&self.panel.xt, &frame.xt), (&self.panel.x0, &frame.x0)] {
            let mut px = images::grid_rgba(&g, q);
            let _ = images::put(canvas, &mut px, g.width(), g.height());
        }
        let at = self.scrub.min(rec.frames.len() - 1);
        let done = rec.total_ms.is_some();
        self.panel
            .set_scrub(if done { rec.frames.len() } else { 0 }, at);
        self.panel.scrub_label.set_text_content(Some(&format!(
            "step {} of {} · t = {:.3}",
            at + 1,
            rec.len,
            frame.t
        )));
        let mean = rec.step_ms.iter().sum::<f64>() / rec.step_ms.len().max(1) as f64;
        let counter = match rec.total_ms {
            Some(total) => format!(
                "{} steps · {:.0} ms per step · {:.2} s in all",
                rec.frames.len(),
                mean,
                total / 1000.0
            ),
            None => format!(
                "step {} of {} · {:.0} ms per step",
                rec.frames.len(),
                rec.len,
                mean
            ),
        };
        self.panel.counter.set_text_content(Some(&counter));
        self.panel
            .chain_play
            .set_text_content(Some(if self.chain_playing { "⏸" } else { "▶" }));
        match self.follow {
            Some(i) if i < g.n && !self.settings.hidden("follow") => {
                let _ = self.panel.follow_row.remove_attribute("hidden");
                let pair = Grid { n: 2, cols: 2, ..g };
                let mut px = images::blank(&pair);
                images::tile(&g, &frame.xt, i, &mut px, &pair, 0);
                images::tile(&g, &frame.x0, i, &mut px, &pair, 1);
                let _ = images::put(&self.panel.follow, &mut px, pair.width(), pair.height());
                let class = rec
                    .classes
                    .get(i)
                    .map_or(String::new(), |c| format!(" (class {c})"));
                self.panel.follow_label.set_text_content(Some(&format!(
                    "image {}{class}: x_t and x̂₀ at step {} — click it again in the grid to close",
                    i + 1,
                    at + 1
                )));
            }
            _ => {
                let _ = self.panel.follow_row.set_attribute("hidden", "");
            }
        }
    }

    fn download_grid(&self) {
        let Some(rec) = self.record.as_ref().filter(|r| r.total_ms.is_some()) else {
            return self.nothing_yet();
        };
        let Some(last) = rec.frames.last() else {
            return;
        };
        let g = rec.grid;
        let px = images::grid_rgba(&g, &last.xt);
        save_png(
            &px,
            g.width(),
            g.height(),
            4,
            &format!("{}-grid.png", rec.model),
        );
    }

    /// A strip: for each of the first images (or the followed one), a row of x_t and a row of x̂₀
    /// over (at most [`STRIP_STEPS`]) steps.
    fn download_chain(&self) {
        let Some(rec) = self.record.as_ref().filter(|r| r.total_ms.is_some()) else {
            return self.nothing_yet();
        };
        let g = rec.grid;
        let shown: Vec<usize> = match self.follow {
            Some(i) => vec![i],
            None => (0..g.n.min(STRIP_IMAGES)).collect(),
        };
        let k = rec.frames.len();
        let cols: Vec<usize> = (0..k.min(STRIP_STEPS))
            .map(|j| j * (k - 1) / (k.min(STRIP_STEPS) - 1).max(1))
            .collect();
        let strip = Grid {
            n: cols.len() * shown.len() * 2,
            cols: cols.len(),
            ..g
        };
        let mut px = images::blank(&strip);
        for (r, &i) in shown.iter().enumerate() {
            for (c, &j) in cols.iter().enumerate() {
                let f = &rec.frames[j];
                images::tile(&g, &f.xt, i, &mut px, &strip, 2 * r * strip.cols + c);
                images::tile(&g, &f.x0, i, &mut px, &strip, (2 * r + 1) * strip.cols + c);
            }
        }
        save_png(
            &px,
            strip.width(),
            strip.height(),
            2,
            &format!("{}-chain.png", rec.model),
        );
    }

    fn nothing_yet(&self) {
        self.root.message_once(
            "notice",
            "download",
            "Nothing to download yet: sample first.",
        );
    }

    fn write_hash(&mut self) {
        self.settings.write(&mut self.hash, &self.manifest);
        let url = self.hash.to_hash();
        if let Ok(history) = dom::window().history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
    }
}

fn join(v: &[usize]) -> String {
    v.iter()
        .map(|l| l.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Saves RGBA pixels as a PNG download, scaled up `scale`× without smoothing.
fn save_png(px: &[u8], w: usize, h: usize, scale: usize, name: &str) {
    let go = || -> Result<(), wasm_bindgen::JsValue> {
        let small = dom::canvas(w as u32, h as u32)?;
        let mut px = px.to_vec();
        images::put(&small, &mut px, w, h)?;
        let big = dom::canvas((w * scale) as u32, (h * scale) as u32)?;
        let ctx = dom::context_2d(&big)?;
        ctx.set_image_smoothing_enabled(false);
        ctx.draw_image_with_html_canvas_element_and_dw_and_dh(
            &small,
            0.0,
            0.0,
            (w * scale) as f64,
            (h * scale) as f64,
        )?;
        let url = big.to_data_url()?;
        let a: web_sys::HtmlElement = el("a", "", "")?.dyn_into()?;
        a.set_attribute("href", &url)?;
        a.set_attribute("download", name)?;
        dom::document().body().ok_or("no body")?.append_child(&a)?;
        a.click();
        a.remove();
        Ok(())
    };
    if let Err(e) = go() {
        web_sys::console::error_1(&e);
    }
}

fn js_err(e: wasm_bindgen::JsValue) -> String {
    format!("the page could not build the widget: {e:?}")
}
