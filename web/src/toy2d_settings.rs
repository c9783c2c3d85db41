//! The 2-D trainer widget's settings: read from the URL hash (every value checked, a bad one
//! replaced by its default with a warning), turned into the engine's [`ToyConfig`] and sampler
//! [`Options`], and written back so a link reproduces the widget. Hand-drawn points travel in the
//! hash too, compactly encoded ([`encode_points`]).

use diffusion::sampler::{Options, SAMPLERS, X0Clip, samplers_for};
use train::toy::{Process, ToyConfig};

use crate::state::HashState;

/// The data-set choice that means “the points drawn by hand” (`pts=` holds them).
pub const DRAWN: &str = "drawn";
/// Processes by their hash name.
pub const PROCESSES: [&str; 5] = ["ddpm-linear", "ddpm-cosine", "vp", "subvp", "ve"];
pub const VIEWS: [&str; 5] = ["samples", "chain", "forward", "field", "density"];
/// Controls that `hide=` can name besides the setting keys.
pub const PANELS: [&str; 6] = ["buttons", "views", "loss", "settings", "caption", "draw"];
/// Drawn points live in [−EXTENT, EXTENT]² (the plot's extent).
pub const EXTENT: f64 = 3.0;
/// Most points a drawing may hold (the hash stays under ~8 kB).
pub const MAX_DRAWN: usize = 2000;
/// Fewest points a run can train on.
pub const MIN_POINTS: usize = 8;
/// x̂₀ is clipped to this (in units of the data's std) by the DDPM/DDIM/DPM++ samplers: a cosine
/// schedule's last ᾱ is ~0, and dividing by √ᾱ there blows a learned model's x̂₀ up.
pub const X0_RANGE: f64 = 4.0;

#[derive(Debug, Clone, PartialEq)]
pub struct Toy2dSettings {
    /// A name from `data::toy::TOYS`, or [`DRAWN`].
    pub data: String,
    pub noise: f64,
    /// Hand-drawn points (plot coordinates), used when `data` is [`DRAWN`].
    pub drawn: Vec<f32>,
    pub process: String,
    /// Training timesteps T of a DDPM process.
    pub timesteps: usize,
    pub width: usize,
    pub depth: usize,
    /// "sinusoidal" or "fourier".
    pub time: String,
    pub lr: f64,
    pub batch: usize,
    pub ema: f64,
    pub seed: u64,
    pub sampler: String,
    pub steps: usize,
    pub eta: f64,
    pub snr: f64,
    /// Number of points sampled.
    pub n: usize,
    pub view: String,
    /// The t-sliders' position, a fraction of the process's time range.
    pub t: f64,
    pub hide: Vec<String>,
    pub autoplay: bool,
    /// Pause after this many training steps.
    pub train_steps: Option<usize>,
}

impl Toy2dSettings {
    /// Reads every setting; problems end up in `state.warnings`.
    pub fn read(state: &mut HashState) -> Self {
        let mut datasets: Vec<&str> = data::toy::TOYS.to_vec();
        datasets.push(DRAWN);
        let data = state.choice("data", "8gaussians", &datasets);
        let drawn = match state.raw("pts").map(String::from) {
            None => Vec::new(),
            Some(raw) => match decode_points(&raw) {
                Ok(p) => p,
                Err(e) => {
                    state
                        .warnings
                        .push(format!("The drawn points in the URL are unreadable ({e})."));
                    Vec::new()
                }
            },
        };
        let process = state.choice("process", "ddpm-linear", &PROCESSES);
        let is_sde = !process.starts_with("ddpm");
        let default_sampler = default_sampler(is_sde);
        let fitting = samplers_for(is_sde);
        let sampler = match state.raw("sampler").map(String::from) {
            Some(s) if SAMPLERS.iter().any(|(n, _)| *n == s) && !fitting.contains(&s.as_str()) => {
                state.warnings.push(format!(
                    "The sampler “{s}” does not fit the {process} process; using {default_sampler}."
                ));
                default_sampler.to_string()
            }
            _ => state.choice("sampler", default_sampler, &fitting),
        };
        let hide = state.hide(&PANELS, &KEYS);
        let train_steps = match state.raw("train_steps") {
            None => None,
            Some(_) => Some(state.int("train_steps", 1000, 1, 1_000_000) as usize),
        };
        Self {
            data,
            noise: state.float("noise", 0.05, 0.0, 1.0),
            drawn,
            process,
            timesteps: state.int("T", 1000, 10, 4000) as usize,
            width: state.int("width", 128, 4, 1024) as usize,
            depth: state.int("depth", 3, 1, 8) as usize,
            time: state.choice("time", "sinusoidal", &["sinusoidal", "fourier"]),
            lr: state.float("lr", 1e-3, 1e-6, 1e4),
            batch: state.int("batch", 256, 1, 4096) as usize,
            ema: state.float("ema", 0.995, 0.0, 0.99999),
            seed: state.int("seed", 0, 0, u32::MAX as u64),
            sampler,
            steps: state.int("steps", 50, 1, 1000) as usize,
            eta: state.float("eta", 0.0, 0.0, 1.0),
            snr: state.float("snr", 0.16, 0.0, 1.0),
            n: state.int("n", 1000, 1, 5000) as usize,
            view: state.choice("view", "samples", &VIEWS),
            t: state.float("t", 0.3, 0.0, 1.0),
            hide,
            autoplay: state.flag("autoplay", false),
            train_steps,
        }
    }

