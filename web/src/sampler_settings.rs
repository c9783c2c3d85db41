//! The image sampler widget's settings: read from the URL hash against the model list (every value
//! checked, a bad one replaced by its default with a warning) and written back so a link
//! reproduces the widget.

use diffusion::sampler::{Options, SAMPLERS};
use zoo::{Entry, Manifest};

use crate::state::HashState;

/// Where the model list lives (relative to the page).
pub const MANIFEST: &str = "static/weights/manifest.json";
/// Most images in one grid.
pub const MAX_N: usize = 64;
/// Controls that `hide=` can name besides the setting keys.
pub const PANELS: [&str; 6] = ["settings", "buttons", "own", "chain", "follow", "downloads"];
/// The hash keys of the settings (each is also a control name for `hide=`).
pub const KEYS: [&str; 10] = [
    "model", "sampler", "steps", "eta", "snr", "n", "seed", "class", "guidance", "manifest",
];

/// Which classes a class-conditional model is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Classes {
    /// Image i gets class i mod (number of classes).
    Mixed,
    /// The "no class" row: the model's unconditional distribution.
    Unconditional,
    One(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub struct SamplerSettings {
    /// The model list's URL (relative to the page).
    pub manifest: String,
    pub model: String,
    pub sampler: String,
    pub steps: usize,
    pub eta: f64,
    pub snr: f64,
    pub n: usize,
    pub seed: u64,
    pub classes: Classes,
    pub guidance: f64,
    pub hide: Vec<String>,
    pub autorun: bool,
}

/// The model list's URL: `manifest=` if it is a path on this site, else [`MANIFEST`].
pub fn manifest_url(state: &mut HashState) -> String {
    match state.raw("manifest").map(String::from) {
        None => MANIFEST.into(),
        Some(m) if zoo::manifest::is_site_path(&m) => m,
        Some(m) => {
            state.warnings.push(format!(
                "manifest={m}: only a path on this site can be used; loading the shipped model list."
            ));
            MANIFEST.into()
        }
    }
}

/// The sampler and step count a model gets unless the hash says otherwise.
fn defaults(entry: Option<&Entry>) -> (&'static str, usize) {
    match entry.and_then(|e| e.process.as_ref()) {
        Some(p) if p.is_sde() => ("pc", 100),
        _ => ("dpm++2m", 20),
    }
}

impl SamplerSettings {
    /// Reads every setting against `manifest`; problems end up in `state.warnings`.
    pub fn read(state: &mut HashState, manifest: &Manifest) -> Self {
        let manifest_url = manifest_url(state);
        let ids: Vec<&str> = manifest.generators().map(|e| e.id.as_str()).collect();
        // the manifest's default, else the first class-conditional model (a class to pick is
        // the most fun), else the first
        let named = manifest.default.as_deref().filter(|d| ids.contains(d));
        let first = named.or_else(|| {
            manifest
                .generators()
                .find(|e| e.conditional)
                .or_else(|| manifest.generators().next())
                .map(|e| e.id.as_str())
        });
        let model = match first {
            Some(first) => state.choice("model", first, &ids),
            None => String::new(),
        };
        let entry = manifest.get(&model);
        let (default_sampler, default_steps) = defaults(entry);
        let fitting = entry.map_or_else(Vec::new, Entry::samplers);
        let sampler = match state.raw("sampler").map(String::from) {
            Some(s) if SAMPLERS.iter().any(|(n, _)| *n == s) && !fitting.contains(&s.as_str()) => {
                state.warnings.push(format!(
                    "The sampler “{s}” does not fit {model}; using {default_sampler}."
                ));
                default_sampler.to_string()
            }
            _ if fitting.is_empty() => default_sampler.to_string(),
            _ => state.choice("sampler", default_sampler, &fitting),
        };
        let n_classes = entry
            .filter(|e| e.conditional)
            .map_or(0, |e| e.classes.len());
        let classes = match state.raw("class").map(String::from) {
            // an unconditional model has no classes to pick
            Some(_) if n_classes == 0 => Classes::Mixed,
            None => Classes::Mixed,
            Some(c) if c == "mixed" => Classes::Mixed,
            Some(c) if c == "none" => Classes::Unconditional,
            Some(c) => match c.parse::<usize>() {
                Ok(k) if k < n_classes => Classes::One(k),
                _ => {
                    state.warnings.push(format!(
                        "“class={c}” is not a class of {model} (0 to {}, mixed or none); using mixed.",
                        n_classes - 1
                    ));
                    Classes::Mixed
                }
            },
        };
        let hide = state.hide(&PANELS, &KEYS);
        Self {
            manifest: manifest_url,
            model,
            sampler,
            steps: state.int("steps", default_steps as u64, 1, 1000) as usize,
            eta: state.float("eta", 0.0, 0.0, 1.0),
            snr: state.float("snr", 0.16, 0.0, 1.0),
            n: state.int("n", 16, 1, MAX_N as u64) as usize,
            seed: state.int("seed", 0, 0, u32::MAX as u64),
            classes,
            guidance: state.float("guidance", 2.0, 0.0, 20.0),
            hide,
            autorun: state.flag("autorun", false),
        }
    }

    /// Writes every setting that differs from its default back to `state` (and removes the
    /// others), so the hash stays short.
    pub fn write(&self, state: &mut HashState, manifest: &Manifest) {
        let d = Self::read(&mut HashState::parse(""), manifest);
        let (ds, dsteps) = defaults(manifest.get(&self.model));
        let mut put = |k: &str, v: String, dv: String| {
            state.set(k, (v != dv).then_some(v.as_str()));
        };
        put("manifest", self.manifest.clone(), d.manifest);
        put("model", self.model.clone(), d.model);
        put("sampler", self.sampler.clone(), ds.into());
        put("steps", self.steps.to_string(), dsteps.to_string());
        put("eta", self.eta.to_string(), d.eta.to_string());
        put("snr", self.snr.to_string(), d.snr.to_string());
        put("n", self.n.to_string(), d.n.to_string());
        put("seed", self.seed.to_string(), d.seed.to_string());
        let class = |c: Classes| match c {
            Classes::Mixed => "mixed".to_string(),
            Classes::Unconditional => "none".to_string(),
            Classes::One(k) => k.to_string(),
        };
        put("class", class(self.classes), class(d.classes));
        put(
            "guidance",
            self.guidance.to_string(),
            d.guidance.to_string(),
        );
    }

    /// The class of every image for a model with `n_classes` classes (none: an empty list).
    pub fn class_list(&self, n_classes: Option<usize>) -> Vec<usize> {
        match (n_classes, self.classes) {
            (None | Some(0), _) | (_, Classes::Unconditional) => Vec::new(),
            (Some(k), Classes::Mixed) => (0..self.n).map(|i| i % k).collect(),
            (Some(_), Classes::One(c)) => vec![c; self.n],
        }
    }

    pub fn options(&self) -> Options {
        Options {
            steps: self.steps,
            eta: self.eta,
            snr: self.snr,
            clip: zoo::IMAGE_CLIP,
            ..Options::default()
        }
    }

    pub fn spec(&self, n_classes: Option<usize>) -> zoo::ChainSpec {
        zoo::ChainSpec {
            sampler: self.sampler.clone(),
            options: self.options(),
            n: self.n,
            classes: self.class_list(n_classes),
            guidance: self.guidance,
            seed: self.seed,
        }
    }

    pub fn hidden(&self, control: &str) -> bool {
        self.hide.iter().any(|h| h == control)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest::parse(include_str!("../../static/weights/manifest.json")).unwrap()
    }

    fn read(hash: &str) -> (SamplerSettings, Vec<String>) {
        let mut s = HashState::parse(hash);
        let r = SamplerSettings::read(&mut s, &manifest());
        (r, s.warnings)
    }

    #[test]
    fn defaults_follow_the_model() {
        let (s, w) = read("widget=sampler&model=mnist-scorenet-ve");
        assert!(w.is_empty(), "{w:?}");
        assert_eq!((s.sampler.as_str(), s.steps, s.n), ("pc", 100, 16));
        assert_eq!(s.manifest, MANIFEST);
        // classifiers are not offered; the default is the class-conditional U-Net
        let (s, w) = read("widget=sampler&model=mnist-classifier");
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(s.model, "mnist-unet-cond");
        assert_eq!((s.sampler.as_str(), s.steps), ("dpm++2m", 20));
    }

    #[test]
    fn the_manifest_names_the_default_model() {
        let mut m = manifest();
        assert_eq!(m.default.as_deref(), Some("mnist-unet-cond"));
        let read_with =
            |m: &Manifest| SamplerSettings::read(&mut HashState::parse("widget=sampler"), m);
        m.default = Some("mnist-scorenet-ve".into());
        assert_eq!(read_with(&m).model, "mnist-scorenet-ve");
        // a default that is no generator is passed over for the first class-conditional model
        m.default = Some("mnist-classifier".into());
        assert_eq!(read_with(&m).model, "cifar10-unet-cond");
        m.default = None;
        assert_eq!(read_with(&m).model, "cifar10-unet-cond");
    }

    #[test]
    fn bad_values_fall_back_with_a_warning() {
        let (s, w) = read(
            "widget=sampler&model=mnist-scorenet-ve&sampler=ddim&steps=0&n=500&guidance=-1&hide=nope",
        );
        assert_eq!(s.sampler, "pc");
        assert_eq!(s.steps, 100);
        assert_eq!(s.n, 16);
        assert_eq!(s.guidance, 2.0);
        assert_eq!(w.len(), 5, "{w:?}");
        // other sites, also in the forms URL parsers rewrite into them (+ is a space, %09 a tab)
        for bad in [
            "https://evil.example/m.json",
            "+//evil.example/m.json",
            "%09//evil.example/m.json",
            "%5C%5Cevil.example/m.json",
            "data:,{}",
        ] {
            let (s, w) = read(&format!("widget=sampler&manifest={bad}"));
            assert_eq!(s.manifest, MANIFEST, "{bad}");
            assert_eq!(w.len(), 1, "{bad}: {w:?}");
        }
        let (s, w) = read("widget=sampler&manifest=/fixtures/manifest.json");
        assert_eq!(s.manifest, "/fixtures/manifest.json");
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn classes_and_round_trip_through_the_hash() {
        let m = manifest();
        let (s, _) = read("widget=sampler&model=mnist-scorenet-ve&steps=30&seed=9");
        assert_eq!(s.class_list(None), Vec::<usize>::new());
        let mut st = HashState::parse("widget=sampler");
        s.write(&mut st, &m);
        let hash = st.to_hash();
        assert!(
            hash.contains("steps=30") && hash.contains("seed=9"),
            "{hash}"
        );
        assert!(!hash.contains("sampler="), "defaults stay out: {hash}");
        let mut again = HashState::parse(&hash);
        assert_eq!(SamplerSettings::read(&mut again, &m), s);
        let mixed = SamplerSettings {
            classes: Classes::Mixed,
            n: 12,
            ..s.clone()
        };
        assert_eq!(mixed.class_list(Some(10))[10..], [0, 1]);
        let one = SamplerSettings {
            classes: Classes::One(3),
            n: 2,
            ..s.clone()
        };
        assert_eq!(one.class_list(Some(10)), vec![3, 3]);
        assert!(
            SamplerSettings {
                classes: Classes::Unconditional,
                ..s
            }
            .class_list(Some(10))
            .is_empty()
        );
    }
}
