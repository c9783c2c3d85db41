//! Every widget's settings as one table (key, kind, default, range, what a change redoes), read
//! from and written to the URL-hash format. Parsing, writing the hash, filling the form, `hide=`
//! and "what must be redone after this change" all read the table, so a setting is written down
//! once: in its widget's `table()`. Platform-independent and tested natively.
//!
//! The values live in [`Values`], keyed by the table's keys; each widget wraps them in a typed
//! view (`Toy2dSettings`, `SamplerSettings`, `MixtureSettings`) whose accessors read them.

/// Typed getters over a view's `values`, one a setting: `getters! { model: text -> &str }` is
/// `pub fn model(&self) -> &str { self.values.text("model") }`.
macro_rules! getters {
    ($($(#[$doc:meta])* $name:ident: $kind:ident -> $ty:ty),* $(,)?) => {
        $( $(#[$doc])* pub fn $name(&self) -> $ty { self.values.$kind(stringify!($name)) } )*
    };
}

/// `impl Common` for a typed view with `values` and `hide` fields.
macro_rules! common {
    ($view:ty) => {
        impl super::Common for $view {
            fn values(&self) -> &super::Values {
                &self.values
            }

            fn hide(&self) -> &[String] {
                &self.hide
            }
        }
    };
}

pub mod compare;
pub mod hash;
pub mod mixture;
pub mod points;
pub mod sampler;
pub mod toy2d;

use std::collections::BTreeMap;

use diffusion::sampler::{Options, X0Clip};

pub use hash::{BackendChoice, HashState, Theme, Widget};

/// What a setting holds and which values it accepts.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// A whole number in `min..=max`.
    Int { min: u64, max: u64 },
    /// A finite number in `min..=max` (decimal or exponent notation).
    Float { min: f64, max: f64 },
    /// One of the names.
    Choice(Vec<String>),
    /// One of the names; a value that is none of them is passed over without a warning (a
    /// class for a model that has none).
    Lenient(Vec<String>),
    /// `1`/`true` or `0`/`false` (a bare key counts as true).
    Flag,
    /// Free text the widget checks itself (drawn points, a path).
    Text,
}

/// What a change of the setting makes the widget redo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// A new run: the model is built (or loaded) again and everything drawn from it goes.
    Rebuild,
    /// The running training takes the new value at its next step.
    Retune,
    /// The samples are drawn again from the same model.
    Resample,
    /// Only the view changes.
    Redraw,
    /// Read once when the widget starts (a later change does nothing until a reload).
    Start,
}

/// How the settings form shows a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// A `<select>` of the kind's names.
    Select,
    /// An `<input type=number>` with this `step` (`any` for free decimals).
    Number(&'static str),
    /// Not in the form: set by the URL, a tab, a slider or the plot.
    None,
}

/// A value of a setting.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(u64),
    Float(f64),
    Text(String),
    Flag(bool),
    /// Not set (an optional setting such as `train_steps`).
    Unset,
}

impl Value {
    /// The value as the hash writes it (`Unset`: nothing).
    pub fn to_text(&self) -> String {
        match self {
            Value::Int(v) => v.to_string(),
            Value::Float(v) => v.to_string(),
            Value::Text(v) => v.clone(),
            Value::Flag(v) => u8::from(*v).to_string(),
            Value::Unset => String::new(),
        }
    }
}

/// One row of a widget's settings table.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// The hash key (also a control name for `hide=`).
    pub key: &'static str,
    /// The form's label.
    pub label: &'static str,
    pub kind: Kind,
    pub default: Value,
    pub effect: Effect,
    pub control: Control,
}

impl Setting {
    pub fn new(key: &'static str, label: &'static str, kind: Kind, default: Value) -> Self {
        Self {
            key,
            label,
            kind,
            default,
            effect: Effect::Redraw,
            control: Control::None,
        }
    }

    pub fn on_change(mut self, effect: Effect) -> Self {
        self.effect = effect;
        self
    }

    pub fn shown_as(mut self, control: Control) -> Self {
        self.control = control;
        self
    }

    /// The `min`/`max` of a number's form control.
    pub fn range(&self) -> Option<(String, String)> {
        match &self.kind {
            Kind::Int { min, max } => Some((min.to_string(), max.to_string())),
            Kind::Float { min, max } => Some((min.to_string(), max.to_string())),
            _ => None,
        }
    }

