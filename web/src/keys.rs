//! The keyboard on a widget: Space plays or pauses (the chain where its scrubber is shown, else
//! training, else sampling), ← and → step the chain's scrubber. The widget's root is focusable
//! (and shows its focus); keys typed into a form control stay that control's, a key meant for a
//! widget inside (a comparison's run) is that widget's, and a widget scrolled away leaves Space
//! to the page (it scrolls).

use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlElement, HtmlInputElement, KeyboardEvent};

/// Listens on `root` for the widget's keys (once per element: a widget mounted again on it is
/// served by the same listener).
pub fn listen(root: &Element) -> Result<(), JsValue> {
    if root.has_attribute("data-keys") {
        return Ok(());
    }
    root.set_attribute("data-keys", "")?;
    if !root.has_attribute("tabindex") {
        root.set_attribute("tabindex", "0")?;
    }
    if !root.has_attribute("aria-label") {
        root.set_attribute(
            "aria-label",
            "diffusion widget (Space: play or pause; arrow keys: step the chain)",
        )?;
    }
    let el = root.clone();
    let keydown = Closure::<dyn FnMut(KeyboardEvent)>::new(move |e: KeyboardEvent| {
        if e.default_prevented()
            || e.alt_key()
            || e.ctrl_key()
            || e.meta_key()
            || typing(&e)
            || !ours(&el, &e)
            || el.get_attribute("data-offscreen").as_deref() == Some("true")
        {
            return;
        }
        let done = match e.key().as_str() {
            " " | "Spacebar" => play(&el),
            "ArrowLeft" => step(&el, -1.0),
            "ArrowRight" => step(&el, 1.0),
            _ => false,
        };
        if done {
            e.prevent_default();
        }
    });
    root.add_event_listener_with_callback("keydown", keydown.as_ref().unchecked_ref())?;
    keydown.forget();
    Ok(())
}

/// The key went to a control that reads keys itself (a field, a list, a button, a slider).
fn typing(e: &KeyboardEvent) -> bool {
    e.target()
        .and_then(|t| t.dyn_into::<Element>().ok())
        .is_some_and(|t| {
            matches!(
                t.tag_name().as_str(),
                "INPUT" | "SELECT" | "TEXTAREA" | "BUTTON" | "SUMMARY"
            ) || t.closest("dialog").ok().flatten().is_some()
        })
}

/// The key went to this widget, not to a widget inside it (a comparison's run has its own keys).
fn ours(root: &Element, e: &KeyboardEvent) -> bool {
    e.target()
        .and_then(|t| t.dyn_into::<Element>().ok())
        .and_then(|t| t.closest("[data-keys]").ok().flatten())
        .is_some_and(|owner| &owner == root)
}

/// The first shown and enabled element of `root` that matches `selector` and belongs to it (not
/// to a widget nested inside, such as a comparison's runs).
fn shown(root: &Element, selector: &str) -> Option<HtmlElement> {
    let all = root.query_selector_all(selector).ok()?;
    (0..all.length())
        .filter_map(|i| all.get(i)?.dyn_into::<HtmlElement>().ok())
        .filter(|e| {
            e.parent_element()
                .and_then(|p| p.closest("[data-keys]").ok().flatten())
                .is_some_and(|owner| &owner == root)
        })
        .find(|e| e.offset_parent().is_some() && !e.has_attribute("disabled"))
}

fn play(root: &Element) -> bool {
    let chain = shown(root, "input[name=scrub]").is_some();
    let target = if chain {
        shown(root, "button[name=chain-play]")
    } else {
        None
    };
    let Some(b) = target.or_else(|| {
        ["play", "sample", "again"]
            .iter()
            .find_map(|n| shown(root, &format!("button[name={n}]")))
    }) else {
        return false;
    };
    b.click();
    true
}

fn step(root: &Element, by: f64) -> bool {
    let Some(scrub) = shown(root, "input[name=scrub]").and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
    else {
        return false;
    };
    let (min, max) = (
        scrub.min().parse().unwrap_or(0.0),
        scrub.max().parse().unwrap_or(0.0),
    );
    let now: f64 = scrub.value().parse().unwrap_or(min);
    let next = (now + by).clamp(min, max);
    scrub.set_value(&next.to_string());
    if let Ok(ev) = web_sys::Event::new("input") {
        let _ = scrub.dispatch_event(&ev);
    }
    true
}
