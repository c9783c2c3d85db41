//! A model a person brings to the sampler: the files diffusers saves for a `UNet2DModel` (its
//! `config.json` and its weights as `.safetensors`, and if they have it the scheduler's
//! `scheduler_config.json`), read into an [`Entry`] like a shipped one, so that everything after
//! (the worker's checks of every tensor, the samplers, the page) treats it the same way.

use serde_json::Value;

use crate::manifest::{Entry, Process};

/// The id prefix of a model a person brought (never a shipped id).
pub const OWN: &str = "own: ";

/// The entry for the files picked (name and bytes each) and the weights' bytes; every way the
/// pick can be wrong is a sentence.
pub fn own_entry(files: Vec<(String, Vec<u8>)>) -> Result<(Entry, Vec<u8>), String> {
    let mut weights = Vec::new();
    let (mut config, mut scheduler) = (None, None);
    for (name, bytes) in files {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".safetensors") {
            weights.push((name, bytes));
        } else if lower.ends_with(".json") {
            let value: Value = serde_json::from_slice(&bytes)
                .map_err(|e| format!("{name} is not valid JSON ({e})"))?;
            let class = value
                .get("_class_name")
                .and_then(Value::as_str)
                .unwrap_or("");
            if class.ends_with("Scheduler") || value.get("beta_schedule").is_some() {
                scheduler = Some((name, value));
            } else if !class.is_empty() || value.get("block_out_channels").is_some() {
                config = Some((name, value));
            } else {
                return Err(format!(
                    "{name} is neither a model's config.json nor a scheduler_config.json"
                ));
            }
        } else {
            return Err(format!(
                "{name} is not one of a diffusers model's files (config.json, \
                 *.safetensors, scheduler_config.json)"
            ));
        }
    }
    let (file, bytes) = match weights.len() {
        1 => weights.pop().expect("one"),
        0 => return Err("no .safetensors file was picked: pick the weights too".into()),
        n => {
            return Err(format!(
                "{n} .safetensors files were picked: pick one model's"
            ));
        }
    };
    let Some((config_name, config)) = config else {
        return Err(
            "the model's config.json was not picked (diffusers saves it beside \
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
    let process = match &scheduler {
        Some((name, s)) => scheduler_process(name, s)?,
        None => Process::ddpm_linear(),
    };
    let (dtype, params) = header_summary(&bytes).map_err(|e| format!("{file}: {e}"))?;
    // this project's convention: the last class row means "no class" (classifier-free guidance)
    let rows = config.get("num_class_embeds").and_then(Value::as_u64);
    let classes: Vec<String> = match rows {
        Some(r) if r >= 2 => (0..r - 1).map(|k| k.to_string()).collect(),
        _ => Vec::new(),
    };
    let entry = Entry {
        id: format!("{OWN}{file}"),
        file,
        architecture: "unet2d".into(),
        config,
        process: Some(process),
        prediction: "epsilon".into(),
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

/// The process a diffusers scheduler config describes (DDPM-family fields, with diffusers'
/// defaults), for an ε-prediction model.
fn scheduler_process(name: &str, s: &Value) -> Result<Process, String> {
    let prediction = s
        .get("prediction_type")
        .and_then(Value::as_str)
        .unwrap_or("epsilon");
    if prediction != "epsilon" {
        return Err(format!(
            "{name} says the model predicts '{prediction}'; the sampler here runs ε-prediction \
             (epsilon) models"
        ));
    }
    let beta_schedule = s
        .get("beta_schedule")
        .and_then(Value::as_str)
        .unwrap_or("linear");
    if !["linear", "scaled_linear", "squaredcos_cap_v2"].contains(&beta_schedule) {
        return Err(format!(
            "{name} asks for the beta schedule '{beta_schedule}'; known: linear, scaled_linear, \
             squaredcos_cap_v2"
        ));
    }
    let number = |key: &str, default: f64| s.get(key).and_then(Value::as_f64).unwrap_or(default);
    let process = Process::Ddpm {
        beta_schedule: beta_schedule.into(),
        beta_start: number("beta_start", 1e-4),
        beta_end: number("beta_end", 0.02),
        num_train_timesteps: s
            .get("num_train_timesteps")
            .and_then(Value::as_u64)
            .unwrap_or(1000) as usize,
    };
    process.schedule().map_err(|e| format!("{name}: {e}"))?;
    Ok(process)
}

/// The dtype (one, or "mixed") and the number of parameters a safetensors header describes, read
/// from the header alone (the page must not decode a large file twice).
fn header_summary(bytes: &[u8]) -> Result<(String, usize), String> {
    let not = |why: String| format!("not a safetensors file ({why})");
    let len = bytes
        .get(..8)
        .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
        .ok_or_else(|| not(format!("only {} bytes", bytes.len())))?;
    let end = usize::try_from(len)
        .ok()
        .and_then(|n| n.checked_add(8))
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| {
            not(format!(
                "a header of {len} bytes in a file of {}",
                bytes.len()
            ))
        })?;
    let header: serde_json::Map<String, Value> =
        serde_json::from_slice(&bytes[8..end]).map_err(|e| not(e.to_string()))?;
    let (mut dtypes, mut params) = (Vec::<String>::new(), 0usize);
    for (key, t) in header.iter().filter(|(k, _)| k.as_str() != "__metadata__") {
        let dtype = t.get("dtype").and_then(Value::as_str);
        let shape = t.get("shape").and_then(Value::as_array);
        let (Some(dtype), Some(shape)) = (dtype, shape) else {
            return Err(not(format!("tensor {key} has no dtype or shape")));
        };
        if !dtypes.iter().any(|d| d == dtype) {
            dtypes.push(dtype.to_string());
        }
        params += shape
            .iter()
            .map(|d| d.as_u64().unwrap_or(0) as usize)
            .product::<usize>();
    }
    if params == 0 {
        return Err(not("it holds no tensors".into()));
    }
    let dtype = match dtypes.as_slice() {
        [one] => one.clone(),
        _ => "mixed".into(),
    };
    Ok((dtype, params))
}
