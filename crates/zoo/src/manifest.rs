//! `static/weights/manifest.json`: one entry per shipped weights file, written by `diffuse export`
//! and read by the page to offer, download, verify and build each model.

use diffusion::sde::{SdeKind, SeedVe};
use diffusion::{BetaSchedule, DiscreteSchedule};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The model the sampler opens on (when it names a generator; else the first
    /// class-conditional one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    pub models: Vec<Entry>,
}

/// One shipped model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    /// The weights file, relative to the manifest.
    pub file: String,
    /// `unet2d`, `scorenet` or `classifier`.
    pub architecture: String,
    /// The architecture's config (diffusers' `config.json` for `unet2d`).
    pub config: Value,
    /// The noise process the model was trained on (none for a classifier).
    pub process: Option<Process>,
    /// What the network outputs: `epsilon`, `score` or `logits`.
    pub prediction: String,
    pub dataset: String,
    pub classes: Vec<String>,
    pub conditional: bool,
    /// The class row that means "no class" (classifier-free guidance).
    pub null_class: Option<usize>,
    /// Storage type of the weights (`F16`, `F32`).
    pub dtype: String,
    /// Size of the weights file in bytes.
    pub bytes: u64,
    /// SHA-256 of the weights file, lower-case hex.
    pub sha256: String,
    pub params: usize,
    #[serde(default)]
    pub f16_max_rel_output_error: f64,
    /// How it was trained (data, steps, batch, lr, EMA, hardware, wall time).
    #[serde(default)]
    pub recipe: Value,
    /// Evaluation figures with their N and baselines.
    #[serde(default)]
    pub evaluation: Value,
}

/// A model's noise process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Process {
    /// A discrete DDPM schedule (diffusers' `DDPMScheduler` fields).
    Ddpm {
        beta_schedule: String,
        beta_start: f64,
        beta_end: f64,
        num_train_timesteps: usize,
    },
    /// A continuous SDE of the core (`seed-ve`: the seeds' VE SDE with this σ).
    Sde { sde: String, sigma: f64 },
}

impl Process {
    /// The DDPM process every U-Net preset is trained on: linear β from 1e-4 to 0.02, T = 1000.
    pub fn ddpm_linear() -> Self {
        Process::Ddpm {
            beta_schedule: "linear".into(),
            beta_start: 1e-4,
            beta_end: 0.02,
            num_train_timesteps: 1000,
        }
    }

    /// The seeds' VE SDE with σ.
    pub fn seed_ve(sigma: f64) -> Self {
        Process::Sde {
            sde: "seed-ve".into(),
            sigma,
        }
    }

    pub fn is_sde(&self) -> bool {
        matches!(self, Process::Sde { .. })
    }

    /// The core's process for this record, checked: a schedule by its diffusers name, or an SDE
    /// of the core (the seeds' VE with the record's σ, which must exceed 1). Samplers built on it
    /// own it, so one made per chain needs nothing kept for the program's life.
    pub fn process(&self) -> Result<diffusion::Process, String> {
        match self {
            Process::Ddpm {
                beta_schedule,
                beta_start,
                beta_end,
                num_train_timesteps,
            } => {
                // each training timestep is a row of the schedule: a typo of a few zeros would
                // take gigabytes and a minute before any message
                if *num_train_timesteps as u64 > MAX_TIMESTEPS {
                    return Err(format!(
                        "the schedule has {num_train_timesteps} training timesteps; at most \
                         {MAX_TIMESTEPS} are taken"
                    ));
                }
                let kind = BetaSchedule::from_diffusers(beta_schedule, *beta_start, *beta_end)
                    .map_err(|e| e.to_string())?;
                DiscreteSchedule::new(kind, *num_train_timesteps)
                    .map(diffusion::Process::Discrete)
                    .map_err(|e| e.to_string())
            }
            Process::Sde { sde, sigma } if sde == "seed-ve" => {
                if sigma.is_finite() && *sigma > 1.0 {
                    Ok(diffusion::Process::Sde(SdeKind::SeedVe(SeedVe {
                        sigma: *sigma,
                    })))
                } else {
                    Err(format!(
                        "the seed VE SDE needs σ > 1, the model list says {sigma}"
                    ))
                }
            }
            Process::Sde { sde, .. } => diffusion::Process::sde(sde).map_err(|e| e.to_string()),
        }
    }
}

/// Most training timesteps a schedule may have (a model list's or a person's own model's).
pub const MAX_TIMESTEPS: u64 = 100_000;