    /// The names a `<select>` offers.
    pub fn names(&self) -> &[String] {
        match &self.kind {
            Kind::Choice(names) | Kind::Lenient(names) => names,
            _ => &[],
        }
    }

    /// Reads the setting from `hash`: missing gives the default; a bad value gives the default
    /// and a warning in `hash.warnings`.
    pub fn read(&self, hash: &mut HashState) -> Value {
        let Some(raw) = hash.raw(self.key).map(String::from) else {
            return self.default.clone();
        };
        let (key, shown) = (self.key, self.default_text());
        let warning = match &self.kind {
            Kind::Int { min, max } => match raw.parse::<u64>() {
                Ok(v) if (*min..=*max).contains(&v) => return Value::Int(v),
                _ => format!(
                    "“{key}={raw}” is not a whole number from {min} to {max}; using {shown}."
                ),
            },
            Kind::Float { min, max } => match raw.parse::<f64>() {
                Ok(v) if v.is_finite() && (*min..=*max).contains(&v) => return Value::Float(v),
                _ => format!("“{key}={raw}” is not a number from {min} to {max}; using {shown}."),
            },
            Kind::Choice(names) => {
                if names.contains(&raw) {
                    return Value::Text(raw);
                }
                format!(
                    "“{key}={raw}” is not one of {}; using {shown}.",
                    names.join(", ")
                )
            }
            Kind::Lenient(names) => {
                return if names.contains(&raw) {
                    Value::Text(raw)
                } else {
                    self.default.clone()
                };
            }
            Kind::Flag => match raw.as_str() {
                "1" | "true" | "" => return Value::Flag(true),
                "0" | "false" => return Value::Flag(false),
                _ => format!("“{key}={raw}” is not 1 or 0; using {shown}."),
            },
            Kind::Text => return Value::Text(raw),
        };
        hash.warnings.push(warning);
        self.default.clone()
    }

    fn default_text(&self) -> String {
        match &self.default {
            Value::Unset => "none".into(),
            v => v.to_text(),
        }
    }
}

/// A widget's values, by key.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Values(BTreeMap<&'static str, Value>);

impl Values {
    /// Every setting of `table` read from `hash` (warnings in `hash.warnings`).
    pub fn read(table: &[Setting], hash: &mut HashState) -> Self {
        Self(table.iter().map(|s| (s.key, s.read(hash))).collect())
    }

    /// Writes every value that differs from its default to `hash` and removes the others, so the
    /// hash stays short and a link reproduces the widget.
    pub fn write(&self, table: &[Setting], hash: &mut HashState) {
        for s in table {
            let v = self.get(s.key);
            let text = (v != &s.default && v != &Value::Unset).then(|| v.to_text());
            hash.set(s.key, text.as_deref());
        }
    }

    pub fn get(&self, key: &str) -> &Value {
        self.0.get(key).unwrap_or(&Value::Unset)
    }

    pub fn set(&mut self, key: &'static str, value: Value) {
        self.0.insert(key, value);
    }

    pub fn int(&self, key: &str) -> u64 {
        match self.get(key) {
            Value::Int(v) => *v,
            other => panic!("setting {key} is {other:?}, not a whole number"),
        }
    }

    pub fn float(&self, key: &str) -> f64 {
        match self.get(key) {
            Value::Float(v) => *v,
            other => panic!("setting {key} is {other:?}, not a number"),
        }
    }

    pub fn text(&self, key: &str) -> &str {
        match self.get(key) {
            Value::Text(v) => v,
            other => panic!("setting {key} is {other:?}, not text"),
        }
    }

    pub fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Value::Flag(true))
    }

    /// The value as the form shows it.
    pub fn form_text(&self, key: &str) -> String {
        self.get(key).to_text()
    }
}

