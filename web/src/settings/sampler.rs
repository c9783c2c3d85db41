//! The image sampler's settings table, read against the model list: the model's entry decides the
//! samplers that fit, the default sampler and steps, and the classes one can ask for.

use diffusion::sampler::Options;
use zoo::{Entry, Manifest};

use super::{
    Common, Control, Effect, HashState, Kind, Setting, Value, Values, hidden, names, sampler_rows,
    unfit_sampler,
};

/// Where the model list lives (relative to the page).
pub const MANIFEST: &str = "static/weights/manifest.json";
/// Most images in one grid.
pub const MAX_N: usize = 64;
/// Controls that `hide=` can name besides the setting keys.
pub const PANELS: [&str; 9] = [
    "settings",
    "buttons",
    "own",
    "chain",
    "follow",
    "downloads",
    "cache",
    "card",
    "edit",
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

/// The model list's URL: `manifest=` if it is a path on this site, else [`MANIFEST`].
pub fn manifest_url(hash: &mut HashState) -> String {
    match hash.raw("manifest").map(String::from) {
        None => MANIFEST.into(),
        Some(m) if zoo::manifest::is_site_path(&m) => m,
        Some(m) => {
            hash.warnings.push(format!(
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

/// The model the sampler opens on: the manifest's default, else the first class-conditional
/// model (a class to pick is the most fun), else the first.
fn first_model(manifest: &Manifest) -> Option<&str> {
    let ids: Vec<&str> = manifest.generators().map(|e| e.id.as_str()).collect();
    manifest
        .default
        .as_deref()
        .filter(|d| ids.contains(d))
        .or_else(|| {
            manifest
                .generators()
                .find(|e| e.conditional)
                .or_else(|| manifest.generators().next())
                .map(|e| e.id.as_str())
        })
}

/// The table for `model` of `manifest`.
pub fn table(manifest: &Manifest, model: &str) -> Vec<Setting> {
    use Control::{Number, Select};
    use Effect::{Rebuild, Resample, Start};
    let entry = manifest.get(model);
    let (sampler, steps) = defaults(entry);
    let ids: Vec<&str> = manifest.generators().map(|e| e.id.as_str()).collect();
    let first = first_model(manifest).unwrap_or_default();
    let classes = entry
        .filter(|e| e.conditional)
        .map_or(0, |e| e.classes.len());
    let class_kind = if classes == 0 {
        // an unconditional model has no classes to pick: any class= is passed over
        Kind::Lenient(names(&["mixed"]))
    } else {
        let mut all = names(&["mixed", "none"]);
        all.extend((0..classes).map(|k| k.to_string()));
        Kind::Choice(all)
    };
    let int = |min, max| Kind::Int { min, max };
    let float = |min, max| Kind::Float { min, max };
    let text = |v: &str| Value::Text(v.into());
    let mut rows = vec![
        Setting::new("manifest", "model list", Kind::Text, text(MANIFEST)).on_change(Start),
        Setting::new("model", "model", Kind::Choice(names(&ids)), text(first))
            .on_change(Rebuild)
            .shown_as(Select),
    ];
    let fitting = entry.map_or_else(Vec::new, Entry::samplers);
    rows.extend(sampler_rows(&fitting, sampler, steps));
    rows.extend([
        Setting::new("class", "class", class_kind, text("mixed"))
            .on_change(Resample)
            .shown_as(Select),
        Setting::new("n", "images", int(1, MAX_N as u64), Value::Int(16))
            .on_change(Resample)
            .shown_as(Number("1")),
        Setting::new("seed", "seed", int(0, u32::MAX as u64), Value::Int(0))
            .on_change(Resample)
            .shown_as(Number("1")),
        Setting::new(
            "guidance",
            "guidance w",
            float(0.0, 20.0),
            Value::Float(2.0),
        )
        .on_change(Resample)
        .shown_as(Number("0.5")),
        Setting::new("autorun", "sample on load", Kind::Flag, Value::Flag(false)).on_change(Start),
        // SDEdit of a drawing: how far it is noised before the chain takes it back
        Setting::new(
            "strength",
            "edit strength",
            float(0.05, 1.0),
            Value::Float(0.5),
        )
        .on_change(Resample)
        .shown_as(Number("0.05")),
        // inpainting: RePaint's jumps back (steps) and how often each stretch is walked
        Setting::new("jump", "inpaint jump", int(1, 50), Value::Int(5))
            .on_change(Resample)
            .shown_as(Number("1")),
        Setting::new("resample", "inpaint resamplings", int(1, 10), Value::Int(2))
            .on_change(Resample)
            .shown_as(Number("1")),
    ]);
    rows
}

#[derive(Debug, Clone, PartialEq)]
pub struct SamplerSettings {
    pub values: Values,
    pub hide: Vec<String>,
    /// The model's classes, if it is class-conditional.
    n_classes: usize,
}

common!(SamplerSettings);

impl SamplerSettings {
    /// Reads every setting against `manifest`; problems end up in `hash.warnings`.
    pub fn read(hash: &mut HashState, manifest: &Manifest) -> Self {
        let manifest_url = manifest_url(hash);
        let model = table(manifest, "")
            .into_iter()
            .find(|s| s.key == "model")
            .map_or(String::new(), |s| s.read(&mut hash.clone()).to_text());
        let entry = manifest.get(&model);
        let (default_sampler, _) = defaults(entry);
        let fitting = entry.map_or_else(Vec::new, Entry::samplers);
        unfit_sampler(hash, &fitting, default_sampler, &model);
        if fitting.is_empty() {
            // no model: nothing to choose from, and nothing to warn about
            hash.set("sampler", None);
        }
        let table = table(manifest, &model);
        let mut values = Values::read(&table, hash);
        values.set("manifest", Value::Text(manifest_url));
        let hide = hidden(hash, &PANELS, &table);
        let known: Vec<&str> = table.iter().map(|s| s.key).collect();
        hash.warn_unknown(&known);
        let n_classes = entry
            .filter(|e| e.conditional)
            .map_or(0, |e| e.classes.len());
        Self {
            values,
            hide,
            n_classes,
        }
    }

    getters! {
        /// The model list's URL (relative to the page).
        manifest: text -> &str,
        model: text -> &str,
        guidance: float -> f64,
        /// How far an edited drawing is noised (SDEdit), 0.05 to 1.
        strength: float -> f64,
        autorun: flag -> bool,
    }

    /// Writes every setting that differs from its default to `hash` (and removes the others).
    pub fn write(&self, hash: &mut HashState, manifest: &Manifest) {
        self.values.write(&table(manifest, self.model()), hash);
    }

    pub fn classes(&self) -> Classes {
        match self.values.text("class") {
            _ if self.n_classes == 0 => Classes::Mixed,
            "none" => Classes::Unconditional,
            c => c.parse().map_or(Classes::Mixed, Classes::One),
        }
    }

    /// The one class an edit that makes one image of a class (inversion) takes: the class
    /// chosen, where the model has classes; else none.
    pub fn edit_class(&self, n_classes: Option<usize>) -> Option<usize> {
        match self.classes() {
            Classes::One(k) if n_classes.is_some_and(|n| n > 0) => Some(k),
            _ => None,
        }
    }

    /// The class of every image for a model with `n_classes` classes (none: an empty list).
    pub fn class_list(&self, n_classes: Option<usize>) -> Vec<usize> {
        match (n_classes, self.classes()) {
            (None | Some(0), _) | (_, Classes::Unconditional) => Vec::new(),
            (Some(k), Classes::Mixed) => (0..self.n()).map(|i| i % k).collect(),
            (Some(_), Classes::One(c)) => vec![c; self.n()],
        }
    }

    /// The sampler's options, with this widget's clipping of x̂₀.
    pub fn options(&self) -> Options {
        self.options_with(zoo::IMAGE_CLIP)
    }

    pub fn spec(&self, n_classes: Option<usize>) -> zoo::ChainSpec {
        zoo::ChainSpec {
            sampler: self.sampler().to_string(),
            options: self.options(),
            n: self.n(),
            classes: self.class_list(n_classes),
            guidance: self.guidance(),
            seed: self.seed(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest::parse(include_str!("../../../static/weights/manifest.json")).unwrap()
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
        assert_eq!((s.sampler(), s.options().steps, s.n()), ("pc", 100, 16));
        assert_eq!(s.options().snr, Options::default().snr);
        assert_eq!(s.manifest(), MANIFEST);
        // classifiers are not offered; the default is the class-conditional U-Net
        let (s, w) = read("widget=sampler&model=mnist-classifier");
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(s.model(), "mnist-unet-cond");
        assert_eq!((s.sampler(), s.options().steps), ("dpm++2m", 20));
        // an unconditional model passes over a class
        let (s, w) = read("widget=sampler&model=mnist-scorenet-ve&class=3");
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(s.classes(), Classes::Mixed);
    }

    #[test]
    fn the_manifest_names_the_default_model() {
        let mut m = manifest();
        assert_eq!(m.default.as_deref(), Some("mnist-unet-cond"));
        let read_with = |m: &Manifest| {
            SamplerSettings::read(&mut HashState::parse("widget=sampler"), m)
                .model()
                .to_string()
        };
        m.default = Some("mnist-scorenet-ve".into());
        assert_eq!(read_with(&m), "mnist-scorenet-ve");
        // a default that is no generator is passed over for the first class-conditional model
        m.default = Some("mnist-classifier".into());
        assert_eq!(read_with(&m), "cifar10-unet-cond");
        m.default = None;
        assert_eq!(read_with(&m), "cifar10-unet-cond");
    }

    #[test]
    fn bad_values_fall_back_with_a_warning() {
        let (s, w) = read(
            "widget=sampler&model=mnist-scorenet-ve&sampler=ddim&steps=0&n=500&guidance=-1&hide=nope",
        );
        assert_eq!(s.sampler(), "pc");
        assert_eq!(s.options().steps, 100);
        assert_eq!(s.n(), 16);
        assert_eq!(s.guidance(), 2.0);
        assert_eq!(w.len(), 5, "{w:?}");
        assert!(w[0].contains("does not fit mnist-scorenet-ve"), "{w:?}");
        let (s, w) = read("widget=sampler&model=mnist-unet-cond&class=12");
        assert_eq!((s.classes(), w.len()), (Classes::Mixed, 1), "{w:?}");
        // other sites, also in the forms URL parsers rewrite into them (+ is a space, %09 a tab)
        for bad in [
            "https://evil.example/m.json",
            "+//evil.example/m.json",
            "%09//evil.example/m.json",
            "%5C%5Cevil.example/m.json",
            "data:,{}",
        ] {
            let (s, w) = read(&format!("widget=sampler&manifest={bad}"));
            assert_eq!(s.manifest(), MANIFEST, "{bad}");
            assert_eq!(w.len(), 1, "{bad}: {w:?}");
        }
        let (s, w) = read("widget=sampler&manifest=/fixtures/manifest.json");
        assert_eq!(s.manifest(), "/fixtures/manifest.json");
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
        let (mixed, _) = read("widget=sampler&model=mnist-unet-cond&n=12");
        assert_eq!(mixed.class_list(Some(10))[10..], [0, 1]);
        let (one, _) = read("widget=sampler&model=mnist-unet-cond&n=2&class=3");
        assert_eq!(one.class_list(Some(10)), vec![3, 3]);
        let (none, _) = read("widget=sampler&model=mnist-unet-cond&class=none");
        assert!(none.class_list(Some(10)).is_empty());
    }
}
