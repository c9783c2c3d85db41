//! The URL-hash format (`#widget=mixture&backend=cpu&steps=50`): a widget's settings as they live in
//! the page's hash, in an embed's attribute or in a `mount` call, so a link reproduces a widget.
//! Parsing never fails: the widget's settings table ([`super`]) reads each value, and a bad one falls
//! back to its default and leaves a warning the widget shows.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// The widgets the page can mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Widget {
    /// Exact-score sampling of a 2-D Gaussian mixture (the default).
    Mixture,
    /// Train a diffusion model on 2-D points in the tab.
    Toy2d,
    /// Sample images from a shipped model and watch the chain.
    Sampler,
    /// Two to four 2-D trainers side by side on the same data and budget.
    Compare,
}

impl Widget {
    pub const ALL: [Widget; 4] = [
        Widget::Mixture,
        Widget::Toy2d,
        Widget::Sampler,
        Widget::Compare,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Widget::Mixture => "mixture",
            Widget::Toy2d => "toy2d",
            Widget::Sampler => "sampler",
            Widget::Compare => "compare",
        }
    }
}

impl FromStr for Widget {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Widget::ALL
            .into_iter()
            .find(|w| w.name() == s)
            .ok_or_else(|| {
                let known: Vec<_> = Widget::ALL.iter().map(|w| w.name()).collect();
                format!(
                    "There is no widget called “{s}”. Available: {}.",
                    known.join(", ")
                )
            })
    }
}

/// Which compute backend the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackendChoice {
    /// WebGPU when the browser offers an adapter, else the CPU.
    #[default]
    Auto,
    WebGpu,
    Cpu,
}

impl fmt::Display for BackendChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BackendChoice::Auto => "auto",
            BackendChoice::WebGpu => "webgpu",
            BackendChoice::Cpu => "cpu",
        })
    }
}

/// The widget's colours: `light`, `dark`, or `auto` (the reader's `prefers-color-scheme`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    #[default]
    Light,
    Dark,
    Auto,
}

impl Theme {
    pub fn name(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
            Theme::Auto => "auto",
        }
    }
}

/// Keys every widget reads (besides its own table's): which widget, where tensors live, its
/// colours, `hide=` (each widget checks the names it holds) and `lazy=0` (an embed that starts
/// at once instead of when it is scrolled to; the page's loader and `embed.js` read it).
pub const COMMON_KEYS: [&str; 5] = ["widget", "backend", "theme", "hide", "lazy"];

/// The parsed hash: the widget (or why there is none), the backend, the theme, the widget's own
/// parameters and warnings about values that were ignored.
#[derive(Debug, Clone, PartialEq)]
pub struct HashState {
    pub widget: Result<Widget, String>,
    pub backend: BackendChoice,
    pub theme: Theme,
    params: BTreeMap<String, String>,
    pub warnings: Vec<String>,
}

impl HashState {
    /// Parses `location.hash` (with or without the leading `#`).
    pub fn parse(hash: &str) -> Self {
        let mut params = BTreeMap::new();
        for pair in hash
            .trim_start_matches('#')
            .split('&')
            .filter(|p| !p.is_empty())
        {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            params.insert(decode(k), decode(v));
        }
        let mut warnings = Vec::new();
        let widget = params
            .get("widget")
            .map_or(Ok(Widget::Mixture), |w| w.parse());
        let backend = match params.get("backend").map(String::as_str) {
            None | Some("auto") => BackendChoice::Auto,
            Some("webgpu") => BackendChoice::WebGpu,
            Some("cpu") => BackendChoice::Cpu,
            Some(other) => {
                warnings.push(format!(
                    "Unknown backend “{other}” in the URL (use webgpu or cpu); choosing automatically."
                ));
                BackendChoice::Auto
            }
        };
        let theme = match params.get("theme").map(String::as_str) {
            None | Some("light") => Theme::Light,
            Some("dark") => Theme::Dark,
            Some("auto") => Theme::Auto,
            Some(other) => {
                warnings.push(format!(
                    "Unknown theme “{other}” (use light, dark or auto); showing the light one."
                ));
                Theme::Light
            }
        };
        Self {
            widget,
            backend,
            theme,
            params,
            warnings,
        }
    }

