//! The 2-D trainer's settings table, and the typed view the widget reads: the engine's
//! [`ToyConfig`] and the sampler's [`Options`] are made from it, and their defaults are the table's
//! defaults. Hand-drawn points travel in the hash too (`pts=`, [`super::points`]).

use diffusion::sampler::{Family, Options, X0Clip, fitting};
use train::toy::{FlowTimes, Process, Target, ToyConfig};

use super::points::{decode_points, encode_points};
use super::{
    Common, Control, Effect, HashState, Kind, Setting, Value, Values, hidden, names, sampler_rows,
    unfit_sampler,
};

pub use super::points::{EXTENT, MAX_DRAWN};

/// The data-set choice that means “the points drawn by hand” (`pts=` holds them).
pub const DRAWN: &str = "drawn";
/// Processes by their hash name (`flow`: flow matching on the linear path; `flow-ot`: the same
/// with minibatch optimal-transport pairs).
pub const PROCESSES: [&str; 7] = [
    "ddpm-linear",
    "ddpm-cosine",
    "vp",
    "subvp",
    "ve",
    "flow",
    "flow-ot",
];
pub const VIEWS: [&str; 6] = ["samples", "chain", "forward", "field", "density", "steps"];
/// Controls that `hide=` can name besides the setting keys.
pub const PANELS: [&str; 6] = ["buttons", "views", "loss", "settings", "caption", "draw"];
/// Fewest points a run can train on.
pub const MIN_POINTS: usize = 8;
/// x̂₀ is clipped to this (in units of the data's std) by the DDPM/DDIM/DPM++ samplers: a cosine
/// schedule's last ᾱ is ~0, and dividing by √ᾱ there blows a learned model's x̂₀ up.
pub const X0_RANGE: f64 = 4.0;

/// The sampler a process of `family` gets unless the hash names another.
fn default_sampler(family: Family) -> &'static str {
    match family {
        Family::Discrete => "ddim",
        Family::Sde => "pf-heun",
        Family::Flow => "flow-heun",
    }
}

/// The hash name of a process of the engine.
fn process_name(p: &Process) -> String {
    match p {
        Process::Ddpm { schedule, .. } => format!("ddpm-{schedule}"),
        Process::Sde { name } => name.clone(),
        Process::Flow { ot: false } => "flow".into(),
        Process::Flow { ot: true } => "flow-ot".into(),
    }
}

/// Regression targets by their hash name ([`Target`]).
pub const TARGETS: [&str; 2] = ["stable", "pair"];
/// Flow matching's time samplings by their hash name ([`FlowTimes`]).
pub const TIMES: [&str; 2] = ["uniform", "logit-normal"];

/// The family of samplers a process (by its hash name) takes.
fn family(process: &str) -> Family {
    if process.starts_with("ddpm") {
        Family::Discrete
    } else if process.starts_with("flow") {
        Family::Flow
    } else {
        Family::Sde
    }
}

