//! The default widget: 2-D points sampled from a Gaussian mixture by a DDIM chain (a first-order
//! probability-flow ODE solver) driven by the mixture's exact ε — no training — drawn step by step.
//! "Sample again" runs the chain once more with the next seed.

use burn::prelude::*;
use diffusion::sampler::{Ddim, Sampler};
use diffusion::{BetaSchedule, DiscreteSchedule, GaussianMixture, SeededNoise, Spacing};
use wasm_bindgen::JsValue;

use crate::backend::Backend;
use crate::controls::{Queue, button};
use crate::dom::{self, el};
use crate::readback::to_vec;
use crate::render::points::PointCloud;
use crate::root::Root;
use crate::settings::Common;
use crate::settings::mixture::MixtureSettings;
use crate::settings::{HashState, Value};

/// Plot extent in data units: the ring (radius 2) and most of the N(0, I) start fit.
const EXTENT: f64 = 3.2;

pub async fn run(root: &Root, backend: &Backend, hash: &mut HashState) -> Result<(), String> {
    let mut p = MixtureSettings::read(hash);
    for w in hash.warnings.drain(..) {
        root.message("warning", &w);
    }
    let mixture = GaussianMixture::ring(8, 2.0, 0.1).map_err(|e| e.to_string())?;
    let schedule = DiscreteSchedule::new(BetaSchedule::Cosine, 1000).map_err(|e| e.to_string())?;
    let again = Queue::<()>::default();
    let view = View::build(root, &p, &again).map_err(js_err)?;
    loop {
        sample(root, backend, &view, &mixture, &schedule, &p).await?;
        // wait for "Sample again" (or the end of the widget)
        loop {
            if root.stopped() {
                return Ok(());
            }
            if again.borrow_mut().drain(..).count() > 0 {
                break;
            }
            dom::next_frame_or(100).await;
        }
        p.values.set(
            "seed",
            Value::Int(p.seed().wrapping_add(1) % (u32::MAX as u64 + 1)),
        );
        p.values.write(&crate::settings::mixture::table(), hash);
        root.write_hash(&hash.to_hash());
    }
}

/// One chain from the settings' seed, drawn step by step.
async fn sample(
    root: &Root,
    backend: &Backend,
    view: &View,
    mixture: &GaussianMixture,
    schedule: &DiscreteSchedule,
    p: &MixtureSettings,
) -> Result<(), String> {
    let mut ddim =
        Ddim::new(schedule, p.steps(), Spacing::Trailing, 0.0).map_err(|e| e.to_string())?;
    let mut noise = SeededNoise::new(p.seed());
    let start = noise.normals(p.points() * 2);
    view.draw(mixture, &start, None);
    let timesteps = ddim.timesteps();
    let total = timesteps.len();
    view.caption(&format!(
        "step 0 / {total} · pure noise at t = {} · seed {}",
        timesteps[0],
        p.seed()
    ));
    root.set("first-frame-ms", &format!("{:.0}", dom::now_ms()));
    root.set("status", "running");
    root.set("step", "0");

    let device = &backend.device;
    let mut x = Tensor::<2>::from_data(TensorData::new(start, [p.points(), 2]), device);
    let mut last = Vec::new();
    while let Some(step) = ddim
        .step(mixture, &x, &mut noise)
        .map_err(|e| e.to_string())?
    {
        // the animation waits while a post's reader has scrolled it away
        while !root.screen.onscreen() && !root.stopped() {
            root.paused_offscreen(true);
            dom::sleep_ms(200).await;
        }
        root.paused_offscreen(false);
        if root.stopped() {
            return Ok(());
        }
        let xt = to_vec(step.x.clone()).await?;
        let x0 = to_vec(step.x0).await?;
        view.draw(mixture, &xt, Some(&x0));
        let to = match timesteps.get(step.index + 1) {
            Some(&t) => format!("t = {t}, ᾱ = {:.4}", schedule.alpha_bar(t as usize)),
            None => "x₀ (clean)".into(),
        };
        view.caption(&format!("step {} / {total} · now at {to}", step.index + 1));
        root.set("step", &(step.index + 1).to_string());
        x = step.x;
        last = xt;
        dom::next_frame_or(100).await;
    }
    root.publish(
        "points",
        &js_sys::Float32Array::from(last.as_slice()).into(),
    );
    root.publish("means", &rows(mixture.means()));
    root.publish(
        "weights",
        &js_sys::Float64Array::from(mixture.weights()).into(),
    );
    root.set("status", "ready");
    Ok(())
}

/// The widget's DOM: a caption, the plot and a button that samples again with the next seed.
struct View {
    plot: PointCloud,
    caption: web_sys::Element,
}

impl View {
    fn build(root: &Root, p: &MixtureSettings, again: &Queue<()>) -> Result<Self, JsValue> {
        let body = el("section", "widget-body", "")?;
        let title = el("h2", "", "Sampling a Gaussian mixture with its exact score")?;
        body.append_child(&title)?;
        let lede = el(
            "p",
            "lede",
            &format!(
                "{} points start as Gaussian noise and take {} deterministic DDIM steps, \
                 each driven by the mixture's closed-form noise prediction: no network, no training. \
                 Grey: the current points x_t. Orange: where the model thinks they will end (x̂₀).",
                p.points(),
                p.steps()
            ),
        )?;
        body.append_child(&lede)?;
        let canvas = dom::sharp_canvas(512, 512)?;
        canvas.set_attribute("aria-label", "scatter plot of the sampled points")?;
        body.append_child(&canvas)?;
        let caption = el("p", "caption", "step 0")?;
        body.append_child(&caption)?;
        button(&body, "Sample again", "again", again, ())?;
        root.el.append_child(&body)?;
        Ok(Self {
            plot: PointCloud::new(&canvas, EXTENT)?,
            caption,
        })
    }

    fn draw(&self, mixture: &GaussianMixture, xt: &[f32], x0: Option<&[f32]>) {
        self.plot.clear();
        self.plot.rings(mixture.means(), 0.3, "#c9cfe0");
        if let Some(x0) = x0 {
            self.plot.points(x0, "rgba(230, 120, 20, 0.35)", 2.0);
        }
        self.plot.points(xt, "rgba(40, 50, 80, 0.8)", 2.5);
    }

    fn caption(&self, text: &str) {
        self.caption.set_text_content(Some(text));
    }
}

fn rows(rows: &[Vec<f64>]) -> JsValue {
    let out = js_sys::Array::new();
    for r in rows {
        out.push(&js_sys::Float64Array::from(r.as_slice()).into());
    }
    out.into()
}

fn js_err(e: JsValue) -> String {
    format!("the page could not build its view: {e:?}")
}
