//! A model a person brings to the sampler: the files diffusers saves for a `UNet2DModel` (its
//! `config.json` and its weights as `.safetensors`, and if they have it the scheduler's
//! `scheduler_config.json`), read into an [`Entry`] like a shipped one, so that everything after
//! (the worker's checks of every tensor, the samplers, the page) treats it the same way.

use serde_json::Value;

use diffusion::BetaSchedule;
use models::safetensors::Header;

use crate::manifest::{Entry, MAX_TIMESTEPS, Process, human_bytes};

/// The id prefix of a model a person brought (never a shipped id).
pub const OWN: &str = "own: ";
/// The largest weights file taken: the page holds it twice (for a reload into a new worker) and
/// copies it once more to the worker. 256 MiB takes google/ddpm-cifar10-32 (143 MB in f32).
pub const MAX_WEIGHTS_BYTES: u64 = 256 << 20;
/// The largest config file taken.
pub const MAX_JSON_BYTES: u64 = 1 << 20;
/// Most class rows and training timesteps a config may ask for (each makes a list).
const MAX_CLASS_ROWS: u64 = 1001;
/// The `prediction_type`s of a diffusers scheduler config that the sampler runs.
const PREDICTIONS: [&str; 3] = ["epsilon", "v_prediction", "sample"];

/// Whether a picked file may be read at all, from its name and size (before its bytes are).
pub fn check_pick(name: &str, bytes: u64) -> Result<(), String> {
    let lower = name.to_ascii_lowercase();
    let max = if lower.ends_with(".safetensors") {
        MAX_WEIGHTS_BYTES
    } else if lower.ends_with(".json") {
        MAX_JSON_BYTES
    } else {
        return Err(format!(
            "{name} is not one of a diffusers model's files (config.json, *.safetensors, \
             scheduler_config.json)"
        ));
    };
    if bytes > max {
        return Err(format!(
            "{name} is {}, more than the {} taken here (weights in f16 are half the size)",
            human_bytes(bytes),
            human_bytes(max)
        ));
    }
    Ok(())
}

/// The entry for the files picked (name and bytes each) and the weights' bytes; every way the
/// pick can be wrong is a sentence. A pipeline's `model_index.json` among them is passed over.
pub fn own_entry(files: Vec<(String, Vec<u8>)>) -> Result<(Entry, Vec<u8>), String> {
    let mut weights = Vec::new();
    let (mut config, mut scheduler) = (None, None);
    for (name, bytes) in files {
        check_pick(&name, bytes.len() as u64)?;
        if name.to_ascii_lowercase().ends_with(".safetensors") {
            weights.push((name, bytes));
            continue;
        }
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| format!("{name} is not valid JSON ({e})"))?;
        let class = value
            .get("_class_name")
            .and_then(Value::as_str)
            .unwrap_or("");
        let (slot, kind) = if class.ends_with("Pipeline") {
            continue;
        } else if class.ends_with("Scheduler") || value.get("beta_schedule").is_some() {
            (&mut scheduler, "scheduler configs")
        } else if !class.is_empty() || value.get("block_out_channels").is_some() {
            (&mut config, "model configs")
        } else {
            return Err(format!(
                "{name} is neither a model's config.json nor a scheduler_config.json"
            ));
        };
        if let Some((first, _)) = slot {
            return Err(format!(
                "{first} and {name} are both {kind}: pick one model's"
            ));
        }
        *slot = Some((name, value));
    }
    let (file, bytes) = match weights.len() {
        1 => weights.pop().expect("one"),
        0 => return Err("no .safetensors file is among them: the weights are needed too".into()),
        n => {
            return Err(format!(
                "{n} .safetensors files are among them: one model's weights are needed"
            ));
        }
    };
    let Some((config_name, config)) = config else {
        return Err(
            "the model's config.json is missing (diffusers saves it beside \
                    diffusion_pytorch_model.safetensors)"
                .into(),
        );
    };
    match config.get("_class_name").and_then(Value::as_str) {
        None | Some("UNet2DModel") => {}
        Some(other) => {
            return Err(format!(
                "{config_name} describes a {other}; only a UNet2DModel can be sampled here"
            ));
        }
    }
    let (process, prediction) = match &scheduler {
        Some((name, s)) => scheduler_process(name, s)?,
        None => (Process::ddpm_linear(), "epsilon".to_string()),
    };
    let (dtype, params) = header_summary(&bytes).map_err(|e| format!("{file}: {e}"))?;
    // this project's convention: the last class row means "no class" (classifier-free guidance)
    let rows = count(&config, "num_class_embeds", 0..=MAX_CLASS_ROWS, 0)
        .map_err(|e| format!("{config_name}: {e}"))?;
    let classes: Vec<String> = (0..rows.saturating_sub(1)).map(|k| k.to_string()).collect();
    let entry = Entry {
        id: format!("{OWN}{file}"),
        file,
        architecture: "unet2d".into(),
        config,
        process: Some(process),
        prediction,
        dataset: "your own".into(),
        conditional: !classes.is_empty(),
        null_class: (!classes.is_empty()).then_some(classes.len()),
        classes,
        dtype,
        bytes: bytes.len() as u64,
        sha256: String::new(),
        params,
        f16_max_rel_output_error: 0.0,
        recipe: Value::Null,
        evaluation: Value::Null,
    };
    Ok((entry, bytes))
}

