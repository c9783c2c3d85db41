//! The three ways to put a widget in a post, written from its settings: a link to the view, an
//! iframe (sized by `static/embed.js`), and an element mounted by `embed.js` in the post itself.
//! Each reproduces the view: the same settings string, seed included.

use crate::settings::{HashState, Widget};

/// What the author chose in the dialog.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Choice {
    /// The controls to hide (`hide=`), replacing the view's own list.
    pub hide: Vec<String>,
    /// Start on load (`autoplay=1` or `autorun=1`, whichever the widget reads).
    pub start: bool,
    /// `theme=` (none: the widget's default, light).
    pub theme: Option<String>,
    /// The height to reserve, in CSS pixels.
    pub height: u32,
}

/// The controls the dialog offers to hide for `widget` (its panels).
pub fn panels(widget: Widget) -> &'static [&'static str] {
    match widget {
        Widget::Toy2d | Widget::Compare => &crate::settings::toy2d::PANELS,
        Widget::Sampler => &crate::settings::sampler::PANELS,
        Widget::Mixture => &[],
    }
}

/// The key that starts `widget` on load, if it has one (the mixture always runs).
pub fn start_key(widget: Widget) -> Option<&'static str> {
    match widget {
        Widget::Toy2d | Widget::Compare => Some("autoplay"),
        Widget::Sampler => Some("autorun"),
        Widget::Mixture => None,
    }
}

/// The view's settings (`#k=v&…` or without `#`) with the author's choice over them, without `#`.
pub fn settings(view: &str, choice: &Choice) -> String {
    let mut h = HashState::parse(view);
    let widget = h.widget.clone().unwrap_or(Widget::Mixture);
    h.set(
        "hide",
        (!choice.hide.is_empty())
            .then(|| choice.hide.join(","))
            .as_deref(),
    );
    if let Some(key) = start_key(widget) {
        h.set(key, choice.start.then_some("1"));
    }
    h.set("theme", choice.theme.as_deref());
    // the widget first, where a reader of the snippet looks for it
    let hash = h.to_hash();
    let (widget, rest): (Vec<&str>, Vec<&str>) = hash
        .trim_start_matches('#')
        .split('&')
        .partition(|p| p.starts_with("widget="));
    [widget, rest].concat().join("&")
}

/// A link to the view on the playground at `host` (its root URL, ending in `/`).
pub fn link(host: &str, settings: &str) -> String {
    format!("{host}#{settings}")
}

/// An iframe of the view, with the height reserved and the script that sizes it to its widget.
pub fn iframe(host: &str, settings: &str, height: u32) -> String {
    format!(
        "<iframe src=\"{}\" title=\"{}\" width=\"100%\" height=\"{height}\" style=\"border:0\" \
         loading=\"lazy\"></iframe>\n<script src=\"{host}static/embed.js\"></script>",
        attr(&link(host, settings)),
        attr(&title(settings)),
    )
}

/// The view as an element in the post itself (`embed.js` mounts it in a shadow root, when it is
/// scrolled near), with the height reserved until then.
pub fn element(host: &str, settings: &str, height: u32) -> String {
    format!(
        "<script type=\"module\" src=\"{host}embed.js\"></script>\n\
         <diffusion-widget settings=\"{}\" height=\"{height}\"></diffusion-widget>",
        attr(settings)
    )
}

/// What a screen reader says of the iframe.
fn title(settings: &str) -> String {
    let widget = HashState::parse(settings).widget.unwrap_or(Widget::Mixture);
    let what = match widget {
        Widget::Mixture => "sampling a Gaussian mixture with its exact score",
        Widget::Toy2d => "training a diffusion model on 2-D points",
        Widget::Sampler => "sampling images from a diffusion model",
        Widget::Compare => "diffusion objectives side by side",
    };
    format!("Diffusion playground: {what}")
}

/// `s` as an HTML attribute value (inside double quotes).
fn attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "https://example.org/playground/";

    #[test]
    fn the_choice_goes_over_the_views_settings() {
        let view = "#widget=toy2d&data=moons&seed=4&hide=loss&autoplay=1";
        let choice = Choice {
            hide: vec!["settings".into(), "views".into()],
            start: false,
            theme: Some("dark".into()),
            height: 700,
        };
        let s = settings(view, &choice);
        assert!(s.starts_with("widget=toy2d&"), "{s}");
        let h = HashState::parse(&s);
        assert_eq!(h.raw("data"), Some("moons"));
        assert_eq!(h.raw("seed"), Some("4"));
        assert_eq!(h.list("hide"), ["settings", "views"]);
        assert_eq!(h.raw("autoplay"), None);
        assert_eq!(h.raw("theme"), Some("dark"));
        let sampler = settings(
            "widget=sampler&class=3",
            &Choice {
                start: true,
                ..Choice::default()
            },
        );
        assert_eq!(HashState::parse(&sampler).raw("autorun"), Some("1"));
        assert_eq!(HashState::parse(&sampler).raw("hide"), None);
    }

    #[test]
    fn snippets_carry_the_settings_escaped_and_the_height() {
        let s = "widget=sampler&model=mnist-unet-cond&class=3&hide=settings";
        let f = iframe(HOST, s, 812);
        assert!(f.contains("src=\"https://example.org/playground/#widget=sampler&amp;model=mnist-unet-cond&amp;class=3&amp;hide=settings\""), "{f}");
        assert!(
            f.contains("height=\"812\"") && f.contains("loading=\"lazy\""),
            "{f}"
        );
        assert!(
            f.contains("<script src=\"https://example.org/playground/static/embed.js\"></script>"),
            "{f}"
        );
        assert!(f.contains("images from a diffusion model"), "{f}");
        let e = element(HOST, s, 640);
        assert!(
            e.starts_with(
                "<script type=\"module\" src=\"https://example.org/playground/embed.js\"></script>"
            ),
            "{e}"
        );
        assert!(e.contains("settings=\"widget=sampler&amp;model=mnist-unet-cond&amp;class=3&amp;hide=settings\" height=\"640\""), "{e}");
        assert_eq!(link(HOST, s), format!("{HOST}#{s}"));
        // a value that holds a quote cannot end the attribute early
        assert!(!iframe(HOST, "widget=toy2d&x=\"><script>", 1).contains("\"><script>"));
    }
}
