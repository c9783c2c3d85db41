//! Objectives side by side (`widget=compare`): two to four 2-D trainers on the same data, seed,
//! network and budget (`train_steps`), each a toy2d widget mounted on its own element with its own
//! workers, samples, loss chart, quality figure and views (the steps strip by default shows how
//! many sampling steps each needs). The comparison only lays them out and trains them together:
//! a run that diverges stops alone.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::backend::Backend;
use crate::dom::{self, el};
use crate::root::Root;
use crate::settings::HashState;
use crate::settings::compare::CompareSettings;

pub async fn run(root: &Root, _backend: &Backend, hash: &mut HashState) -> Result<(), String> {
    let settings = CompareSettings::read(hash);
    for w in std::mem::take(&mut hash.warnings) {
        root.message("warning", &w);
    }
    let (grid, train_all) = layout(root, &settings).map_err(|e| format!("the page could not build the comparison: {e:?}"))?;
    let mut runs = Vec::new();
    for (run, run_settings) in settings.runs.iter().zip(&settings.run_settings) {
        let child = (|| -> Result<web_sys::Element, JsValue> {
            let section = el("section", "compare-run", "")?;
            section.set_attribute("data-run", &run.name())?;
            let heading = el("h3", "", &run.label())?;
            section.append_child(&heading)?;
            let mount = el("div", "compare-widget", "")?;
            section.append_child(&mount)?;
            grid.append_child(&section)?;
            Ok(mount)
        })()
        .map_err(|e| format!("the page could not build the comparison: {e:?}"))?;
        let mut run_root = Root::new(child, false);
        run_root.shared_workers = root.shared_workers;
        if root.screen.watching() {
            let _ = run_root.screen.watch(&run_root.el);
        }
        crate::mount::start(run_root.clone(), HashState::parse(run_settings));
        runs.push(run_root);
    }
    // Train all: each run that is not training starts (its own Train button, so each says why
    // it cannot, e.g. after a divergence)
    let buttons: Vec<web_sys::Element> = runs.iter().map(|r| r.el.clone()).collect();
    let press = Closure::<dyn FnMut()>::new(move || {
        for b in &buttons {
            if let Ok(Some(play)) = b.query_selector("button[name=play]")
                && play.text_content().as_deref() == Some("Train")
                && let Ok(play) = play.dyn_into::<web_sys::HtmlElement>()
            {
                play.click();
            }
        }
    });
    train_all
        .add_event_listener_with_callback("click", press.as_ref().unchecked_ref())
        .map_err(|e| format!("{e:?}"))?;
    let names = js_sys::Array::new();
    for r in &settings.runs {
        names.push(&r.name().into());
    }
    root.publish("runs", &names.into());
    root.set("runs", &settings.runs.len().to_string());
    loop {
        if root.stopped() {
            for r in &runs {
                r.stop();
            }
            drop(press);
            return Ok(());
        }
        // the comparison's status: the runs' own, the busiest first
        let states: Vec<String> = runs.iter().filter_map(|r| r.get("status")).collect();
        let status = ["error", "training", "sampling", "loading", "paused", "ready"]
            .into_iter()
            .find(|s| states.iter().any(|x| x == s))
            .unwrap_or("loading");
        root.set("status", status);
        dom::next_frame().await;
    }
}

/// The heading, the Train all button and the grid the runs go in.
fn layout(root: &Root, s: &CompareSettings) -> Result<(web_sys::Element, web_sys::Element), JsValue> {
    let wrap = el("div", "compare", "")?;
    let title = el("h2", "", "Objectives side by side")?;
    wrap.append_child(&title)?;
    let names: Vec<String> = s.runs.iter().map(|r| r.label()).collect();
    let lede = el(
        "p",
        "lede",
        &format!(
            "{} trained on the same data, seed, network and budget, each in its own workers. The steps view shows how many sampling steps each needs.",
            names.join(" · ")
        ),
    )?;
    wrap.append_child(&lede)?;
    let bar = el("div", "buttons", "")?;
    let train_all = el("button", "primary", "Train all")?;
    train_all.set_attribute("name", "train-all")?;
    bar.append_child(&train_all)?;
    wrap.append_child(&bar)?;
    let grid = el("div", "compare-grid", "")?;
    wrap.append_child(&grid)?;
    root.el.append_child(&wrap)?;
    Ok((grid, train_all))
}