    /// Writes every setting that differs from its default back to `state` (and removes the
    /// others), so the hash stays short.
    pub fn write(&self, state: &mut HashState) {
        let d = Self::read(&mut HashState::parse(""));
        let mut put = |k: &str, v: String, dv: String| {
            state.set(k, (v != dv).then_some(v.as_str()));
        };
        put("data", self.data.clone(), d.data);
        put("noise", self.noise.to_string(), d.noise.to_string());
        let pts = if self.data == DRAWN {
            encode_points(&self.drawn)
        } else {
            String::new()
        };
        put("pts", pts, String::new());
        put("process", self.process.clone(), d.process);
        put("T", self.timesteps.to_string(), d.timesteps.to_string());
        put("width", self.width.to_string(), d.width.to_string());
        put("depth", self.depth.to_string(), d.depth.to_string());
        put("time", self.time.clone(), d.time);
        put("lr", self.lr.to_string(), d.lr.to_string());
        put("batch", self.batch.to_string(), d.batch.to_string());
        put("ema", self.ema.to_string(), d.ema.to_string());
        put("seed", self.seed.to_string(), d.seed.to_string());
        put(
            "sampler",
            self.sampler.clone(),
            default_sampler(self.is_sde()).into(),
        );
        put("steps", self.steps.to_string(), d.steps.to_string());
        put("eta", self.eta.to_string(), d.eta.to_string());
        put("snr", self.snr.to_string(), d.snr.to_string());
        put("n", self.n.to_string(), d.n.to_string());
        put("view", self.view.clone(), d.view);
        put("t", self.t.to_string(), d.t.to_string());
    }

    pub fn is_sde(&self) -> bool {
        !self.process.starts_with("ddpm")
    }

    /// The samplers that fit the process.
    pub fn samplers(&self) -> Vec<&'static str> {
        samplers_for(self.is_sde())
    }

    /// The engine's configuration.
    pub fn config(&self) -> ToyConfig {
        let process = match self.process.as_str() {
            "ddpm-cosine" => Process::Ddpm {
                schedule: "cosine".into(),
                steps: self.timesteps,
            },
            p if p.starts_with("ddpm") => Process::Ddpm {
                schedule: "linear".into(),
                steps: self.timesteps,
            },
            sde => Process::Sde { name: sde.into() },
        };
        ToyConfig {
            dataset: self.data.clone(),
            noise: self.noise,
            process,
            width: self.width,
            depth: self.depth,
            fourier: self.time == "fourier",
            lr: self.lr,
            batch: self.batch,
            ema_decay: self.ema,
            seed: self.seed,
            ..ToyConfig::default()
        }
    }

    pub fn options(&self) -> Options {
        Options {
            steps: self.steps,
            eta: self.eta,
            snr: self.snr,
            clip: X0Clip::Clip { range: X0_RANGE },
            ..Options::default()
        }
    }

    pub fn hidden(&self, control: &str) -> bool {
        self.hide.iter().any(|h| h == control)
    }
}

/// The sampler a process gets unless the hash names another.
fn default_sampler(sde: bool) -> &'static str {
    if sde { "pf-heun" } else { "ddim" }
}

/// The hash keys of the settings (each is also a control name for `hide=`).
pub const KEYS: [&str; 20] = [
    "data",
    "noise",
    "process",
    "T",
    "width",
    "depth",
    "time",
    "lr",
    "batch",
    "ema",
    "seed",
    "sampler",
    "steps",
    "eta",
    "snr",
    "n",
    "view",
    "t",
    "pts",
    "train_steps",
];

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const LEVELS: f64 = 4095.0;

