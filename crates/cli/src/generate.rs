//! Sampling images from a trained run directory with any sampler of the core, and loading runs.

use std::path::Path;

use burn::prelude::*;
use diffusion::Step;
use models::SafeTensors;
use zoo::{ChainSpec, ImageChain, Net, Process};

use crate::presets::{build_net, preset};
use crate::train_cmd::TrainState;

/// A trained model loaded from a run directory (model.safetensors + state.json).
pub struct Run {
    pub net: Net,
    pub state: TrainState,
}

pub fn load_run(dir: &Path, device: &Device) -> Result<Run, String> {
    let text = std::fs::read_to_string(dir.join("state.json"))
        .map_err(|e| format!("{}/state.json: {e}", dir.display()))?;
    let state: TrainState = serde_json::from_str(&text).map_err(|e| format!("state.json: {e}"))?;
    let p = preset(&state.model)?;
    let bytes = std::fs::read(dir.join("model.safetensors"))
        .map_err(|e| format!("{}/model.safetensors: {e}", dir.display()))?;
    let file = SafeTensors::parse(&bytes).map_err(|e| e.to_string())?;
    let net = build_net(&p, device)?
        .with_weights(&file)
        .map_err(|e| e.to_string())?;
    Ok(Run { net, state })
}

/// A diffusers `UNet2DModel` from a folder, read as the page reads a person's own files
/// (`zoo::own_entry`): the model folder's `config.json`, `.safetensors` and
/// `scheduler_config.json`, or a pipeline folder's `unet/` and `scheduler/`. Returns the network,
/// its process and what it predicts.
pub fn load_diffusers(
    dir: &Path,
    device: &Device,
) -> Result<(Net, Process, diffusion::Parameterization), String> {
    let unet = dir.join("unet");
    let folders = if unet.is_dir() {
        vec![unet, dir.join("scheduler")]
    } else {
        vec![dir.to_path_buf()]
    };
    let mut files = Vec::new();
    for folder in folders.iter().filter(|f| f.is_dir()) {
        let listed = std::fs::read_dir(folder).map_err(|e| format!("{}: {e}", folder.display()))?;
        let mut paths: Vec<_> = listed.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let Some(name) = name.filter(|n| n.ends_with(".json") || n.ends_with(".safetensors"))
            else {
                continue;
            };
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            files.push((name, bytes));
        }
    }
    let (entry, bytes) = zoo::own_entry(files).map_err(|e| format!("{}: {e}", dir.display()))?;
    let prediction = entry
        .prediction
        .parse()
        .map_err(|e: diffusion::DiffusionError| e.to_string())?;
    let process = entry.process.clone().ok_or("no process")?;
    let net = zoo::build(&entry, &bytes, device).map_err(|e| e.to_string())?;
    Ok((net, process, prediction))
}

/// A run directory's network (ε-prediction, on its preset's process) or a diffusers folder's:
/// the network, its process and what it predicts (`sample` and `edit` read models the same way).
pub fn load_model(
    run: Option<&Path>,
    diffusers: Option<&Path>,
    device: &Device,
) -> Result<(Net, Process, diffusion::Parameterization), String> {
    match (run, diffusers) {
        (Some(run), _) => {
            let net = load_run(run, device)?.net;
            let process = process_of(&net).ok_or("a classifier does not generate images")?;
            Ok((net, process, diffusion::Parameterization::Epsilon))
        }
        (None, Some(dir)) => load_diffusers(dir, device),
        (None, None) => Err("give --run or --diffusers".into()),
    }
}

/// A shipped model (`static/weights/`, or `dir`): its manifest entry `id`, the file checked as the
/// page checks it (size, SHA-256, every tensor), its process and what it predicts.
pub fn load_shipped(
    dir: &Path,
    id: &str,
    device: &Device,
) -> Result<(Net, Process, diffusion::Parameterization), String> {
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let manifest = zoo::Manifest::parse(&text)?;
    let entry = manifest.get(id).ok_or_else(|| {
        let ids: Vec<&str> = manifest.models.iter().map(|m| m.id.as_str()).collect();
        format!(
            "no model “{id}” in {} (there are: {})",
            path.display(),
            ids.join(", ")
        )
    })?;
    let file = dir.join(&entry.file);
    let bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    let net = zoo::load(entry, &bytes, device).map_err(|e| e.to_string())?;
    let process = entry
        .process
        .clone()
        .ok_or_else(|| format!("{id} does not generate images"))?;
    let prediction = entry
        .prediction
        .parse()
        .map_err(|e: diffusion::DiffusionError| e.to_string())?;
    Ok((net, process, prediction))
}

/// The process a preset's network was trained on (none for the classifier).
pub fn process_of(net: &Net) -> Option<Process> {
    match net {
        Net::ScoreNet(s) => Some(Process::seed_ve(s.config.sigma)),
        Net::UNet(_) => Some(Process::ddpm_linear()),
        Net::Classifier(_) => None,
    }
}

/// Draws `spec.n` images ([N, C, H, W], roughly in [−1, 1]); `on_step` sees every step (x_t and
/// x̂₀).
pub fn sample(
    net: &Net,
    spec: &ChainSpec,
    device: &Device,
    on_step: impl FnMut(&Step<4>),
) -> Result<Tensor<4>, String> {
    let process = process_of(net).ok_or("a classifier does not generate images")?;
    ImageChain::new(net, &process, spec, device)?.run(on_step)
}

/// [N, C, H, W] in [−1, 1] → a PNG grid with `cols` columns (grey for one channel, RGB for three).
pub fn grid_png(images: &[f32], n: usize, c: usize, h: usize, w: usize, cols: usize) -> Vec<u8> {
    let cols = cols.max(1).min(n.max(1));
    let rows = n.div_ceil(cols);
    let (gw, gh) = (cols * (w + 2) + 2, rows * (h + 2) + 2);
    let mut rgb = vec![40u8; gw * gh * 3];
    for i in 0..n {
        let (gx, gy) = ((i % cols) * (w + 2) + 2, (i / cols) * (h + 2) + 2);
        for y in 0..h {
            for x in 0..w {
                for ch in 0..3 {
                    let src = images[((i * c + ch.min(c - 1)) * h + y) * w + x];
                    rgb[((gy + y) * gw + gx + x) * 3 + ch] = data::to_pixel(src);
                }
            }
        }
    }
    let mut out = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_raw(gw as u32, gh as u32, rgb)
        .expect("buffer size")
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("png encodes");
    out.into_inner()
}