/// The table, for a process of `family`: the sampler's choices and default follow the process.
pub fn table(family: Family) -> Vec<Setting> {
    use Control::{Number, Select};
    use Effect::{Rebuild, Redraw, Resample, Retune, Start};
    let c = ToyConfig::default();
    let o = Options::default();
    let timesteps = match c.process {
        Process::Ddpm { steps, .. } => steps,
        _ => 1000,
    };
    let mut datasets = names(&data::toy::TOYS);
    datasets.push(DRAWN.into());
    let int = |min, max| Kind::Int { min, max };
    let float = |min, max| Kind::Float { min, max };
    let text = |v: &str| Value::Text(v.into());
    let mut rows = vec![
        Setting::new("data", "data", Kind::Choice(datasets), text(&c.dataset))
            .on_change(Rebuild)
            .shown_as(Select),
        Setting::new("noise", "noise", float(0.0, 1.0), Value::Float(c.noise))
            .on_change(Rebuild)
            .shown_as(Number("0.01")),
        Setting::new(
            "process",
            "process",
            Kind::Choice(names(&PROCESSES)),
            text(&process_name(&c.process)),
        )
        .on_change(Rebuild)
        .shown_as(Select),
        Setting::new(
            "target",
            "target",
            Kind::Choice(names(&TARGETS)),
            text(match c.target {
                Target::Stable => "stable",
                Target::Pair => "pair",
            }),
        )
        .on_change(Rebuild)
        .shown_as(Select),
        Setting::new(
            "times",
            "flow times",
            Kind::Choice(names(&TIMES)),
            text(match c.times {
                FlowTimes::LogitNormal => "logit-normal",
                FlowTimes::Uniform => "uniform",
            }),
        )
        .on_change(Rebuild)
        .shown_as(Select),
        Setting::new("T", "T (DDPM)", int(10, 4000), Value::Int(timesteps as u64))
            .on_change(Rebuild)
            .shown_as(Number("10")),
        Setting::new("width", "width", int(4, 1024), Value::Int(c.width as u64))
            .on_change(Rebuild)
            .shown_as(Number("1")),
        Setting::new("depth", "depth", int(1, 8), Value::Int(c.depth as u64))
            .on_change(Rebuild)
            .shown_as(Number("1")),
        Setting::new(
            "time",
            "time features",
            Kind::Choice(names(&["sinusoidal", "fourier"])),
            text(if c.fourier { "fourier" } else { "sinusoidal" }),
        )
        .on_change(Rebuild)
        .shown_as(Select),
        Setting::new("lr", "learning rate", float(1e-6, 1e4), Value::Float(c.lr))
            .on_change(Retune)
            .shown_as(Number("any")),
        Setting::new("batch", "batch", int(1, 4096), Value::Int(c.batch as u64))
            .on_change(Retune)
            .shown_as(Number("1")),
        Setting::new(
            "ema",
            "EMA decay",
            float(0.0, 0.99999),
            Value::Float(c.ema_decay),
        )
        .on_change(Rebuild)
        .shown_as(Number("any")),
        Setting::new("seed", "seed", int(0, u32::MAX as u64), Value::Int(c.seed))
            .on_change(Rebuild)
            .shown_as(Number("1")),
    ];
    rows.extend(sampler_rows(
        &fitting(family),
        default_sampler(family),
        o.steps,
    ));
    rows.extend([
        Setting::new("n", "samples", int(1, 5000), Value::Int(1000))
            .on_change(Resample)
            .shown_as(Number("1")),
        Setting::new("view", "view", Kind::Choice(names(&VIEWS)), text(VIEWS[0])).on_change(Redraw),
        Setting::new("t", "t", float(0.0, 1.0), Value::Float(0.3)).on_change(Redraw),
        Setting::new("pts", "drawn points", Kind::Text, text("")).on_change(Start),
        Setting::new("autoplay", "train on load", Kind::Flag, Value::Flag(false)).on_change(Start),
        Setting::new(
            "train_steps",
            "pause after",
            int(1, 1_000_000),
            Value::Unset,
        )
        .on_change(Start),
        Setting::new("reflow", "reflow at step", int(1, 1_000_000), Value::Unset).on_change(Start),
    ]);
    rows
}

#[derive(Debug, Clone, PartialEq)]
pub struct Toy2dSettings {
    pub values: Values,
    /// Hand-drawn points (plot coordinates), used when `data` is [`DRAWN`].
    pub drawn: Vec<f32>,
    pub hide: Vec<String>,
}

common!(Toy2dSettings);

