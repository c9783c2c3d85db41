//! Sampling a grid of images from a shipped model, one step at a time, so a caller (the CLI's loop,
//! or the page between frames) sees x_t and x̂₀ at every step.

use burn::prelude::*;
use diffusion::sampler::{Options, Sampler, X0Clip, build};
use diffusion::{Denoiser, Level, Parameterization, Prediction, SeededNoise, Step};
use models::{ScoreNet, UNet};

use crate::manifest::Process;
use crate::net::Net;

/// Images live in [−1, 1]: the DDPM-family samplers clamp x̂₀ there (diffusers' `clip_sample`,
/// on by default in its DDPM and DDIM schedulers). SDE samplers ignore it.
pub const IMAGE_CLIP: X0Clip = X0Clip::Clip { range: 1.0 };

/// What to sample.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ChainSpec {
    /// A sampler of the core's registry that fits the model's process.
    pub sampler: String,
    pub options: Options,
    /// Number of images.
    pub n: usize,
    /// The class of each image (class-conditional models); empty: every image without a class.
    pub classes: Vec<usize>,
    /// Classifier-free guidance scale w (0: the conditional model alone).
    pub guidance: f64,
    pub seed: u64,
}

/// An image to edit (SDEdit): noised to `strength` of the process with q(x_t | x₀), then walked
/// down by a DDIM path (η = 1, as SDEdit's stochastic reverse process) as the chain's steps.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct EditSpec {
    /// [C·H·W] values in [−1, 1]: one image, edited once per image of the chain (the chain's seed
    /// draws the noise of all of them, as for sampling).
    pub image: Vec<f32>,
    /// How far to noise it, 0 < s ≤ 1 (1: the image is forgotten, as plain sampling).
    pub strength: f64,
}

/// The U-Net as an ε-predictor, with classifier-free guidance computed in one batched call: the
/// batch is run twice over, with the labels and with "no class", and ε̄ = (1 + w)·ε_c − w·ε_∅.
struct UNetEps {
    unet: UNet,
    /// [n] class labels, or [2n] (labels then "no class") when guided.
    labels: Option<Tensor<1, Int>>,
    scale: f64,
    /// What the network outputs (ε for this project's models; guidance mixes any of them the
    /// same way, as diffusers does).
    prediction: Parameterization,
}

impl Denoiser<4> for UNetEps {
    fn predict(&self, x: &Tensor<4>, t: f64, level: Level) -> Prediction<4> {
        let n = x.dims()[0];
        let device = x.device();
        let guided = self.scale != 0.0 && self.labels.is_some();
        let input = if guided {
            Tensor::cat(vec![x.clone(), x.clone()], 0)
        } else {
            x.clone()
        };
        let b = input.dims()[0];
        let out = self.unet.forward(
            input,
            Tensor::<1>::full([b], t, &device),
            self.labels.clone(),
        );
        let eps = if guided {
            let w = self.scale;
            out.clone().narrow(0, 0, n) * (1.0 + w) - out.narrow(0, n, n) * w
        } else {
            out
        };
        Prediction::from_output(self.prediction, eps, x, level)
    }
}

/// The seeds' ScoreNet as a score model (its output is already divided by std(t)).
struct Score(ScoreNet);

impl Denoiser<4> for Score {
    fn predict(&self, x: &Tensor<4>, t: f64, level: Level) -> Prediction<4> {
        let n = x.dims()[0];
        let out = self
            .0
            .forward(x.clone(), Tensor::<1>::full([n], t, &x.device()));
        Prediction::from_output(Parameterization::Score, out, x, level)
    }
}

/// A sampling chain over `n` images, stepped by the caller.
pub struct ImageChain {
    sampler: Box<dyn Sampler<4>>,
    model: Box<dyn Denoiser<4>>,
    noise: SeededNoise,
    shape: [usize; 4],
    device: Device,
    /// An edit's image (repeated for each image) and the level the path starts at.
    edit: Option<(Tensor<4>, Level)>,
}

impl ImageChain {
    /// A chain for `net` (an ε-model or a score model, trained on `process`) as `spec` asks;
    /// every mismatch (a sampler that does not fit the process, a class the model does not have)
    /// is a sentence.
    pub fn new(
        net: &Net,
        process: &Process,
        spec: &ChainSpec,
        device: &Device,
    ) -> Result<Self, String> {
        Self::predicting(net, process, Parameterization::Epsilon, spec, device)
    }

    /// The same for a U-Net that outputs `prediction` (ε, v or x₀, as its scheduler config
    /// says); the ScoreNet is a score model whatever `prediction` says.
    pub fn predicting(
        net: &Net,
        process: &Process,
        prediction: Parameterization,
        spec: &ChainSpec,
        device: &Device,
    ) -> Result<Self, String> {
        let fits =
            diffusion::sampler::info(&spec.sampler).is_some_and(|s| s.fits_family(family(process)));
        if !fits {
            return Err(format!(
                "sampler '{}' does not fit this model ({}); use one of: {}",
                spec.sampler,
                if process.is_sde() {
                    "a score model on an SDE"
                } else {
                    "an ε-model on a discrete DDPM schedule"
                },
                diffusion::sampler::fitting(family(process)).join(", ")
            ));
        }
        let [c, h, w] = net.image_shape();
        let model = denoiser(
            net,
            prediction,
            &spec.classes,
            spec.n,
            spec.guidance,
            device,
        )?;
        let sampler = build::<4>(&spec.sampler, &spec.options, &process.process()?)
            .map_err(|e| e.to_string())?;
        Ok(Self {
            sampler,
            model,
            noise: SeededNoise::new(spec.seed),
            shape: [spec.n, c, h, w],
            device: device.clone(),
            edit: None,
        })
    }

