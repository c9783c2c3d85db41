//! `diffuse export`: a trained run → `static/weights/<id>.safetensors` (f16 by default) and its entry
//! in `static/weights/manifest.json`, the file the page reads to offer and verify models.

use std::path::Path;

use burn::prelude::*;
use models::{Dtype, SafeTensors};
use serde_json::{Value, json};
use zoo::{Entry, Manifest, sha256_hex};

use crate::generate::{load_run, process_of};
use crate::presets::{Dataset, Net, preset};

/// Largest |f16 − f32| of the network's output on a fixed random batch, relative to the f32
/// output's largest magnitude.
fn f16_error(a: &Net, f16_bytes: &[u8], device: &Device) -> Result<f64, String> {
    let file = SafeTensors::parse(f16_bytes).map_err(|e| e.to_string())?;
    let b = a.clone().with_weights(&file).map_err(|e| e.to_string())?;
    let out = |net: &Net| -> Vec<f32> {
        let r = |shape: [usize; 4]| {
            Tensor::<4>::from_data(
                TensorData::new(
                    diffusion::SeededNoise::new(7).normals(shape.iter().product()),
                    shape,
                ),
                device,
            )
        };
        let y = match net {
            Net::UNet(u) => {
                let c = &u.config;
                let classes = u
                    .class_rows()
                    .map(|_| Tensor::<1, Int>::from_ints([3, 7], device));
                u.forward(
                    r([2, c.in_channels, c.sample_size, c.sample_size]),
                    Tensor::from_floats([50.0, 700.0], device),
                    classes,
                )
            }
            Net::ScoreNet(s) => {
                s.forward(r([2, 1, 28, 28]), Tensor::from_floats([0.05, 0.7], device))
            }
            Net::Classifier(c) => c.forward(r([2, 1, 28, 28])).unsqueeze::<4>(),
        };
        y.into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .expect("f32")
    };
    let (ya, yb) = (out(&a), out(&b));
    let scale = ya.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-12);
    Ok(ya
        .iter()
        .zip(&yb)
        .fold(0f32, |m, (p, q)| m.max((p - q).abs())) as f64
        / scale as f64)
}

/// Exports `run_dir` as model `id` into `out_dir` (weights + manifest entry). `metrics`: a JSON
/// file of evaluation figures to record. Returns the manifest entry.
pub fn export(
    run_dir: &Path,
    id: &str,
    dtype: Dtype,
    out_dir: &Path,
    metrics: Option<&Path>,
) -> Result<Entry, String> {
    let device = Device::flex();
    let run = load_run(run_dir, &device)?;
    let p = preset(&run.state.model)?;
    let mut file = run.net.weights();
    file.metadata.insert("format".into(), "pt".into());
    file.metadata.insert("id".into(), id.into());
    file.metadata
        .insert("preset".into(), run.state.model.clone());
    // The ScoreNet's fixed Fourier frequencies (|W| up to ~90) lose their phase in f16: keep F32.
    let bytes = file.to_bytes_keeping_f32(dtype, &["fourier_w"]);
    let rel_err = if dtype == Dtype::F32 {
        0.0
    } else {
        f16_error(&run.net, &bytes, &device)?
    };
    std::fs::create_dir_all(out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let name = format!("{id}.safetensors");
    std::fs::write(out_dir.join(&name), &bytes)
        .map_err(|e| format!("{}: {e}", out_dir.join(&name).display()))?;
    let prediction = match &run.net {
        Net::UNet(_) => "epsilon",
        Net::ScoreNet(_) => "score",
        Net::Classifier(_) => "logits",
    };
    let classes: Vec<String> = match p.dataset {
        Dataset::Mnist => (0..10).map(|d| d.to_string()).collect(),
        Dataset::Cifar10 => [
            "airplane",
            "automobile",
            "bird",
            "cat",
            "deer",
            "dog",
            "frog",
            "horse",
            "ship",
            "truck",
        ]
        .map(String::from)
        .to_vec(),
    };
    let config: Value = serde_json::from_str(&run.net.config_json()).map_err(|e| e.to_string())?;
    let s = &run.state;
    let evaluation = match metrics {
        Some(m) => serde_json::from_str(
            &std::fs::read_to_string(m).map_err(|e| format!("{}: {e}", m.display()))?,
        )
        .map_err(|e| format!("{}: {e}", m.display()))?,
        None => Value::Null,
    };
    let entry = Entry {
        id: id.into(),
        file: name,
        architecture: run.net.architecture().into(),
        config,
        process: process_of(&run.net),
        prediction: prediction.into(),
        dataset: match p.dataset {
            Dataset::Mnist => "mnist",
            Dataset::Cifar10 => "cifar10",
        }
        .into(),
        classes,
        conditional: run.net.classes().is_some(),
        null_class: run.net.classes(),
        dtype: dtype.name().into(),
        bytes: bytes.len() as u64,
        sha256: sha256_hex(&bytes),
        params: s.params,
        f16_max_rel_output_error: rel_err,
        recipe: json!({
            "data": format!("{} train split, {} images", match p.dataset { Dataset::Mnist => "MNIST", Dataset::Cifar10 => "CIFAR-10 (JPEG q75 copy)" }, s.train_images),
            "steps": s.step, "batch": s.batch, "lr": s.lr, "ema_decay": s.ema_decay, "optimizer": "Adam, gradient norm clipped to 1 per parameter tensor, 500-step warm-up (again over 100 steps after a resume without the optimizer state)",
            "hflip": p.hflip, "seed": s.seed, "device": s.device, "wall_seconds": s.wall_seconds,
            "final_loss": s.losses.last().map(|l| l.1),
        }),
        evaluation,
    };
    let manifest_path = out_dir.join("manifest.json");
    let mut manifest = match std::fs::read_to_string(&manifest_path) {
        Ok(t) => Manifest::parse(&t).map_err(|e| format!("{}: {e}", manifest_path.display()))?,
        Err(_) => Manifest {
            default: None,
            models: Vec::new(),
        },
    };
    manifest.models.retain(|m| m.id != id);
    manifest.models.push(entry.clone());
    manifest.models.sort_by(|a, b| a.id.cmp(&b.id));
    std::fs::write(&manifest_path, manifest.to_json())
        .map_err(|e| format!("{}: {e}", manifest_path.display()))?;
    Ok(entry)
}
