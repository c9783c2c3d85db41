//! Sampling images from a trained run directory with any sampler of the core, and loading runs.

use std::path::Path;

use burn::prelude::*;
use diffusion::guidance::Guided;
use diffusion::sampler::SDE_SAMPLERS;
use diffusion::sampler::{Network, Options, Sampler, build};
use diffusion::sde::SeedVe;
use diffusion::{Level, Parameterization, SeededNoise, Step};
use models::SafeTensors;

use crate::presets::{Net, preset, unet_schedule};
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
    let net = Net::build(&p, device)?.with_weights(&file)?;
    Ok(Run { net, state })
}

#[derive(Debug, Clone)]
pub struct SampleSpec {
    pub sampler: String,
    pub options: Options,
    /// Class of each image (class-conditional models; ignored otherwise).
    pub classes: Vec<u8>,
    /// Classifier-free guidance scale w (0: conditional model alone).
    pub guidance: f64,
    pub seed: u64,
}

/// Draws `spec.classes.len()` images ([N, C, H, W], roughly in [−1, 1]); `on_step` sees every
/// step (x_t and x̂₀).
pub fn sample(
    net: &Net,
    spec: &SampleSpec,
    device: &Device,
    mut on_step: impl FnMut(&Step<4>),
) -> Result<Tensor<4>, String> {
    let n = spec.classes.len();
    let schedule = unet_schedule();
    let sde = SeedVe::default();
    let mut noise = SeededNoise::new(spec.seed);
    let mut run = |sampler: &mut dyn Sampler<4>,
                   model: &dyn diffusion::Denoiser<4>,
                   shape: [usize; 4],
                   noise: &mut SeededNoise| {
        let z = noise.normals(shape.iter().product());
        let mut x =
            Tensor::<4>::from_data(TensorData::new(z, shape), device) * sampler.init_sigma();
        while let Some(step) = sampler.step(model, &x, noise).map_err(|e| e.to_string())? {
            on_step(&step);
            x = step.x;
        }
        Ok::<_, String>(x)
    };
    match net {
        Net::UNet(unet) => {
            if SDE_SAMPLERS.contains(&spec.sampler.as_str()) {
                return Err(format!(
                    "the U-Net is a discrete-time DDPM model: use ddpm, ddpm-large, ddim, dpm++2m, dpm++2m-karras, euler, euler-a or heun, not {}",
                    spec.sampler
                ));
            }
            let c = &unet.config;
            if let (Some(rows), Some(bad)) = (
                unet.class_rows(),
                spec.classes
                    .iter()
                    .find(|&&k| k as usize + 1 >= unet.class_rows().unwrap_or(0)),
            ) {
                return Err(format!(
                    "class {bad} does not exist: this model has classes 0–{}",
                    rows - 2
                ));
            }
            let shape = [n, c.in_channels, c.sample_size, c.sample_size];
            let rows = unet.class_rows();
            let labels = |null: bool| {
                rows.map(|r| {
                    let ids: Vec<i64> = spec
                        .classes
                        .iter()
                        .map(|&k| if null { r as i64 - 1 } else { k as i64 })
                        .collect();
                    Tensor::<1, Int>::from_ints(ids.as_slice(), device)
                })
            };
            let (cond_l, null_l) = (labels(false), labels(true));
            let f = |classes: Option<Tensor<1, Int>>| {
                move |x: &Tensor<4>, t: f64, _: Level| {
                    unet.forward(
                        x.clone(),
                        Tensor::<1>::full([n], t, device),
                        classes.clone(),
                    )
                }
            };
            let cond = Network {
                kind: Parameterization::Epsilon,
                f: f(cond_l),
            };
            let uncond = Network {
                kind: Parameterization::Epsilon,
                f: f(null_l),
            };
            let guided = Guided {
                cond: &cond,
                uncond: &uncond,
                scale: if rows.is_some() { spec.guidance } else { 0.0 },
            };
            let mut sampler = build::<4>(&spec.sampler, &spec.options, &schedule, &sde)
                .map_err(|e| e.to_string())?;
            run(sampler.as_mut(), &guided, shape, &mut noise)
        }
        Net::ScoreNet(net) => {
            if !["euler-maruyama", "pc", "pf-heun", "annealed-langevin"]
                .contains(&spec.sampler.as_str())
            {
                return Err(format!(
                    "the ScoreNet is a VE-SDE score model: use euler-maruyama, pc, pf-heun or annealed-langevin, not {}",
                    spec.sampler
                ));
            }
            let model = Network {
                kind: Parameterization::Score,
                f: |x: &Tensor<4>, t: f64, _: Level| {
                    net.forward(x.clone(), Tensor::<1>::full([n], t, device))
                },
            };
            let mut sampler = build::<4>(&spec.sampler, &spec.options, &schedule, &sde)
                .map_err(|e| e.to_string())?;
            run(sampler.as_mut(), &model, [n, 1, 28, 28], &mut noise)
        }
        Net::Classifier(_) => Err("a classifier does not generate images".into()),
    }
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
                    let v = ((src.clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8;
                    rgb[((gy + y) * gw + gx + x) * 3 + ch] = v;
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
