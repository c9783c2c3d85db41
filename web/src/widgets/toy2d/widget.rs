//! The 2-D trainer's glue: the panel's commands and both workers' reports go into the
//! [`Session`] once per frame, and what it asks for comes out (workers started, messages sent,
//! banners shown, the form filled, the URL written); the view is redrawn only when the session's
//! state changed.

use super::messages::{FromTrainer, FromViewer, ToTrainer, ToViewer};
use super::panel::{self, Panel};
use super::session::{Outbox, Session, Shown};
use super::views;
use crate::backend::Backend;
use crate::dom;
use crate::root::Root;
use crate::settings::HashState;
use crate::worker::Link;

/// The page's end of the training worker and of the viewer.
pub type TrainerLink = Link<ToTrainer, FromTrainer>;
pub type ViewerLink = Link<ToViewer, FromViewer>;

pub async fn run(root: &Root, backend: &Backend, hash: &mut HashState) -> Result<(), String> {
    let mut session = Session::new(hash, backend.kind.attr());
    let queue = panel::Queue::default();
    let panel = Panel::build(&root.el, &session.settings, queue).map_err(js_err)?;
    // `__playground.crashViewer()`: a test makes the viewer panic, as a GPU out-of-memory would
    root.publish_command(
        "crashViewer",
        panel.queue(),
        super::session::Cmd::CrashViewer,
    );
    // `__playground.loseDevice()`: a test destroys both workers' WebGPU devices, as a driver
    // reset would
    root.publish_command("loseDevice", panel.queue(), super::session::Cmd::LoseDevice);
    let mut links = Links {
        trainer: spawn_trainer(root.shared_workers)?,
        viewer: spawn_viewer(root.shared_workers)?,
    };
    let mut published_at = f64::NEG_INFINITY;
    let mut published_samples = None;
    let mut shown: Option<Shown> = None;
    loop {
        if root.stopped() {
            return Ok(());
        }
        let mut cmds: Vec<_> = panel.queue().borrow_mut().drain(..).collect();
        if let Some(on) = root.screen.take_change() {
            cmds.push(super::session::Cmd::Offscreen(!on));
        }
        let (trainer, viewer) = (links.trainer.receive(), links.viewer.receive());
        session.trainer_dead |= links.trainer.dead();
        session.viewer_dead |= links.viewer.dead();
        session.turn(dom::now_ms(), cmds, trainer, viewer);
        root.paused_offscreen(session.paused_offscreen.is_some());
        let out = session.take_out();
        links.carry_out(out, root, &panel, &mut session);
        // the computing is the workers': redraw only what changed, at most once per frame
        let now = session.shown();
        if shown.as_ref() != Some(&now) {
            views::render(&panel, &session);
            let status = report(root, &panel, &session);
            // while training, the hooks are refreshed twice a second (they copy every loss), and
            // at once when new samples came, so they agree with data-sample-step and data-crisp
            let drawn = session.samples.as_ref().map(|c| c.model_step);
            if status != "training"
                || dom::now_ms() - published_at >= 500.0
                || drawn != published_samples
            {
                published_samples = drawn;
                published_at = dom::now_ms();
                publish(root, &session);
            }
            shown = Some(now);
        }
        // a frame, or a short wait where the browser sends none (a hidden tab, an iframe off
        // screen, whose rendering is throttled): leaving the screen must still pause training
        dom::next_frame_or(100).await;
    }
}

struct Links {
    trainer: TrainerLink,
    viewer: ViewerLink,
}

impl Links {
    /// Does what the session asked, in its order: new workers first, then its messages.
    fn carry_out(&mut self, out: Outbox, root: &Root, panel: &Panel, session: &mut Session) {
        if out.respawn_trainer {
            match spawn_trainer(root.shared_workers) {
                Ok(link) => self.trainer = link,
                Err(e) => {
                    session.trainer_dead = true;
                    root.message_once("error", "trainer", &e);
                }
            }
        }
        if out.respawn_viewer {
            match spawn_viewer(root.shared_workers) {
                Ok(link) => self.viewer = link,
                Err(e) => {
                    session.viewer_dead = true;
                    root.message_once("error", "viewer", &e);
                }
            }
        }
        for msg in out.trainer {
            self.trainer.send(msg);
        }
        for msg in out.viewer {
            self.viewer.send(msg);
        }
        for say in out.say {
            match say.key {
                Some(key) => root.message_once(say.kind, key, &say.text),
                None => root.message_unless_shown(say.kind, &say.text),
            }
        }
        if out.fill {
            let _ = panel.fill(&session.settings);
        }
        if let Some(hash) = out.hash {
            root.write_hash(&hash);
        }
    }
}