/// The rows every sampling widget has, defaults from the core's [`Options`]: the sampler (one of
/// `fitting`, `default` unless the hash names another), its steps and the two options samplers
/// read (the core's sampler table says which: the form shows each only where it is read). A change
/// of any of them resamples.
pub fn sampler_rows(fitting: &[&str], default: &str, steps: usize) -> Vec<Setting> {
    let o = Options::default();
    let float = |min, max| Kind::Float { min, max };
    vec![
        Setting::new(
            "sampler",
            "sampler",
            Kind::Choice(names(fitting)),
            Value::Text(default.into()),
        )
        .on_change(Effect::Resample)
        .shown_as(Control::Select),
        Setting::new(
            "steps",
            "sampler steps",
            Kind::Int { min: 1, max: 1000 },
            Value::Int(steps as u64),
        )
        .on_change(Effect::Resample)
        .shown_as(Control::Number("1")),
        Setting::new("eta", "η (DDIM)", float(0.0, 1.0), Value::Float(o.eta))
            .on_change(Effect::Resample)
            .shown_as(Control::Number("0.1")),
        Setting::new(
            "snr",
            "snr (corrector)",
            float(0.0, 1.0),
            Value::Float(o.snr),
        )
        .on_change(Effect::Resample)
        .shown_as(Control::Number("0.01")),
    ]
}

/// What every widget's typed view of its settings reads the same way: its values and `hide=`.
pub trait Common {
    fn values(&self) -> &Values;
    fn hide(&self) -> &[String] {
        &[]
    }

    fn sampler(&self) -> &str {
        self.values().text("sampler")
    }

    /// Points or images sampled.
    fn n(&self) -> usize {
        self.values().int("n") as usize
    }

    fn seed(&self) -> u64 {
        self.values().int("seed")
    }

    /// The sampler's options from its rows ([`sampler_rows`]), with the widget's treatment of x̂₀.
    fn options_with(&self, clip: X0Clip) -> Options {
        let v = self.values();
        Options {
            steps: v.int("steps") as usize,
            eta: v.float("eta"),
            snr: v.float("snr"),
            clip,
            ..Options::default()
        }
    }

    /// `hide=` names the control (a panel or a setting's key).
    fn hidden(&self, control: &str) -> bool {
        self.hide().iter().any(|h| h == control)
    }
}

/// What a change of settings makes the widget redo (several at once where several changed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Changes {
    pub rebuild: bool,
    pub retune: bool,
    pub resample: bool,
    pub redraw: bool,
}

impl Changes {
    /// The effects of the settings that differ between `before` and `after`.
    pub fn between(table: &[Setting], before: &Values, after: &Values) -> Self {
        let mut c = Changes::default();
        for s in table
            .iter()
            .filter(|s| before.get(s.key) != after.get(s.key))
        {
            match s.effect {
                Effect::Rebuild => c.rebuild = true,
                Effect::Retune => c.retune = true,
                Effect::Resample => c.resample = true,
                Effect::Redraw => c.redraw = true,
                Effect::Start => {}
            }
        }
        c
    }

    pub fn any(&self) -> bool {
        self.rebuild || self.retune || self.resample || self.redraw
    }
}

/// `hide=`: the controls to hide, each a panel of `panels` or a key of `table` (an unknown name is
/// kept, harmlessly, with a warning that lists the known ones).
pub fn hidden(hash: &mut HashState, panels: &[&str], table: &[Setting]) -> Vec<String> {
    let hide = hash.list("hide");
    let keys: Vec<&str> = table.iter().map(|s| s.key).collect();
    for h in &hide {
        if !panels.contains(&h.as_str()) && !keys.contains(&h.as_str()) {
            hash.warnings.push(format!(
                "hide={h}: there is no control called “{h}” (known: {}, {}).",
                panels.join(", "),
                keys.join(", ")
            ));
        }
    }
    hide
}

/// Names as the table's choices hold them.
pub fn names<S: AsRef<str>>(names: &[S]) -> Vec<String> {
    names.iter().map(|n| n.as_ref().to_string()).collect()
}

/// A `sampler=` that the core's sampler table knows but that does not fit (it is not among
/// `fitting`): a warning that says so, and the key dropped so that the default applies. An unknown
/// name is left to the settings table's own warning.
pub fn unfit_sampler(hash: &mut HashState, fitting: &[&str], default: &str, what: &str) {
    let Some(raw) = hash.raw("sampler").map(String::from) else {
        return;
    };
    if diffusion::sampler::info(&raw).is_some() && !fitting.contains(&raw.as_str()) {
        hash.warnings.push(format!(
            "The sampler “{raw}” does not fit {what}; using {default}."
        ));
        hash.set("sampler", None);
    }
}

#[cfg(test)]
mod tests;