    /// A comma-separated list (empty items dropped).
    pub fn list(&self, key: &str) -> Vec<String> {
        self.params.get(key).map_or_else(Vec::new, |v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        })
    }

    /// The keys present, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.params.keys().map(String::as_str)
    }

    /// Warns about each key that is neither common ([`COMMON_KEYS`]) nor in `known` (a widget's
    /// table): a typo in a link or an embed says so in the widget instead of being ignored.
    pub fn warn_unknown(&mut self, known: &[&str]) {
        let unknown: Vec<String> = self
            .keys()
            .filter(|k| !COMMON_KEYS.contains(k) && !known.contains(k))
            .map(|k| format!("“{k}”"))
            .collect();
        if !unknown.is_empty() {
            let mut all: Vec<&str> = known.to_vec();
            all.sort_unstable();
            all.dedup();
            self.warnings.push(format!(
                "This widget has no setting {} (ignored). Its settings: {}.",
                unknown.join(", "),
                all.join(", ")
            ));
        }
    }

    /// The raw value of `key`.
    pub fn raw(&self, key: &str) -> Option<&str> {
        self.params.get(key).map(String::as_str)
    }

    /// Sets (or, with `None`, removes) a parameter, for writing the widget's state back to the URL.
    pub fn set(&mut self, key: &str, value: Option<&str>) {
        match value {
            Some(v) => self.params.insert(key.to_string(), v.to_string()),
            None => self.params.remove(key),
        };
    }

    /// The hash with `key` set to `value`, other parameters kept (for links and “sample again”).
    pub fn with(&self, key: &str, value: &str) -> String {
        let mut s = self.clone();
        s.set(key, Some(value));
        s.to_hash()
    }

    /// The whole state as a hash (`#k=v&…`, keys sorted).
    pub fn to_hash(&self) -> String {
        let body: Vec<String> = self
            .params
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        format!("#{}", body.join("&"))
    }
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b',' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_hash_is_the_default_widget_on_auto() {
        let s = HashState::parse("");
        assert_eq!(s.widget, Ok(Widget::Mixture));
        assert_eq!(s.backend, BackendChoice::Auto);
        assert!(s.warnings.is_empty());
    }

    #[test]
    fn reads_widget_and_backend() {
        let s = HashState::parse("#widget=mixture&backend=cpu&steps=20");
        assert_eq!(s.backend, BackendChoice::Cpu);
        assert_eq!(s.raw("steps"), Some("20"));
        assert!(s.warnings.is_empty());
        let bad = HashState::parse("#backend=tpu");
        assert_eq!(bad.backend, BackendChoice::Auto);
        assert_eq!(bad.warnings.len(), 1, "{:?}", bad.warnings);
    }

    #[test]
    fn unknown_widget_says_what_exists() {
        let s = HashState::parse("widget=nope");
        let err = s.widget.unwrap_err();
        assert!(err.contains("nope") && err.contains("mixture"), "{err}");
    }

    #[test]
    fn reads_the_theme_and_warns_on_a_bad_one() {
        assert_eq!(HashState::parse("theme=dark").theme, Theme::Dark);
        assert_eq!(HashState::parse("theme=auto").theme, Theme::Auto);
        let bad = HashState::parse("theme=neon");
        assert_eq!(bad.theme, Theme::Light);
        assert!(bad.warnings[0].contains("neon"), "{:?}", bad.warnings);
    }

    #[test]
    fn unknown_keys_are_named_in_one_warning() {
        let mut s = HashState::parse("widget=toy2d&theme=dark&stpes=3&lr=1&colour=red");
        s.warn_unknown(&["lr", "steps"]);
        assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
        assert!(
            s.warnings[0].contains("“colour”, “stpes”"),
            "{}",
            s.warnings[0]
        );
        assert!(s.warnings[0].contains("lr, steps"), "{}", s.warnings[0]);
        let mut ok = HashState::parse("widget=toy2d&backend=cpu&hide=lr&lr=1");
        ok.warn_unknown(&["lr"]);
        assert!(ok.warnings.is_empty());
    }

    #[test]
    fn lists_drop_empty_items() {
        let s = HashState::parse("#hide=lr,,width");
        assert_eq!(s.list("hide"), ["lr", "width"]);
    }

    #[test]
    fn with_round_trips_through_parse() {
        let s = HashState::parse("#seed=1&widget=mixture&note=a%20b%26c%");
        let h = s.with("seed", "2");
        let t = HashState::parse(&h);
        assert_eq!(t.raw("seed"), Some("2"));
        assert_eq!(t.params.get("note").map(String::as_str), Some("a b&c%"));
    }
}