    /// The chain of `spec` (its model, classes, guidance, steps and seed) editing `edit`'s image
    /// instead of sampling from noise: SDEdit (`diffusion::edit`). Its steps are `spec`'s share
    /// for the strength; the sampler `spec` names is not used.
    pub fn editing(
        net: &Net,
        process: &Process,
        prediction: Parameterization,
        spec: &ChainSpec,
        edit: &EditSpec,
        device: &Device,
    ) -> Result<Self, String> {
        let mut chain = Self::predicting(net, process, prediction, spec, device)?;
        let [c, h, w] = net.image_shape();
        if edit.image.len() != c * h * w {
            return Err(format!(
                "the image to edit has {} values; this model takes {c}×{h}×{w} images",
                edit.image.len()
            ));
        }
        if edit.image.iter().any(|v| !v.is_finite()) {
            return Err("the image to edit holds values that are not numbers".into());
        }
        let core = process.process()?;
        let steps = diffusion::edit::share(spec.options.steps, edit.strength);
        let times =
            diffusion::edit::times(&core, steps, edit.strength).map_err(|e| e.to_string())?;
        let path = diffusion::edit::PathSampler::new(&core, times, 1.0)
            .map_err(|e| e.to_string())?
            .with_clip(IMAGE_CLIP);
        let level = path.start_level();
        let image = Tensor::<1>::from_floats(edit.image.as_slice(), device)
            .reshape([1, c, h, w])
            .repeat_dim(0, spec.n);
        chain.sampler = Box::new(path);
        chain.edit = Some((image, level));
        Ok(chain)
    }

    /// Number of steps (model evaluations of the sampler's schedule).
    pub fn len(&self) -> usize {
        self.sampler.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sampler.is_empty()
    }

    /// [N, C, H, W] of the images.
    pub fn shape(&self) -> [usize; 4] {
        self.shape
    }

    /// x_T: seeded noise scaled to the sampler's starting level; for an edit, the image noised to
    /// the path's first level.
    pub fn start(&mut self) -> Tensor<4> {
        let z = self.noise.normals(self.shape.iter().product());
        let z = Tensor::<4>::from_data(TensorData::new(z, self.shape), &self.device);
        match &self.edit {
            Some((image, level)) => diffusion::edit::noised(image, *level, z),
            None => z * self.sampler.init_sigma(),
        }
    }

    /// The next step from `x`, or `None` once the chain is done.
    pub fn step(&mut self, x: &Tensor<4>) -> Result<Option<Step<4>>, String> {
        self.sampler
            .step(self.model.as_ref(), x, &mut self.noise)
            .map_err(|e| e.to_string())
    }

    /// Runs the whole chain, calling `on_step` after every step; returns x₀.
    pub fn run(&mut self, mut on_step: impl FnMut(&Step<4>)) -> Result<Tensor<4>, String> {
        let mut x = self.start();
        while let Some(step) = self.step(&x)? {
            on_step(&step);
            x = step.x;
        }
        Ok(x)
    }
}

/// The model of `net` as a denoiser of `n` images: a U-Net as what it outputs (`prediction`),
/// with the class of each image (`classes` empty: "no class") and classifier-free guidance `w`
/// batched in one call; the ScoreNet as a score model. Shared by sampling and editing.
pub fn denoiser(
    net: &Net,
    prediction: Parameterization,
    classes: &[usize],
    n: usize,
    guidance: f64,
    device: &Device,
) -> Result<Box<dyn Denoiser<4>>, String> {
    if n == 0 {
        return Err("the number of images must be at least 1".into());
    }
    let model: Box<dyn Denoiser<4>> = match net {
        Net::UNet(unet) => {
            let labels = match (unet.class_rows(), classes.is_empty()) {
                (None, _) => None,
                (Some(rows), true) => Some(vec![rows as i64 - 1; n]),
                (Some(rows), false) => {
                    if classes.len() != n {
                        return Err(format!("{} classes given for {} images", classes.len(), n));
                    }
                    if let Some(bad) = classes.iter().find(|&&k| k + 1 >= rows) {
                        return Err(format!(
                            "class {bad} does not exist: this model has classes 0–{}",
                            rows - 2
                        ));
                    }
                    let mut ids: Vec<i64> = classes.iter().map(|&k| k as i64).collect();
                    if guidance != 0.0 {
                        ids.extend(std::iter::repeat_n(rows as i64 - 1, n));
                    }
                    Some(ids)
                }
            };
            let guided = labels.as_ref().is_some_and(|l| l.len() == 2 * n);
            Box::new(UNetEps {
                unet: unet.clone(),
                labels: labels.map(|l| Tensor::<1, Int>::from_ints(l.as_slice(), device)),
                scale: if guided { guidance } else { 0.0 },
                prediction,
            })
        }
        Net::ScoreNet(s) => Box::new(Score(s.clone())),
        Net::Classifier(_) => return Err("a classifier does not generate images".into()),
    };
    Ok(model)
}

/// The family of samplers a zoo model's process takes.
pub(crate) fn family(process: &Process) -> diffusion::sampler::Family {
    if process.is_sde() {
        diffusion::sampler::Family::Sde
    } else {
        diffusion::sampler::Family::Discrete
    }
}