/// The widget's state for tests and embeds on the root (`data-*`) and the panel's buttons; the
/// status it showed.
fn report(root: &Root, panel: &Panel, s: &Session) -> &'static str {
    let status = s.status();
    root.set("status", status);
    root.set("step", &s.step.to_string());
    root.set("view", s.settings.view());
    let loss = s.losses.last().map_or(String::new(), |l| format!("{l:.6}"));
    root.set("loss", &loss);
    panel
        .play
        .set_text_content(Some(if s.will_train() { "Pause" } else { "Train" }));
    panel.chain_play.set_text_content(Some(if s.chain_playing {
        "Pause chain"
    } else {
        "Play chain"
    }));
    panel.counter.set_text_content(Some(&format!(
        "step {} · loss {}",
        s.step,
        if loss.is_empty() { "–" } else { &loss }
    )));
    if let Some(c) = &s.samples {
        root.set("sample-step", &c.model_step.to_string());
        if let Some(q) = c.quality {
            root.set("crisp", if q.crisp() { "true" } else { "false" });
        }
    } else {
        // no samples (a new run): no verdict on them either
        root.set("crisp", "");
    }
    root.set("reflows", &s.reflows.to_string());
    status
}

/// `__playground`'s data, samples, losses and log-density.
fn publish(root: &Root, s: &Session) {
    let Some(set) = &s.set else {
        return;
    };
    let f32s = |v: &[f32]| -> wasm_bindgen::JsValue { js_sys::Float32Array::from(v).into() };
    root.publish("data", &f32s(&set.data));
    if let Some(c) = &s.samples {
        root.publish("samples", &f32s(c.last()));
        root.publish("sampleStep", &(c.model_step as f64).into());
        if let Some(q) = &c.quality
            && let Ok(v) = serde_wasm_bindgen::to_value(q)
        {
            root.publish("quality", &v);
        }
    }
    root.publish("losses", &f32s(s.losses.values()));
    let strip = s.strip.as_ref().filter(|x| x.done()).and_then(|strip| {
        let rows: Vec<_> = strip
            .rows
            .iter()
            .zip(super::session::STRIP_STEPS)
            .map(|(r, steps)| (steps, r.as_ref().and_then(|r| r.1)))
            .collect();
        serde_wasm_bindgen::to_value(&rows)
            .ok()
            .map(|v| (v, strip.model_step))
    });
    match strip {
        Some((v, step)) => {
            root.publish("strip", &v);
            root.publish("stripStep", &(step as f64).into());
        }
        // a new run (or a strip being redrawn) has no figures yet
        None => {
            root.publish("strip", &wasm_bindgen::JsValue::UNDEFINED);
            root.publish("stripStep", &wasm_bindgen::JsValue::UNDEFINED);
        }
    }
    if let Some(paths) = &s.probe.paths {
        let o = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&o, &"ode".into(), &f32s(&paths.ode));
        let _ = js_sys::Reflect::set(&o, &"sde".into(), &f32s(&paths.sde));
        let _ = js_sys::Reflect::set(&o, &"draws".into(), &(paths.draws as f64).into());
        let at = [paths.ask.at[0] as f32, paths.ask.at[1] as f32];
        let _ = js_sys::Reflect::set(&o, &"at".into(), &f32s(&at));
        let _ = js_sys::Reflect::set(&o, &"modelStep".into(), &(paths.ask.model_step as f64).into());
        root.publish("probe", &o.into());
    } else {
        root.publish("probe", &wasm_bindgen::JsValue::UNDEFINED);
    }
    if let Some(d) = &s.density {
        // row-major, as the grid's cells
        let mut lp = vec![f32::NAN; d.order.len()];
        for (&cell, &v) in d.order.iter().zip(&d.log_p) {
            lp[cell] = v as f32;
        }
        root.publish("logDensity", &f32s(&lp));
        if let Some((tv, blob)) = d.total_variation() {
            let o = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&o, &"tv".into(), &tv.into());
            let _ = js_sys::Reflect::set(&o, &"blob".into(), &blob.into());
            root.publish("densityTv", &o.into());
        }
    }
    if s.density.as_ref().and_then(|d| d.total_variation()).is_none() {
        root.publish("densityTv", &wasm_bindgen::JsValue::UNDEFINED);
    }
}

fn spawn_trainer(shared: bool) -> Result<TrainerLink, String> {
    TrainerLink::start("toy2d_trainer", "the training worker", shared)
        .map_err(|e| format!("Training needs a Web Worker, but {e}."))
}

fn spawn_viewer(shared: bool) -> Result<ViewerLink, String> {
    ViewerLink::start("toy2d_viewer", "the sampling worker", shared)
        .map_err(|e| format!("Sampling needs a Web Worker, but {e}."))
}

fn js_err(e: wasm_bindgen::JsValue) -> String {
    format!("the page could not build the widget: {e:?}")
}