impl Toy2dSettings {
    /// Reads every setting; problems end up in `hash.warnings`.
    pub fn read(hash: &mut HashState) -> Self {
        let process = table(Family::Discrete)
            .into_iter()
            .find(|s| s.key == "process")
            .map(|s| s.read(&mut hash.clone()))
            .map_or(process_name(&ToyConfig::default().process), |v| v.to_text());
        let family = family(&process);
        let what = format!("the {process} process");
        unfit_sampler(hash, &fitting(family), default_sampler(family), &what);
        let table = table(family);
        let values = Values::read(&table, hash);
        let drawn = match decode_points(values.text("pts")) {
            Ok(p) => p,
            Err(e) => {
                hash.warnings
                    .push(format!("The drawn points in the URL are unreadable ({e})."));
                Vec::new()
            }
        };
        let hide = hidden(hash, &PANELS, &table);
        // a key that some process reads is known (a link keeps `T` while it shows a flow)
        let known: Vec<&str> = [Family::Discrete, Family::Sde, Family::Flow]
            .into_iter()
            .flat_map(|f| self::table(f).into_iter().map(|s| s.key))
            .collect();
        hash.warn_unknown(&known);
        Self {
            values,
            drawn,
            hide,
        }
    }

    /// The table these settings were read with.
    pub fn table(&self) -> Vec<Setting> {
        table(self.family())
    }

    getters! {
        /// A name from `data::toy::TOYS`, or [`DRAWN`].
        data: text -> &str,
        process: text -> &str,
        view: text -> &str,
        /// The t-sliders' position, a fraction of the process's time range.
        t: float -> f64,
        autoplay: flag -> bool,
    }

    /// Writes every setting that differs from its default to `hash` (and removes the others).
    pub fn write(&self, hash: &mut HashState) {
        let mut values = self.values.clone();
        let pts = if self.data() == DRAWN {
            encode_points(&self.drawn)
        } else {
            String::new()
        };
        values.set("pts", Value::Text(pts));
        values.write(&self.table(), hash);
    }

    /// Reflow (flow matching) once training reaches this step; none for other processes, so a
    /// stray `reflow=` never holds training back.
    pub fn reflow_at(&self) -> Option<usize> {
        match self.values.get("reflow") {
            Value::Int(n) if self.family() == Family::Flow => Some(*n as usize),
            _ => None,
        }
    }

    /// Pause after this many training steps.
    pub fn train_steps(&self) -> Option<usize> {
        match self.values.get("train_steps") {
            Value::Int(n) => Some(*n as usize),
            _ => None,
        }
    }

    /// The family of samplers the process takes.
    pub fn family(&self) -> Family {
        family(self.process())
    }

