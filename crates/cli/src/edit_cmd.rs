//! `diffuse edit`: editing an image with a trained model, writing a PNG grid. The edits are
//! `zoo::ImageChain::editing` chains, the same code the page runs:
//! - `sdedit`: noise the image to `--strength` of the way with q(x_t | x₀) and walk back down, once
//!   per seed (`--n`), optionally as another `--class`;
//! - `inpaint`: regenerate the `--mask` part (top, bottom, left, right, center) and keep the rest,
//!   with RePaint's resampling (`--jump`, `--resample`);
//! - `interpolate`: `--frames` images between images `--pick A,B` of the grid of `--n` that the
//!   page draws with the same seed, sampler, steps and classes, spherically between their x_T and
//!   sampled deterministically (a sampler that draws noise is replaced: DDIM with η = 0, or Heun
//!   on an SDE's PF-ODE), the class blended from A's to B's (`--class` and `--to-class`; by
//!   default, as the page's "every class", image k's class is k mod the classes);
//! - `invert`: DDIM inversion of the image to x_T and back, with the reconstruction error, and the
//!   inverted noise sampled again as `--class`.

use std::path::PathBuf;

use burn::prelude::*;
use diffusion::sampler::Options;
use zoo::{ChainSpec, EditSpec, ImageChain};

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
    /// The class to sample as (class-conditional models; none: no class).
    #[arg(long)]
    pub class: Option<usize>,
    /// Interpolation: the class of the strip's far end (default: `--class`).
    #[arg(long)]
    pub to_class: Option<usize>,
    /// Classifier-free guidance w.
    #[arg(long, default_value_t = 1.0)]
    pub guidance: f64,
    /// Images per edit (one per seed) for sdedit and inpaint; the grid's size for interpolate.
    #[arg(long, default_value_t = 8)]
    pub n: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Interpolation: the grid's sampler (one that draws noise is replaced by DDIM with η = 0,
    /// or by Heun on the PF-ODE for an SDE model).
    #[arg(long, default_value = "dpm++2m")]
    pub sampler: String,
    /// Inpainting: the part to regenerate.
    #[arg(long, default_value = "bottom")]
    pub mask: String,
    #[arg(long, default_value_t = 5)]
    pub jump: usize,
    #[arg(long, default_value_t = 5)]
    pub resample: usize,
    /// Interpolation: the two images of the grid, as A,B.
    #[arg(long, default_value = "0,1")]
    pub pick: String,
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
    let numel: usize = shape.iter().product();
    let image = || -> Result<Vec<f32>, String> {
        let spec = a
            .input
            .as_deref()
            .ok_or("give the image to edit: --input FILE.png or mnist:DIR:K")?;
        read_input(spec, shape)
    };
    let n = a.n.max(1);
    let mut spec = ChainSpec {
        sampler: a.sampler.clone(),
        // x̂₀ clipped to the images' range, as the page and `diffuse sample` clip it
        options: Options {
            steps: a.steps,
            clip: zoo::IMAGE_CLIP,
            ..Default::default()
        },
        n,
        classes: a.class.map_or_else(Vec::new, |k| vec![k; n]),
        guidance: a.guidance,
        seed: a.seed,
    };
    let (edit, said) = match a.what.as_str() {
        "sdedit" => (
            EditSpec::Sdedit {
                image: image()?,
                strength: a.strength,
            },
            format!("SDEdit at strength {}, {n} seeds", a.strength),
        ),
        "inpaint" => (
            EditSpec::Inpaint {
                image: image()?,
                keep: mask(&a.mask, [shape[1], shape[2]])?,
                jump: a.jump,
                resample: a.resample,
            },
            format!(
                "inpainting the {} (jump {}, {} resamplings), {n} seeds",
                a.mask, a.jump, a.resample
            ),
        ),
        "interpolate" => {
            let (pa, pb) = a
                .pick
                .split_once(',')
                .and_then(|(x, y)| Some((x.trim().parse().ok()?, y.trim().parse().ok()?)))
                .ok_or_else(|| format!("--pick takes two image numbers, A,B; not “{}”", a.pick))?;
            spec.n = a.frames.max(2);
            spec.classes.clear();
            // no --class: each end's class in the page's "every class" grid
            let cycled = |i: usize| net.classes().filter(|&k| k > 0).map(|k| i % k);
            let from = a.class.or_else(|| cycled(pa));
            let to = a.to_class.or(a.class).or_else(|| cycled(pb));
            (
                EditSpec::Interpolate {
                    of: n,
                    a: pa,
                    b: pb,
                    classes: [from, to],
                },
                format!(
                    "{} images between images {pa} and {pb} of seed {}'s grid of {n}",
                    spec.n, a.seed
                ),
            )
        }
        "invert" => (
            EditSpec::Invert {
                image: image()?,
                class: a.class,
            },
            format!("inverted in {} steps and back", a.steps),
        ),
        other => {
            return Err(format!(
                "unknown edit “{other}” (sdedit, inpaint, interpolate, invert)"
            ));
        }
    };
    let mut chain = ImageChain::editing(&net, &process, prediction, &spec, &edit, &device)?;
    let steps = chain.len();
    let out = values(chain.run(|_| {})?)?;
    // the input first (for inpainting also with the part regenerated greyed out), then the edit
    let mut grid: Vec<f32> = Vec::new();
    let mut said = format!("{said} ({steps} model steps)");
    match &edit {
        EditSpec::Sdedit { image, .. } => grid.extend(image),
        EditSpec::Inpaint { image, keep, .. } => {
            grid.extend(image);
            let hw = keep.len();
            grid.extend(image.iter().enumerate().map(|(i, v)| v * keep[i % hw]));
        }
        EditSpec::Interpolate { .. } => {}
        EditSpec::Invert { image, .. } => {
            let (max, mean) = zoo::chain::abs_error(&out[..numel], image);
            said = format!("{said}: max |error| {max:.4}, mean {mean:.5} (pixels in [−1, 1])");
            grid.extend(image);
        }
    }
    grid.extend(&out);
    let rows = grid.len() / numel;
    let cols = match &edit {
        EditSpec::Sdedit { .. } => n + 1,
        EditSpec::Inpaint { .. } => n + 2,
        _ => rows,
    };
    std::fs::write(
        &a.out,
        grid_png(&grid, rows, shape[0], shape[1], shape[2], cols),
    )
    .map_err(|e| format!("{}: {e}", a.out.display()))?;
    Ok(format!("{said} → {}", a.out.display()))
}

fn values(t: Tensor<4>) -> Result<Vec<f32>, String> {
    t.into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .map_err(|e| format!("{e:?}"))
}

/// The mask of the part kept (1) for `which` part regenerated, [H·W].
pub fn mask(which: &str, [h, w]: [usize; 2]) -> Result<Vec<f32>, String> {
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
    Ok((0..h)
        .flat_map(|y| (0..w).map(move |x| (y, x)))
        .map(|(y, x)| if regenerate(y, x) { 0.0 } else { 1.0 })
        .collect())
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