/// `key` of `json` as a whole number within `range` (`default` when absent or null).
fn count(
    json: &Value,
    key: &str,
    range: std::ops::RangeInclusive<u64>,
    default: u64,
) -> Result<u64, String> {
    match json.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v.as_u64().filter(|n| range.contains(n)).ok_or_else(|| {
            format!(
                "{key} {v} is not a whole number from {} to {}",
                range.start(),
                range.end()
            )
        }),
    }
}

/// The process a diffusers scheduler config describes (DDPM-family fields, with diffusers'
/// defaults) and what the model predicts (`prediction_type`).
fn scheduler_process(name: &str, s: &Value) -> Result<(Process, String), String> {
    let text = |key: &str, default: &'static str| {
        s.get(key)
            .and_then(Value::as_str)
            .unwrap_or(default)
            .to_string()
    };
    let prediction = text("prediction_type", "epsilon");
    if !PREDICTIONS.contains(&prediction.as_str()) {
        return Err(format!(
            "{name} says the model predicts '{prediction}'; the sampler here runs epsilon, \
             v_prediction and sample models"
        ));
    }
    let number = |key: &str, default: f64| s.get(key).and_then(Value::as_f64).unwrap_or(default);
    let (beta_start, beta_end) = (number("beta_start", 1e-4), number("beta_end", 0.02));
    let beta_schedule = text("beta_schedule", "linear");
    // the name first; the ends are checked below, once trained_betas is ruled out
    BetaSchedule::from_diffusers(&beta_schedule, beta_start, beta_end)
        .map_err(|e| format!("{name}: {e}"))?;
    if s.get("trained_betas").is_some_and(|b| !b.is_null()) {
        return Err(format!(
            "{name} lists trained_betas, which the sampler here does not take"
        ));
    }
    if !(beta_start > 0.0 && beta_start <= beta_end && beta_end < 1.0) {
        return Err(format!(
            "{name}: beta_start {beta_start} and beta_end {beta_end} must satisfy 0 < start ≤ \
             end < 1"
        ));
    }
    let steps = count(s, "num_train_timesteps", 1..=MAX_TIMESTEPS, 1000)
        .map_err(|e| format!("{name}: {e}"))?;
    let process = Process::Ddpm {
        beta_schedule,
        beta_start,
        beta_end,
        num_train_timesteps: steps as usize,
    };
    process.process().map_err(|e| format!("{name}: {e}"))?;
    Ok((process, prediction))
}

/// The dtype (one, or "mixed") and the number of parameters of a weights file, from its header
/// alone, checked against the file (the page must not decode a large file twice).
fn header_summary(bytes: &[u8]) -> Result<(String, usize), String> {
    let header = Header::parse(bytes).map_err(|e| e.to_string())?;
    let mut dtypes: Vec<&str> = header.tensors.values().map(|t| t.dtype.name()).collect();
    dtypes.sort_unstable();
    dtypes.dedup();
    let dtype = match dtypes.as_slice() {
        [] => return Err("it holds no tensors".into()),
        [one] => one.to_string(),
        _ => "mixed".into(),
    };
    Ok((dtype, header.params()))
}