impl Manifest {
    /// Parses the manifest's text, saying what is wrong in words.
    pub fn parse(text: &str) -> Result<Self, String> {
        let head = text.trim_start();
        if head.starts_with('<') {
            return Err(
                "the model list (manifest.json) is an HTML page, not JSON: the server sent a page \
                 instead of the file (wrong path?)"
                    .into(),
            );
        }
        let manifest: Manifest = serde_json::from_str(text)
            .map_err(|e| format!("the model list (manifest.json) cannot be read: {e}"))?;
        for m in &manifest.models {
            if !is_site_path(&m.file) {
                return Err(format!(
                    "the model list (manifest.json) is not usable: model {}'s file “{}” is not a path \
                     on this site",
                    m.id, m.file
                ));
            }
            if m.bytes > MAX_FILE_BYTES {
                return Err(format!(
                    "the model list (manifest.json) is not usable: model {}'s file is {}, more than \
                     the {} a weights file may have",
                    m.id,
                    human_bytes(m.bytes),
                    human_bytes(MAX_FILE_BYTES)
                ));
            }
        }
        Ok(manifest)
    }

    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.models.iter().find(|m| m.id == id)
    }

    /// The models that generate images (everything but classifiers).
    pub fn generators(&self) -> impl Iterator<Item = &Entry> {
        self.models.iter().filter(|m| m.process.is_some())
    }

    /// The evaluation classifier for a data set, if one is shipped.
    pub fn classifier_for(&self, dataset: &str) -> Option<&Entry> {
        self.models
            .iter()
            .find(|m| m.architecture == "classifier" && m.dataset == dataset)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a manifest serialises") + "\n"
    }
}

impl Entry {
    /// [C, H, W] of the images the model makes (a U-Net's config says; else MNIST's 1 × 28 × 28).
    pub fn image_shape(&self) -> [usize; 3] {
        let get = |k: &str| {
            self.config
                .get(k)
                .and_then(|v| v.as_u64())
                .map(|v| v as usize)
        };
        match (get("in_channels"), get("sample_size")) {
            (Some(c), Some(s)) if c > 0 && s > 0 => [c, s, s],
            _ => [1, 28, 28],
        }
    }

    /// The samplers of the core that fit this model's process.
    pub fn samplers(&self) -> Vec<&'static str> {
        diffusion::sampler::fitting(if self.process.as_ref().is_some_and(Process::is_sde) {
            diffusion::sampler::Family::Sde
        } else {
            diffusion::sampler::Family::Discrete
        })
    }

    /// "12.3 MB"-style size for people.
    pub fn size_text(&self) -> String {
        human_bytes(self.bytes)
    }
}

/// The largest weights file a model list may name (1 GiB; the shipped ones are ≤ 14 MB): a page
/// allocates what the list says before downloading.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// Whether `s` can only mean a path on the site that serves the page: letters, digits and `._~/-`,
/// not starting with `//`. That rules out other sites (`https://…`, `//host`, `\\host`), other
/// schemes (`data:`, `javascript:`) and what URL parsers strip or rewrite (spaces, tabs, `%`).
pub fn is_site_path(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with("//")
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._~/-".contains(c))
}

pub fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1_000_000 => format!("{:.1} MB", n as f64 / 1e6),
        n if n >= 1_000 => format!("{:.0} kB", n as f64 / 1e3),
        n => format!("{n} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &str = include_str!("../../../static/weights/manifest.json");

    #[test]
    fn site_paths_are_only_paths_on_this_site() {
        for ok in [
            "mnist-unet-cond.safetensors",
            "static/weights/manifest.json",
            "/static/weights/manifest.json",
            "../other/list.json",
        ] {
            assert!(is_site_path(ok), "{ok}");
        }
        for bad in [
            "",
            "https://evil.example/m.json",
            "//evil.example/m.json",
            " //evil.example/m.json",
            "\t//evil.example/m.json",
            "\\\\evil.example/m.json",
            "data:,{}",
            "javascript:alert(1)",
            "%2F%2Fevil.example",
        ] {
            assert!(!is_site_path(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_record_becomes_the_core_process_or_a_sentence() {
        let ddpm = Process::ddpm_linear().process().unwrap();
        assert_eq!(ddpm.as_schedule().map(|s| s.len()), Some(1000));
        let ve = Process::seed_ve(30.0).process().unwrap();
        assert_eq!(ve.as_sde(), Some(&SdeKind::SeedVe(SeedVe { sigma: 30.0 })));
        let e = Process::seed_ve(0.5).process().unwrap_err();
        assert!(e.contains("σ > 1"), "{e}");
        let vp = Process::Sde {
            sde: "vp".into(),
            sigma: 0.0,
        };
        assert!(vp.process().unwrap().is_sde());
        let cosine = Process::Ddpm {
            beta_schedule: "sigmoid".into(),
            beta_start: 1e-4,
            beta_end: 0.02,
            num_train_timesteps: 1000,
        };
        assert!(cosine.process().unwrap_err().contains("sigmoid"));
    }

    #[test]
    fn the_shipped_list_parses_and_a_foreign_file_or_a_huge_size_is_refused() {
        let shipped = Manifest::parse(SHIPPED).expect("the shipped manifest");
        assert!(shipped.models.len() >= 3);
        let mut m = shipped.clone();
        m.models[0].file = "data:,x".into();
        let e = Manifest::parse(&m.to_json()).unwrap_err();
        assert!(e.contains("is not a path on this site"), "{e}");
        let mut m = shipped.clone();
        m.models[0].bytes = 3_000_000_000;
        let e = Manifest::parse(&m.to_json()).unwrap_err();
        assert!(e.contains("more than the 1073.7 MB"), "{e}");
    }
}
