//! The Embed button and its dialog: the author picks which controls to hide, whether the widget
//! starts on load, its theme and the height to reserve, and copies a link, an iframe or an element
//! (Clipboard API; where it is refused, the text is selected for the author to copy).

use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlDialogElement, HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};

use super::snippets::{self, Choice};
use crate::dom::{self, el};
use crate::root::Root;
use crate::settings::{HashState, Widget};

/// Adds "Embed…" above the widget on `root`; the dialog is made when it is pressed.
pub fn offer(root: &Root, widget: Widget) -> Result<(), JsValue> {
    let bar = el("div", "widget-tools", "")?;
    let button = el("button", "", "Embed…")?;
    button.set_attribute("type", "button")?;
    button.set_attribute("name", "embed")?;
    button.set_attribute("aria-haspopup", "dialog")?;
    bar.append_child(&button)?;
    match root.el.query_selector(":scope > .messages")? {
        Some(m) => m.after_with_node_1(&bar)?,
        None => root.el.prepend_with_node_1(&bar)?,
    }
    let root = root.clone();
    let open = Closure::<dyn FnMut()>::new(move || {
        if let Err(e) = show(&root, widget) {
            root.message("error", &format!("The embed dialog could not be opened ({e:?})."));
        }
    });
    button.add_event_listener_with_callback("click", open.as_ref().unchecked_ref())?;
    open.forget();
    Ok(())
}

/// The height an iframe of this page's widget takes: the page less its header (an embedded page
/// hides it), else the widget's own.
fn height(root: &Root) -> u32 {
    let doc = dom::document();
    let page = doc.document_element().map(|h| h.get_bounding_client_rect().height());
    let header = doc
        .query_selector("header.site")
        .ok()
        .flatten()
        .map_or(0.0, |h| h.get_bounding_client_rect().height());
    let own = root.el.get_bounding_client_rect().height();
    let h = match page {
        Some(p) if root.is_page() => p - header,
        _ => own,
    };
    h.ceil().max(100.0) as u32
}

fn show(root: &Root, widget: Widget) -> Result<(), JsValue> {
    if let Some(old) = root.el.query_selector(":scope > dialog.embed-dialog")? {
        old.remove();
    }
    let view = root.settings();
    let hash = HashState::parse(&view);
    let start = snippets::start_key(widget);
    let dialog: HtmlDialogElement = el("dialog", "embed-dialog", "")?.dyn_into()?;
    dialog.set_attribute("aria-label", "Embed this widget")?;
    dialog.append_child(&el("h3", "", "Embed this widget")?.into())?;
    dialog.append_child(&el(
        "p",
        "lede",
        "Paste one of these into your post: each shows this view with these settings and seed.",
    )?
    .into())?;

    let form = el("form", "embed-choice", "")?;
    form.set_attribute("method", "dialog")?;
    let hidden_now = hash.list("hide");
    let mut boxes = Vec::new();
    let panels = snippets::panels(widget);
    if !panels.is_empty() {
        let set = el("fieldset", "", "")?;
        set.append_child(&el("legend", "", "Hide")?.into())?;
        for p in panels {
            let (label, input) = check(p, hidden_now.iter().any(|h| h == p))?;
            set.append_child(&label)?;
            boxes.push(((*p).to_string(), input));
        }
        form.append_child(&set)?;
    }
    // hidden settings (not panels) stay hidden
    let kept: Vec<String> = hidden_now
        .into_iter()
        .filter(|h| !panels.contains(&h.as_str()))
        .collect();
    let start_box = match start {
        Some(key) => {
            let (label, input) = check("start on load", hash.raw(key).is_some_and(|v| v != "0"))?;
            form.append_child(&label)?;
            Some(input)
        }
        None => None,
    };
    let theme_label = el("label", "", "theme ")?;
    let theme: HtmlSelectElement = dom::document().create_element("select")?.dyn_into()?;
    theme.set_name("theme");
    for t in ["light", "dark", "auto"] {
        let o = el("option", "", t)?;
        o.set_attribute("value", t)?;
        theme.append_child(&o)?;
    }
    theme.set_value(hash.theme.name());
    theme_label.append_child(&theme)?;
    form.append_child(&theme_label)?;
    let height_label = el("label", "", "height (px) ")?;
    let height_input = crate::controls::input("number", "100", "20000", "1", &height(root).to_string())?;
    height_input.set_attribute("name", "height")?;
    height_label.append_child(&height_input)?;
    form.append_child(&height_label)?;
    dialog.append_child(&form)?;

    let host = crate::worker::app_url("./");
    let outputs = [
        ("link", "A link to this view"),
        ("iframe", "An iframe (the script sizes it to the widget)"),
        ("element", "An element in the post itself (shadow DOM; widgets share one app)"),
    ]
    .map(|(name, text)| snippet_block(&dialog, name, text));
    let outputs: Vec<HtmlTextAreaElement> = outputs.into_iter().collect::<Result<_, _>>()?;

    let height_input: HtmlInputElement = height_input.dyn_into()?;
    let fill = Rc::new(move || {
        let mut hide: Vec<String> = boxes
            .iter()
            .filter(|(_, b)| b.checked())
            .map(|(p, _)| p.clone())
            .collect();
        hide.extend(kept.iter().cloned());
        let theme = theme.value();
        let choice = Choice {
            hide,
            start: start_box.as_ref().is_some_and(HtmlInputElement::checked),
            theme: (theme != "light").then_some(theme),
            height: height_input.value().parse().unwrap_or(600).clamp(100, 20_000),
        };
        let s = snippets::settings(&view, &choice);
        outputs[0].set_value(&snippets::link(&host, &s));
        outputs[1].set_value(&snippets::iframe(&host, &s, choice.height));
        outputs[2].set_value(&snippets::element(&host, &s, choice.height));
    });
    fill();
    let refill = Closure::<dyn FnMut()>::new({
        let fill = fill.clone();
        move || fill()
    });
    form.add_event_listener_with_callback("input", refill.as_ref().unchecked_ref())?;
    form.add_event_listener_with_callback("change", refill.as_ref().unchecked_ref())?;
    refill.forget();

    let close = el("button", "", "Close")?;
    close.set_attribute("type", "button")?;
    close.set_attribute("name", "close")?;
    let d = dialog.clone();
    let on_close = Closure::<dyn FnMut()>::new(move || d.close());
    close.add_event_listener_with_callback("click", on_close.as_ref().unchecked_ref())?;
    on_close.forget();
    dialog.append_child(&close)?;
    root.el.append_child(&dialog)?;
    dialog.show_modal()?;
    Ok(())
}

