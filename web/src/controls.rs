//! Form controls shared by the widgets. Every control only pushes a command onto its widget's
//! queue, which the widget's loop drains: state flows one way, events → loop → render.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::Element;

use crate::dom::{self, el};
use crate::settings::{Control, Setting};

/// A widget's command queue.
pub type Queue<C> = Rc<RefCell<Vec<C>>>;

/// A `<button name=…>` that pushes `cmd` onto `queue` when clicked.
pub fn button<C: Clone + 'static>(
    parent: &Element,
    text: &str,
    name: &str,
    queue: &Queue<C>,
    cmd: C,
) -> Result<Element, JsValue> {
    let b = el("button", "", text)?;
    b.set_attribute("type", "button")?;
    b.set_attribute("name", name)?;
    let q = queue.clone();
    let click = Closure::<dyn FnMut()>::new(move || q.borrow_mut().push(cmd.clone()));
    b.add_event_listener_with_callback("click", click.as_ref().unchecked_ref())?;
    click.forget();
    parent.append_child(&b)?;
    Ok(b)
}

/// An `<input type=kind>` with its range and value.
pub fn input(
    kind: &str,
    min: &str,
    max: &str,
    step: &str,
    value: &str,
) -> Result<Element, JsValue> {
    let i = dom::document().create_element("input")?;
    i.set_attribute("type", kind)?;
    i.set_attribute("min", min)?;
    i.set_attribute("max", max)?;
    i.set_attribute("step", step)?;
    set_value(&i, value);
    Ok(i)
}

/// Pushes `make(value)` whenever `event` fires on the form control `e`.
pub fn on<C: 'static>(
    e: &Element,
    event: &str,
    queue: &Queue<C>,
    make: impl Fn(String) -> C + 'static,
) -> Result<(), JsValue> {
    let q = queue.clone();
    let target = e.clone();
    let f = Closure::<dyn FnMut()>::new(move || q.borrow_mut().push(make(value(&target))));
    e.add_event_listener_with_callback(event, f.as_ref().unchecked_ref())?;
    f.forget();
    Ok(())
}

/// A form control's `value`.
pub fn value(e: &Element) -> String {
    js_sys::Reflect::get(e, &"value".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

pub fn set_value(e: &Element, v: &str) {
    let _ = js_sys::Reflect::set(e, &"value".into(), &v.into());
}

/// Replaces a `<select>`'s options.
pub fn options(sel: &Element, names: &[&str], selected: &str) -> Result<(), JsValue> {
    let items: Vec<(String, String)> = names
        .iter()
        .map(|n| (n.to_string(), n.to_string()))
        .collect();
    labelled_options(sel, &items, selected)
}

/// Replaces a `<select>`'s options with (value, label) pairs.
pub fn labelled_options(
    sel: &Element,
    items: &[(String, String)],
    selected: &str,
) -> Result<(), JsValue> {
    sel.set_inner_html("");
    for (v, label) in items {
        let o = el("option", "", label)?;
        o.set_attribute("value", v)?;
        sel.append_child(&o)?;
    }
    set_value(sel, selected);
    Ok(())
}

/// One labelled control of a settings form from its row of the settings table (`<label
/// class=class data-control=key>label <select|input name=key></label>`): a change pushes
/// `make(key, value)`.
pub fn setting_row<C: 'static>(
    setting: &Setting,
    class: &str,
    queue: &Queue<C>,
    make: fn(&'static str, String) -> C,
) -> Result<Element, JsValue> {
    let text = if class.is_empty() {
        setting.label.to_string()
    } else {
        format!("{} ", setting.label)
    };
    let row = el("label", class, &text)?;
    row.set_attribute("data-control", setting.key)?;
    let control = match setting.control {
        Control::Number(step) => {
            let (min, max) = setting.range().unwrap_or_default();
            input("number", &min, &max, step, "")?
        }
        _ => dom::document().create_element("select")?,
    };
    control.set_attribute("name", setting.key)?;
    let key = setting.key;
    on(&control, "change", queue, move |v| make(key, v))?;
    row.append_child(&control)?;
    Ok(row)
}
