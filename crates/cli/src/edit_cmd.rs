//! `diffuse edit`: editing an image with a trained model (`diffusion::edit`), writing a PNG grid.
//! - `sdedit`: noise the image to `--strength` of the way with q(x_t | x₀) and walk back down, once
//!   per seed (`--n`), optionally as another `--class`;
//! - `inpaint`: regenerate the `--mask` part (top, bottom, left, right, center) and keep the rest,
//!   with RePaint's resampling (`--jump`, `--resample`);
//! - `interpolate`: `--frames` images from the sample of seed `--seed` to that of `--seed + 1`,
//!   spherically between their x_T, sampled deterministically;
//! - `invert`: DDIM inversion of the image to x_T and back, with the reconstruction error, and the
//!   inverted noise sampled again as `--class`.

use std::path::PathBuf;

use burn::prelude::*;
use diffusion::edit::{Inpaint, Inversion, PathSampler, noised, slerp, times};
use diffusion::noise::normal_like;
use diffusion::{Denoiser, Sampler, SeededNoise};

use crate::generate::{grid_png, load_model, load_shipped};

#[derive(Debug, Clone, clap::Args)]
pub struct EditArgs {
    /// sdedit, inpaint, interpolate or invert.
    pub what: String,
    /// A shipped model by its id in static/weights/manifest.json (e.g. mnist-unet-cond).
    #[arg(long, required_unless_present_any = ["run", "diffusers"], conflicts_with_all = ["run", "diffusers"])]
    pub model: Option<String>,
    /// The folder of shipped weights and their manifest.
    #[arg(long, default_value = "static/weights")]
    pub weights: PathBuf,
    /// Run directory written by `train`.
    #[arg(long, conflicts_with = "diffusers")]
    pub run: Option<PathBuf>,
    /// A diffusers UNet2DModel folder (as `sample --diffusers`).
    #[arg(long)]
    pub diffusers: Option<PathBuf>,
    /// The image: a PNG of the model's size (grey for one channel, RGB for three), or
    /// `mnist:DIR:K` for test image K of the MNIST set in DIR (../shared/data's layout).
    #[arg(long)]
    pub input: Option<String>,
    /// SDEdit: how far to noise the image, as a fraction of the process (0 < s ≤ 1).
    #[arg(long, default_value_t = 0.5)]
    pub strength: f64,
    /// Steps of the path (over the whole process; SDEdit takes its share of them).
    #[arg(long, default_value_t = 50)]
    pub steps: usize,
    /// DDIM's η for SDEdit and inpainting (0: deterministic).
    #[arg(long, default_value_t = 1.0)]
    pub eta: f64,
    /// The class to sample as (class-conditional models; none: no class).
    #[arg(long)]
    pub class: Option<usize>,
    /// Classifier-free guidance w.
    #[arg(long, default_value_t = 1.0)]
    pub guidance: f64,
    /// Images per edit (one per seed), for sdedit and inpaint.
    #[arg(long, default_value_t = 8)]
    pub n: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Inpainting: the part to regenerate.
    #[arg(long, default_value = "bottom")]
    pub mask: String,
    #[arg(long, default_value_t = 5)]
    pub jump: usize,
    #[arg(long, default_value_t = 5)]
    pub resample: usize,
    /// Interpolation: images in the strip.
    #[arg(long, default_value_t = 8)]
    pub frames: usize,
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// The PNG grid to write.
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs the edit; returns what it did in a line (the inversion's error included).
pub fn edit(a: &EditArgs) -> Result<String, String> {
    if a.steps == 0 {
        return Err("--steps must be at least 1".into());
    }
    let device = crate::device::pick(&a.device)?;
    let (net, process, prediction) = match &a.model {
        Some(id) => load_shipped(&a.weights, id, &device)?,
        None => load_model(a.run.as_deref(), a.diffusers.as_deref(), &device)?,
    };
    let shape = net.image_shape();
    let core = process.process()?;
    let model = |n: usize| {
        let classes = a.class.map_or_else(Vec::new, |k| vec![k; n]);
        zoo::chain::denoiser(&net, prediction, &classes, n, a.guidance, &device)
    };
    let err = |e: diffusion::DiffusionError| e.to_string();
    let image = || -> Result<Tensor<4>, String> {
        let spec = a
            .input
            .as_deref()
            .ok_or("give the image to edit: --input FILE.png or mnist:DIR:K")?;
        let values = read_input(spec, shape)?;
        Ok(Tensor::<1>::from_floats(values.as_slice(), &device)
            .reshape([1, shape[0], shape[1], shape[2]]))
    };
    let mut noise = SeededNoise::new(a.seed);
    let (grid, cols, said): (Vec<Tensor<4>>, usize, String) = match a.what.as_str() {
        "sdedit" => {
            let x0 = image()?;
            let n = a.n.max(1);
            let path = times(
                &core,
                diffusion::edit::share(a.steps, a.strength),
                a.strength,
            )
            .map_err(err)?;
            let mut s = PathSampler::new(&core, path, a.eta)
                .map_err(err)?
                .with_clip(zoo::IMAGE_CLIP);
            let batch = x0.clone().repeat_dim(0, n);
            let start = noised(
                &batch,
                s.start_level(),
                normal_like(&batch, &mut noise).map_err(err)?,
            );
            let out = walk(&mut s, model(n)?.as_ref(), start, &mut noise)?;
            (
                vec![x0, out],
                n + 1,
                format!(
                    "SDEdit at strength {} ({} steps), {n} seeds",
                    a.strength,
                    Sampler::<4>::len(&s)
                ),
            )
        }
        "inpaint" => {
            let x0 = image()?;
            let n = a.n.max(1);
            let keep = mask(&a.mask, shape, &device)?;
            let known = x0.clone().repeat_dim(0, n);
            let keep_n = keep.clone().repeat_dim(0, n);
            let mut s = Inpaint::new(
                &core,
                times(&core, a.steps, 1.0).map_err(err)?,
                known.clone(),
                keep_n,
                a.jump,
                a.resample,
                a.eta,
            )
            .map_err(err)?
            .with_clip(zoo::IMAGE_CLIP);
            let start = normal_like(&known, &mut noise).map_err(err)? * s.init_sigma();
            let out = walk(&mut s, model(n)?.as_ref(), start, &mut noise)?;
            // the image with the part to regenerate greyed out
            let shown = x0.clone() * keep;
            (
                vec![x0, shown, out],
                n + 2,
                format!(
                    "inpainting the {} ({} model steps, jump {}, {} resamplings), {n} seeds",
                    a.mask,
                    Sampler::<4>::len(&s),
                    a.jump,
                    a.resample
                ),
            )
        }
        "interpolate" => {
            let k = a.frames.max(2);
            let numel: usize = shape.iter().product();
            let za = SeededNoise::new(a.seed).normals(numel);
            let zb = SeededNoise::new(a.seed.wrapping_add(1)).normals(numel);
            let mut all = Vec::with_capacity(k * numel);
            for i in 0..k {
                all.extend(slerp(&za, &zb, i as f64 / (k - 1) as f64).map_err(err)?);
            }
            let start = Tensor::<1>::from_floats(all.as_slice(), &device)
                .reshape([k, shape[0], shape[1], shape[2]]);
            let mut s = PathSampler::new(&core, times(&core, a.steps, 1.0).map_err(err)?, 0.0)
                .map_err(err)?
                .with_clip(zoo::IMAGE_CLIP);
            let start = start * s.start_level().sigma;
            let out = walk(&mut s, model(k)?.as_ref(), start, &mut noise)?;
            (
                vec![out],
                k,
                format!(
                    "{k} images between the samples of seeds {} and {}",
                    a.seed,
                    a.seed.wrapping_add(1)
                ),
            )
        }
        "invert" => {
            let x0 = image()?;
            let path = times(&core, a.steps, 1.0).map_err(err)?;
            // inverted without a class, as the image came
            let plain = zoo::chain::denoiser(&net, prediction, &[], 1, 0.0, &device)?;
            let xt = Inversion::new(&core, path.clone())
                .map_err(err)?
                .run(plain.as_ref(), &x0)
                .map_err(err)?;
            let mut back = PathSampler::new(&core, path.clone(), 0.0).map_err(err)?;
            let again = walk(&mut back, plain.as_ref(), xt.clone(), &mut noise)?;
            let diff = (again.clone() - x0.clone()).abs();
            let (max, mean) = (scalar(diff.clone().max())?, scalar(diff.mean())?);
            let mut shown = vec![x0, xt.clone().clamp(-1.0, 1.0), again];
            if a.class.is_some() {
                let mut s = PathSampler::new(&core, path, 0.0)
                    .map_err(err)?
                    .with_clip(zoo::IMAGE_CLIP);
                shown.push(walk(&mut s, model(1)?.as_ref(), xt, &mut noise)?);
            }
            let cols = shown.len();
            (
                shown,
                cols,
                format!(
                    "inverted in {} steps and back: max |error| {max:.4}, mean {mean:.5} (pixels in [−1, 1])",
                    a.steps
                ),
            )
        }
        other => {
            return Err(format!(
                "unknown edit “{other}” (sdedit, inpaint, interpolate, invert)"
            ));
        }
    };
    let all = Tensor::cat(grid, 0);
    let [n, c, h, w] = all.dims();
    let values = all
        .into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .map_err(|e| format!("{e:?}"))?;
    std::fs::write(&a.out, grid_png(&values, n, c, h, w, cols))
        .map_err(|e| format!("{}: {e}", a.out.display()))?;
    Ok(format!("{said} → {}", a.out.display()))
}

/// Walks `sampler` from `x` to its end.
fn walk(
    sampler: &mut dyn Sampler<4>,
    model: &dyn Denoiser<4>,
    mut x: Tensor<4>,
    noise: &mut SeededNoise,
) -> Result<Tensor<4>, String> {
    while let Some(step) = sampler.step(model, &x, noise).map_err(|e| e.to_string())? {
        x = step.x;
    }
    Ok(x)
}

fn scalar(t: Tensor<1>) -> Result<f64, String> {
    t.into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .map_err(|e| format!("{e:?}"))
        .map(|v| v[0] as f64)
}

/// The mask of the part kept (1) for `which` part regenerated, [1, C, H, W].
pub fn mask(which: &str, [c, h, w]: [usize; 3], device: &Device) -> Result<Tensor<4>, String> {
    let regenerate = |y: usize, x: usize| match which {
        "top" => y < h / 2,
        "bottom" => y >= h / 2,
        "left" => x < w / 2,
        "right" => x >= w / 2,
        "center" => (h / 4..3 * h / 4).contains(&y) && (w / 4..3 * w / 4).contains(&x),
        _ => false,
    };
    if !["top", "bottom", "left", "right", "center"].contains(&which) {
        return Err(format!(
            "unknown mask “{which}” (top, bottom, left, right, center)"
        ));
    }
    let mut keep = Vec::with_capacity(c * h * w);
    for _ in 0..c {
        for y in 0..h {
            for x in 0..w {
                keep.push(if regenerate(y, x) { 0.0f32 } else { 1.0 });
            }
        }
    }
    Ok(Tensor::<1>::from_floats(keep.as_slice(), device).reshape([1, c, h, w]))
}

/// The image `spec` names, as [C·H·W] values in [−1, 1] for a model of `shape`.
pub fn read_input(spec: &str, [c, h, w]: [usize; 3]) -> Result<Vec<f32>, String> {
    if let Some(rest) = spec.strip_prefix("mnist:") {
        let (dir, k) = rest
            .rsplit_once(':')
            .ok_or("mnist:DIR:K names test image K of the MNIST set in DIR")?;
        let k: usize = k
            .parse()
            .map_err(|_| format!("mnist:DIR:K: “{k}” is not an index"))?;
        let set = data::read_mnist(std::path::Path::new(dir), "t10k").map_err(|e| e.to_string())?;
        if k >= set.len() {
            return Err(format!(
                "there are {} MNIST test images; {k} is past them",
                set.len()
            ));
        }
        if (c, h, w) != (1, 28, 28) {
            return Err(format!(
                "an MNIST digit is 1×28×28; this model takes {c}×{h}×{w}"
            ));
        }
        return Ok(set.batch_f32(&[k]));
    }
    let bytes = std::fs::read(spec).map_err(|e| format!("{spec}: {e}"))?;
    let img = image::load_from_memory(&bytes)
        .map_err(|e| format!("{spec} is not an image this tool reads (PNG): {e}"))?;
    if (img.width() as usize, img.height() as usize) != (w, h) {
        return Err(format!(
            "{spec} is {}×{}; this model takes {w}×{h} images",
            img.width(),
            img.height()
        ));
    }
    let to = |v: u8| v as f32 / 127.5 - 1.0;
    Ok(match c {
        1 => img.to_luma8().pixels().map(|p| to(p.0[0])).collect(),
        3 => {
            let rgb = img.to_rgb8();
            (0..3)
                .flat_map(|ch| rgb.pixels().map(move |p| to(p.0[ch])).collect::<Vec<_>>())
                .collect()
        }
        _ => return Err(format!("a model of {c} channels takes no PNG")),
    })
}