    /// The samplers that fit the process.
    pub fn samplers(&self) -> Vec<&'static str> {
        fitting(self.family())
    }

    /// The engine's configuration.
    pub fn config(&self) -> ToyConfig {
        let v = &self.values;
        let steps = v.int("T") as usize;
        let process = match self.process() {
            "ddpm-cosine" => Process::Ddpm {
                schedule: "cosine".into(),
                steps,
            },
            p if p.starts_with("ddpm") => Process::Ddpm {
                schedule: "linear".into(),
                steps,
            },
            p if p.starts_with("flow") => Process::Flow { ot: p == "flow-ot" },
            sde => Process::Sde { name: sde.into() },
        };
        ToyConfig {
            dataset: self.data().to_string(),
            noise: v.float("noise"),
            process,
            width: v.int("width") as usize,
            depth: v.int("depth") as usize,
            fourier: v.text("time") == "fourier",
            lr: v.float("lr"),
            batch: v.int("batch") as usize,
            ema_decay: v.float("ema"),
            seed: self.seed(),
            target: if v.text("target") == "pair" {
                Target::Pair
            } else {
                Target::Stable
            },
            times: if v.text("times") == "logit-normal" {
                FlowTimes::LogitNormal
            } else {
                FlowTimes::Uniform
            },
            ..ToyConfig::default()
        }
    }

    /// Whether the engine ignores setting `key` under the other settings (the form hides it): T
    /// outside DDPM, the flow's times outside flow matching, the stable target where pairs are
    /// not independent (minibatch OT), η and snr where the sampler does not read them.
    pub fn unread(&self, key: &str) -> bool {
        let reads = diffusion::sampler::info(self.sampler());
        match key {
            "T" => self.family() != Family::Discrete,
            "times" => self.family() != Family::Flow,
            "target" => self.process() == "flow-ot",
            "eta" => !reads.is_some_and(|i| i.reads_eta),
            "snr" => !reads.is_some_and(|i| i.reads_snr),
            _ => false,
        }
    }

    /// The sampler's options, with this widget's clipping of x̂₀.
    pub fn options(&self) -> Options {
        self.options_with(X0Clip::Clip { range: X0_RANGE })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_engines_and_the_samplers() {
        let mut h = HashState::parse("#widget=toy2d");
        let s = Toy2dSettings::read(&mut h);
        assert!(h.warnings.is_empty(), "{:?}", h.warnings);
        assert_eq!(s.config(), ToyConfig::default());
        let o = s.options();
        let d = Options::default();
        assert_eq!((o.steps, o.eta, o.snr), (d.steps, d.eta, d.snr));
        assert_eq!(s.sampler(), "flow-heun");
        assert_eq!(s.train_steps(), None);
        assert!(s.unread("T") && !s.unread("times") && !s.unread("target"));
    }

    #[test]
    fn bad_values_fall_back_with_warnings() {
        let mut h = HashState::parse(
            "#data=mandelbrot&width=1e9&lr=-1&sampler=nope&view=3d&hide=wings&pts=abc",
        );
        let s = Toy2dSettings::read(&mut h);
        assert_eq!(s.data(), "8gaussians");
        assert_eq!(s.config().width, 128);
        assert_eq!(s.config().lr, 1e-2);
        assert_eq!(s.sampler(), "flow-heun");
        assert_eq!(s.view(), "samples");
        assert!(s.drawn.is_empty());
        assert_eq!(h.warnings.len(), 7, "{:#?}", h.warnings);
    }

    #[test]
    fn a_sampler_must_fit_the_process() {
        let mut h = HashState::parse("#process=vp&sampler=ddim");
        let s = Toy2dSettings::read(&mut h);
        assert_eq!(s.sampler(), "pf-heun");
        assert_eq!(h.warnings.len(), 1, "{:?}", h.warnings);
        assert!(h.warnings[0].contains("does not fit"), "{:?}", h.warnings);
        assert!(s.samplers().contains(&"pc"));
        assert!(!s.samplers().contains(&"ddim"));
        // a bad process warns once, and its default's sampler applies
        let mut h = HashState::parse("#process=heat&sampler=pc");
        let s = Toy2dSettings::read(&mut h);
        assert_eq!((s.process(), s.sampler()), ("flow", "flow-heun"));
        assert_eq!(h.warnings.len(), 2, "{:?}", h.warnings);
    }

    #[test]
    fn settings_round_trip_through_the_hash() {
        let mut h = HashState::parse(
            "#widget=toy2d&data=drawn&process=ve&sampler=pc&lr=0.0003&width=64&t=0.7&seed=5&train_steps=9",
        );
        let mut s = Toy2dSettings::read(&mut h);
        s.drawn = vec![0.5, -1.25, 2.9, -3.0, 0.0, 0.0];
        s.write(&mut h);
        let hash = h.to_hash();
        assert!(hash.contains("widget=toy2d"), "{hash}");
        assert!(
            !hash.contains("depth="),
            "defaults stay out of the hash: {hash}"
        );
        let mut back = HashState::parse(&hash);
        let t = Toy2dSettings::read(&mut back);
        assert!(back.warnings.is_empty(), "{:?}", back.warnings);
        assert_eq!(t.sampler(), "pc");
        let c = t.config();
        assert_eq!((c.lr, c.width, t.t(), t.seed()), (3e-4, 64, 0.7, 5));
        assert_eq!(t.train_steps(), Some(9));
        for (a, b) in s.drawn.iter().zip(&t.drawn) {
            assert!((a - b).abs() < 2e-3, "{a} vs {b}");
        }
    }

    #[test]
    fn the_form_shows_every_setting_a_person_changes() {
        let shown: Vec<&str> = table(Family::Discrete)
            .iter()
            .filter(|s| s.control != Control::None)
            .map(|s| s.key)
            .collect();
        assert_eq!(shown.len(), 18, "{shown:?}");
        assert!(shown.contains(&"snr") && !shown.contains(&"view"));
    }
}