/// A labelled checkbox.
fn check(text: &str, on: bool) -> Result<(Element, HtmlInputElement), JsValue> {
    let label = el("label", "check", "")?;
    let input: HtmlInputElement = dom::document().create_element("input")?.dyn_into()?;
    input.set_type("checkbox");
    input.set_name(text);
    input.set_checked(on);
    label.append_child(&input)?;
    label.append_with_str_1(&format!(" {text}"))?;
    Ok((label, input))
}

/// A titled, read-only text area with a Copy button under it.
fn snippet_block(
    dialog: &HtmlDialogElement,
    name: &str,
    text: &str,
) -> Result<HtmlTextAreaElement, JsValue> {
    let block = el("div", "snippet", "")?;
    let label = el("label", "", text)?;
    let area: HtmlTextAreaElement = dom::document().create_element("textarea")?.dyn_into()?;
    area.set_name(name);
    area.set_read_only(true);
    area.set_rows(if name == "link" { 2 } else { 3 });
    label.append_child(&area)?;
    block.append_child(&label)?;
    let copy = el("button", "", "Copy")?;
    copy.set_attribute("type", "button")?;
    copy.set_attribute("name", &format!("copy-{name}"))?;
    let (a, b) = (area.clone(), copy.clone());
    let on_copy = Closure::<dyn FnMut()>::new(move || copy_text(&a, &b));
    copy.add_event_listener_with_callback("click", on_copy.as_ref().unchecked_ref())?;
    on_copy.forget();
    block.append_child(&copy)?;
    dialog.append_child(&block)?;
    Ok(area)
}

/// Copies the area's text with the Clipboard API; where there is none, or it is refused (an
/// insecure page, a permission), selects the text and says how to copy it.
fn copy_text(area: &HtmlTextAreaElement, button: &Element) {
    let text = area.value();
    let clipboard = dom::window().navigator().clipboard();
    let fallback = {
        let (area, button) = (area.clone(), button.clone());
        move || {
            area.focus().ok();
            area.select();
            button.set_text_content(Some("Selected: press Ctrl+C (⌘C)"));
        }
    };
    // `navigator.clipboard` is undefined outside a secure context
    if JsValue::from(clipboard.clone()).is_undefined() {
        return fallback();
    }
    let promise = clipboard.write_text(&text);
    let button = button.clone();
    wasm_bindgen_futures::spawn_local(async move {
        match wasm_bindgen_futures::JsFuture::from(promise).await {
            Ok(_) => button.set_text_content(Some("Copied")),
            Err(_) => fallback(),
        }
    });
}