/// Points in [−EXTENT, EXTENT]² as 4 URL-safe characters each (12 bits per coordinate: a step of
/// 0.0015, far below a pixel).
pub fn encode_points(pts: &[f32]) -> String {
    let mut out = String::with_capacity(pts.len() * 2);
    for &v in pts {
        let q = (((v as f64 / EXTENT).clamp(-1.0, 1.0) + 1.0) * 0.5 * LEVELS).round() as usize;
        out.push(ALPHABET[q >> 6] as char);
        out.push(ALPHABET[q & 63] as char);
    }
    out
}

/// The inverse of [`encode_points`].
pub fn decode_points(s: &str) -> Result<Vec<f32>, String> {
    if s.len() % 4 != 0 {
        return Err(format!(
            "{} characters, not a multiple of 4 (4 per point)",
            s.len()
        ));
    }
    if s.len() / 4 > MAX_DRAWN {
        return Err(format!(
            "{} points, more than the {MAX_DRAWN} a drawing may hold",
            s.len() / 4
        ));
    }
    let digit = |c: u8| {
        ALPHABET
            .iter()
            .position(|&a| a == c)
            .ok_or_else(|| format!("“{}” is not a point character", c as char))
    };
    s.as_bytes()
        .chunks_exact(2)
        .map(|pair| {
            let q = digit(pair[0])? * 64 + digit(pair[1])?;
            Ok(((q as f64 / LEVELS) * 2.0 - 1.0) as f32 * EXTENT as f32)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_issue_defaults() {
        let mut h = HashState::parse("#widget=toy2d");
        let s = Toy2dSettings::read(&mut h);
        assert!(h.warnings.is_empty(), "{:?}", h.warnings);
        assert_eq!((s.width, s.depth, s.timesteps), (128, 3, 1000));
        assert_eq!(
            s.config().process,
            train::toy::Process::Ddpm {
                schedule: "linear".into(),
                steps: 1000
            }
        );
        assert_eq!(s.sampler, "ddim");
        assert_eq!(s.train_steps, None);
    }

    #[test]
    fn bad_values_fall_back_with_warnings() {
        let mut h = HashState::parse(
            "#data=mandelbrot&width=1e9&lr=-1&sampler=nope&view=3d&hide=wings&pts=abc",
        );
        let s = Toy2dSettings::read(&mut h);
        assert_eq!(s.data, "8gaussians");
        assert_eq!(s.width, 128);
        assert_eq!(s.lr, 1e-3);
        assert_eq!(s.sampler, "ddim");
        assert_eq!(s.view, "samples");
        assert!(s.drawn.is_empty());
        assert_eq!(h.warnings.len(), 7, "{:#?}", h.warnings);
    }

    #[test]
    fn a_sampler_must_fit_the_process() {
        let mut h = HashState::parse("#process=vp&sampler=ddim");
        let s = Toy2dSettings::read(&mut h);
        assert_eq!(s.sampler, "pf-heun");
        assert!(h.warnings[0].contains("does not fit"), "{:?}", h.warnings);
        assert!(s.samplers().contains(&"pc"));
        assert!(!s.samplers().contains(&"ddim"));
    }

    #[test]
    fn settings_round_trip_through_the_hash() {
        let mut h = HashState::parse(
            "#widget=toy2d&data=drawn&process=ve&sampler=pc&lr=0.0003&width=64&t=0.7&seed=5",
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
        assert_eq!(t.sampler, "pc");
        assert_eq!((t.lr, t.width, t.t, t.seed), (3e-4, 64, 0.7, 5));
        for (a, b) in s.drawn.iter().zip(&t.drawn) {
            assert!((a - b).abs() < 2e-3, "{a} vs {b}");
        }
    }

    #[test]
    fn points_codec_is_compact_and_rejects_garbage() {
        let pts = [-3.0f32, 3.0, 0.0, 1.234, 5.0, -9.0];
        let s = encode_points(&pts);
        assert_eq!(s.len(), 12);
        let back = decode_points(&s).unwrap();
        assert_eq!(back[0], -3.0);
        assert_eq!(back[1], 3.0);
        assert!((back[3] - 1.234).abs() < 1e-3);
        assert_eq!((back[4], back[5]), (3.0, -3.0), "clamped to the extent");
        assert!(decode_points("AB").is_err());
        assert!(decode_points("AB*D").unwrap_err().contains('*'));
        assert!(decode_points(&"AAAA".repeat(MAX_DRAWN + 1)).is_err());
    }
}
