//! Sampling a grid of images from a shipped model, one step at a time, so a caller (the CLI's loop,
//! or the page between frames) sees x_t and x̂₀ at every step.

use std::cell::RefCell;
use std::rc::Rc;

use burn::prelude::*;
use diffusion::edit::{Inpaint, Inversion, PathSampler, slerp, times};
use diffusion::sampler::{Options, Sampler, X0Clip, build};
use diffusion::{Denoiser, Level, Parameterization, PartNoise, Prediction, SeededNoise, Step};
use models::{ScoreNet, UNet};

use crate::halves::{Attempt, Half, Halves, OwnHalf};
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

/// Images `start..start + len` of a chain's grid: a pool's worker samples its part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Part {
    pub start: usize,
    pub len: usize,
}

/// Whether the chain of `spec` (and `edit`) can be sampled in parts ([`ImageChain::part`]):
/// each image stepped alone, from its own share of the seed's noise.
pub fn splits(spec: &ChainSpec, edit: Option<&EditSpec>) -> bool {
    match edit {
        None => diffusion::sampler::info(&spec.sampler).is_some_and(|i| i.per_image()),
        Some(EditSpec::Sdedit { .. } | EditSpec::Inpaint { .. }) => true,
        Some(EditSpec::Interpolate { .. } | EditSpec::Invert { .. }) => false,
    }
}

/// An edit to make with the chain's model in place of sampling from noise (`diffusion::edit`).
/// Images are [C·H·W] values in [−1, 1]; the chain's seed draws all its noise, as for sampling.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum EditSpec {
    /// SDEdit: `image` noised to `strength` of the process (0 < s ≤ 1; 1 forgets it) with
    /// q(x_t | x₀), then walked down by a DDIM path (η = 1, SDEdit's stochastic reverse process),
    /// once per image of the chain, as the chain's classes.
    Sdedit { image: Vec<f32>, strength: f64 },
    /// Inpainting: regenerate the pixels of `image` where `keep` ([H·W]) is 0 and keep those
    /// where it is 1, by replacement with RePaint's resampling (`jump`, `resample`), once per
    /// image of the chain.
    Inpaint {
        image: Vec<f32>,
        keep: Vec<f32>,
        jump: usize,
        resample: usize,
    },
    /// The chain's n images between images `a` and `b` of the grid that the chain's seed samples
    /// with `of` images: their x_T interpolated spherically and sampled by the chain's sampler
    /// if it draws no noise (else DDIM with η = 0, or Heun on an SDE's probability-flow ODE:
    /// [`deterministic`]), each image's class embedding blended between `classes` (None: "no
    /// class"). With a deterministic grid sampler, the same steps and classes, the ends are the
    /// grid's two images.
    Interpolate {
        of: usize,
        a: usize,
        b: usize,
        classes: [Option<usize>; 2],
    },
    /// Inversion: `image` taken up to x_T by DDIM inversion (no class), then sampled back down by
    /// DDIM (η = 0): the first image is the reconstruction; with `class`, a second image is the
    /// same x_T sampled as that class (with the chain's guidance).
    Invert {
        image: Vec<f32>,
        class: Option<usize>,
    },
}

impl EditSpec {
    /// What the edit makes, in a few words (for the page's counter and the CLI).
    pub fn name(&self) -> &'static str {
        match self {
            EditSpec::Sdedit { .. } => "SDEdit",
            EditSpec::Inpaint { .. } => "inpainting",
            EditSpec::Interpolate { .. } => "interpolation",
            EditSpec::Invert { .. } => "inversion",
        }
    }
}

/// The U-Net as an ε-predictor, with classifier-free guidance computed in one batched call: the
/// batch is run twice over, with the labels and with "no class", and ε̄ = (1 + w)·ε_c − w·ε_∅.
struct UNetEps {
    unet: UNet,
    /// [n] class labels, or [2n] (labels then "no class") when guided.
    labels: Option<Labels>,
    scale: f64,
    /// What the network outputs (ε for this project's models; guidance mixes any of them the
    /// same way, as diffusers does).
    prediction: Parameterization,
    /// Guided, in one of two workers: it runs its half of the batch only ([`crate::halves`]).
    halves: Option<Rc<RefCell<Halves>>>,
}

impl Denoiser<4> for UNetEps {
    fn predict(&self, x: &Tensor<4>, t: f64, level: Level) -> Prediction<4> {
        let n = x.dims()[0];
        let device = x.device();
        let guided = self.scale != 0.0 && self.labels.is_some();
        if let (true, Some(halves), Some(labels)) = (guided, &self.halves, &self.labels) {
            let rows = halves.borrow().half.rows(n);
            let forward = || {
                let t = Tensor::<1>::full([n], t, &device);
                match labels {
                    Labels::Blend(w) => {
                        self.unet
                            .forward_blended(x.clone(), t, w.clone().slice([rows]))
                    }
                    Labels::Ids(ids) => {
                        self.unet
                            .forward(x.clone(), t, Some(ids.clone().slice([rows])))
                    }
                }
            };
            let eps = halves.borrow_mut().output(self.scale, forward);
            return Prediction::from_output(self.prediction, eps, x, level);
        }
        let input = if guided {
            Tensor::cat(vec![x.clone(), x.clone()], 0)
        } else {
            x.clone()
        };
        let b = input.dims()[0];
        let t = Tensor::<1>::full([b], t, &device);
        let out = match &self.labels {
            Some(Labels::Blend(w)) => self.unet.forward_blended(input, t, w.clone()),
            Some(Labels::Ids(ids)) => self.unet.forward(input, t, Some(ids.clone())),
            None => self.unet.forward(input, t, None),
        };
        let eps = if guided {
            let w = self.scale;
            out.clone().narrow(0, 0, n) * (1.0 + w) - out.narrow(0, n, n) * w
        } else {
            out
        };
        Prediction::from_output(self.prediction, eps, x, level)
    }
}

/// The class of each image: a row of the class table, or a blend of rows ([n or 2n, rows]).
#[derive(Clone)]
enum Labels {
    Ids(Tensor<1, Int>),
    Blend(Tensor<2>),
}

impl Labels {
    fn len(&self) -> usize {
        match self {
            Labels::Ids(t) => t.dims()[0],
            Labels::Blend(t) => t.dims()[0],
        }
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
    /// The seed's draws (of this chain's part of a batch, for a worker of the page's pool).
    noise: PartNoise<SeededNoise>,
    shape: [usize; 4],
    device: Device,
    start: Start,
    /// An inversion walked before the sampler (one image, under its own model), and the steps
    /// it took.
    up: Option<(Inversion, Box<dyn Denoiser<4>>)>,
    up_len: usize,
    /// In one of two workers that split the guided chain by halves ([`crate::halves`]).
    halves: Option<Rc<RefCell<Halves>>>,
}

/// How the chain's first sample is made.
enum Start {
    /// Seeded noise at the sampler's starting level.
    Noise,
    /// An image (repeated for each image) noised to a level with seeded noise: SDEdit.
    Noised(Tensor<4>, Level),
    /// Given, as interpolation and inversion make it.
    Given(Tensor<4>),
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
        Self::predicting_with(net, process, prediction, spec, device, None)
    }

    /// [`Self::predicting`], its model in one of two workers where `halves` is given.
    fn predicting_with(
        net: &Net,
        process: &Process,
        prediction: Parameterization,
        spec: &ChainSpec,
        device: &Device,
        halves: Option<Rc<RefCell<Halves>>>,
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
        let model = denoiser_with(
            net,
            prediction,
            &spec.classes,
            spec.n,
            spec.guidance,
            device,
            halves.clone(),
        )?;
        let sampler = build::<4>(&spec.sampler, &spec.options, &process.process()?)
            .map_err(|e| e.to_string())?;
        let [c, h, w] = net.image_shape();
        Ok(Self {
            sampler,
            model,
            noise: PartNoise::whole(SeededNoise::new(spec.seed), spec.n),
            shape: [spec.n, c, h, w],
            device: device.clone(),
            start: Start::Noise,
            up: None,
            up_len: 0,
            halves,
        })
    }

    /// The chain of `spec` (its model, guidance, steps and seed; its classes and images for
    /// SDEdit and inpainting) making `edit` instead of sampling from noise (`diffusion::edit`).
    /// The sampler `spec` names is not used: each edit walks its own path over `spec`'s steps.
    pub fn editing(
        net: &Net,
        process: &Process,
        prediction: Parameterization,
        spec: &ChainSpec,
        edit: &EditSpec,
        device: &Device,
    ) -> Result<Self, String> {
        let [c, h, w] = net.image_shape();
        let err = |e: diffusion::DiffusionError| e.to_string();
        let core = process.process()?;
        if spec.options.steps == 0 {
            return Err("an edit takes at least 1 step".into());
        }
        let image = |values: &[f32], n: usize| -> Result<Tensor<4>, String> {
            if values.len() != c * h * w {
                return Err(format!(
                    "the image to edit has {} values; this model takes {c}×{h}×{w} images",
                    values.len()
                ));
            }
            if values.iter().any(|v| !v.is_finite()) {
                return Err("the image to edit holds values that are not numbers".into());
            }
            Ok(Tensor::<1>::from_floats(values, device)
                .reshape([1, c, h, w])
                .repeat_dim(0, n))
        };
        let whole = || times(&core, spec.options.steps, 1.0).map_err(err);
        let plain = |n: usize| denoiser(net, prediction, &spec.classes, n, spec.guidance, device);
        let (n, sampler, model, start, up): (usize, Box<dyn Sampler<4>>, _, _, _) = match edit {
            EditSpec::Sdedit {
                image: x0,
                strength,
            } => {
                let n = spec.n;
                let steps = diffusion::edit::share(spec.options.steps, *strength);
                let path =
                    PathSampler::new(&core, times(&core, steps, *strength).map_err(err)?, 1.0)
                        .map_err(err)?
                        .with_clip(IMAGE_CLIP);
                let level = path.start_level();
                let start = Start::Noised(image(x0, n)?, level);
                (n, Box::new(path), plain(n)?, start, None)
            }
            EditSpec::Inpaint {
                image: x0,
                keep,
                jump,
                resample,
            } => {
                let n = spec.n;
                if keep.len() != h * w {
                    return Err(format!(
                        "the mask has {} values; this model's images are {w}×{h} (one value per pixel)",
                        keep.len()
                    ));
                }
                if keep.iter().any(|k| !(0.0..=1.0).contains(k)) {
                    return Err("the mask holds values outside [0, 1] (or not numbers)".into());
                }
                let mask = Tensor::<1>::from_floats(keep.as_slice(), device)
                    .reshape([1, 1, h, w])
                    .repeat_dim(1, c)
                    .repeat_dim(0, n);
                let s = Inpaint::new(&core, whole()?, image(x0, n)?, mask, *jump, *resample, 1.0)
                    .map_err(err)?
                    .with_clip(IMAGE_CLIP);
                (n, Box::new(s), plain(n)?, Start::Noise, None)
            }
            EditSpec::Interpolate { of, a, b, classes } => {
                let n = spec.n.max(2);
                if a.max(b) >= of {
                    return Err(format!("images {a} and {b} are not both in a grid of {of}"));
                }
                let numel = c * h * w;
                let z = SeededNoise::new(spec.seed).normals(of * numel);
                let (za, zb) = (
                    &z[a * numel..(a + 1) * numel],
                    &z[b * numel..(b + 1) * numel],
                );
                let mut all = Vec::with_capacity(n * numel);
                let mut blend = Vec::with_capacity(n);
                for i in 0..n {
                    let t = i as f64 / (n - 1) as f64;
                    all.extend(slerp(za, zb, t).map_err(err)?);
                    blend.push([(classes[0], 1.0 - t), (classes[1], t)]);
                }
                let path = deterministic(spec, process)?;
                let x = Tensor::<1>::from_floats(all.as_slice(), device).reshape([n, c, h, w])
                    * path.init_sigma();
                let model = blended(net, prediction, &blend, spec.guidance, device)?;
                (n, path, model, Start::Given(x), None)
            }
            EditSpec::Invert { image: x0, class } => {
                if class.is_some() && net.classes().is_none() {
                    return Err(
                        "this model has no classes: invert without one (the reconstruction alone)"
                            .into(),
                    );
                }
                let mut blend = vec![[(None, 1.0), (None, 0.0)]];
                if let Some(k) = class {
                    blend.push([(Some(*k), 1.0), (None, 0.0)]);
                }
                let n = blend.len();
                let model = blended(net, prediction, &blend, spec.guidance, device)?;
                // deterministic both ways, and unclipped, so that the way down retraces the way up
                let path = PathSampler::new(&core, whole()?, 0.0).map_err(err)?;
                let up = Inversion::new(&core, whole()?).map_err(err)?;
                let one = blended(net, prediction, &blend[..1], 0.0, device)?;
                (
                    n,
                    Box::new(path),
                    model,
                    Start::Given(image(x0, 1)?),
                    Some((up, one)),
                )
            }
        };
        Ok(Self {
            sampler,
            model,
            noise: PartNoise::whole(SeededNoise::new(spec.seed), n),
            shape: [n, c, h, w],
            device: device.clone(),
            start,
            up,
            up_len: 0,
            halves: None,
        })
    }

    /// Images `part.start..part.start + part.len` of the chain of `spec` (and `edit`): the same
    /// images as those of the whole chain, for a pool of workers that splits a grid. Sampling
    /// with a sampler that steps each image alone ([`SamplerInfo::per_image`]), SDEdit and
    /// inpainting split; an interpolation or an inversion does not (it is one path).
    ///
    /// [`SamplerInfo::per_image`]: diffusion::sampler::SamplerInfo::per_image
    pub fn part(
        net: &Net,
        process: &Process,
        prediction: Parameterization,
        spec: &ChainSpec,
        edit: Option<&EditSpec>,
        part: Part,
        device: &Device,
    ) -> Result<Self, String> {
        if !splits(spec, edit) {
            return Err(format!(
                "this chain ({}) runs as one piece, not in parts",
                edit.map_or(spec.sampler.as_str(), |e| e.name())
            ));
        }
        let end = part.start.saturating_add(part.len);
        if part.len == 0 || end > spec.n {
            return Err(format!(
                "images {}..{end} are not a part of a grid of {}",
                part.start, spec.n
            ));
        }
        let sub = ChainSpec {
            n: part.len,
            classes: spec
                .classes
                .get(part.start..end)
                .map_or_else(Vec::new, <[usize]>::to_vec),
            ..spec.clone()
        };
        let mut chain = match edit {
            Some(e) => Self::editing(net, process, prediction, &sub, e, device)?,
            None => Self::predicting(net, process, prediction, &sub, device)?,
        };
        chain.noise = PartNoise::new(SeededNoise::new(spec.seed), spec.n, part.start, part.len)
            .map_err(|e| e.to_string())?;
        Ok(chain)
    }

    /// The chain of `spec` (sampling, no edit) as one of two workers that split its guided
    /// forward batch by halves: this one runs the network on `half` only, and is stepped by
    /// [`Self::attempt`] and [`Self::give_half`] ([`crate::halves`]). Where the model is not
    /// guided (no classes, guidance 0, the ScoreNet), it runs the whole batch, as one worker does.
    pub fn half(
        net: &Net,
        process: &Process,
        prediction: Parameterization,
        spec: &ChainSpec,
        half: Half,
        device: &Device,
    ) -> Result<Self, String> {
        let halves = Rc::new(RefCell::new(Halves::new(half)));
        Self::predicting_with(net, process, prediction, spec, device, Some(halves))
    }

    /// Tries the next step from `x`. A chain split by halves ([`Self::half`]) that lacks the
    /// other worker's half of a model call says so, and is as it was before the attempt: attempt
    /// it again once [`Self::give_half`] has that half. Any other chain takes its step.
    pub fn attempt(&mut self, x: &Tensor<4>) -> Result<Attempt, String> {
        let Some(halves) = self.halves.clone() else {
            return self.step(x).map(Attempt::Step);
        };
        let (sampler, noise) = (self.sampler.clone_box(), self.noise.clone());
        halves.borrow_mut().begin();
        // a stand-in half can make a sampler refuse its step: what counts is the missing half
        let result = self.step(x);
        let wanted = halves.borrow().wanted()?;
        match wanted {
            Some((step, call)) => {
                self.sampler = sampler;
                self.noise = noise;
                Ok(Attempt::Wants { step, call })
            }
            None => {
                halves.borrow_mut().end_step();
                result.map(Attempt::Step)
            }
        }
    }

    /// The halves of the model's calls this chain ran since the last time, for the other worker
    /// (after every [`Self::attempt`]; none where the chain is not split by halves).
    pub fn take_own_halves(&mut self) -> Vec<OwnHalf> {
        self.halves
            .as_ref()
            .map_or_else(Vec::new, |h| h.borrow_mut().take_own())
    }

    /// The other worker's half of the model's call `call` in step `step` ([`Attempt::Wants`]),
    /// as [N, C, H, W] values; it may come before this chain has attempted that step.
    pub fn give_half(&mut self, step: usize, call: usize, values: Vec<f32>) -> Result<(), String> {
        match &self.halves {
            Some(h) => h.borrow_mut().give(step, call, values),
            None => Err("this chain is not split by halves".into()),
        }
    }

    /// Number of steps (model evaluations of the sampler's schedule, and of an inversion).
    pub fn len(&self) -> usize {
        self.sampler.len() + self.up.as_ref().map_or(0, |(u, _)| u.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// [N, C, H, W] of the images.
    pub fn shape(&self) -> [usize; 4] {
        self.shape
    }

    /// x_T: seeded noise scaled to the sampler's starting level; for an edit, its start (the
    /// image noised to the path's first level for SDEdit, the image for an inversion).
    pub fn start(&mut self) -> Tensor<4> {
        match &self.start {
            Start::Given(x) => x.clone(),
            Start::Noise | Start::Noised(..) => {
                let z = self.noise.normals(self.shape.iter().product());
                let z = Tensor::<4>::from_data(TensorData::new(z, self.shape), &self.device);
                match &self.start {
                    Start::Noised(image, level) => diffusion::edit::noised(image, *level, z),
                    _ => z * self.sampler.init_sigma(),
                }
            }
        }
    }

    /// The next step from `x`, or `None` once the chain is done. An inversion's steps come
    /// first, on one image shown as many times as the chain has images.
    pub fn step(&mut self, x: &Tensor<4>) -> Result<Option<Step<4>>, String> {
        if let Some((up, model)) = self.up.as_mut() {
            let one = x.clone().narrow(0, 0, 1);
            match up.step(model.as_ref(), &one).map_err(|e| e.to_string())? {
                Some(s) => {
                    self.up_len = s.index + 1;
                    let n = self.shape[0];
                    return Ok(Some(Step {
                        x: s.x.repeat_dim(0, n),
                        x0: s.x0.repeat_dim(0, n),
                        ..s
                    }));
                }
                None => self.up = None,
            }
        }
        let x = if x.dims()[0] == self.shape[0] {
            x.clone()
        } else {
            x.clone().narrow(0, 0, 1).repeat_dim(0, self.shape[0])
        };
        let step = self
            .sampler
            .step(self.model.as_ref(), &x, &mut self.noise)
            .map_err(|e| e.to_string())?;
        Ok(step.map(|s| Step {
            index: s.index + self.up_len,
            ..s
        }))
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

/// How far `back` is from `image` (an inversion's reconstruction): the largest and the mean
/// absolute difference per value.
pub fn abs_error(back: &[f32], image: &[f32]) -> (f64, f64) {
    let d: Vec<f64> = back
        .iter()
        .zip(image)
        .map(|(x, y)| (x - y).abs() as f64)
        .collect();
    (
        d.iter().copied().fold(0.0, f64::max),
        d.iter().sum::<f64>() / d.len().max(1) as f64,
    )
}

/// The sampler of `spec` if it draws no noise as it steps (one start, one image), else the
/// deterministic one of the process's family: DDIM with η = 0, or Heun on the probability-flow
/// ODE of an SDE.
pub fn deterministic(spec: &ChainSpec, process: &Process) -> Result<Box<dyn Sampler<4>>, String> {
    let fam = family(process);
    let own = diffusion::sampler::info(&spec.sampler)
        .filter(|i| i.fits_family(fam) && !i.draws_noise(&spec.options) && !i.adaptive);
    let mut options = spec.options;
    let name = match own {
        Some(i) => i.name,
        None if process.is_sde() => "pf-heun",
        None => {
            options.eta = 0.0;
            "ddim"
        }
    };
    build::<4>(name, &options, &process.process()?).map_err(|e| e.to_string())
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
    denoiser_with(net, prediction, classes, n, guidance, device, None)
}

/// [`denoiser`], in one of two workers that split its guided batch where `halves` is given.
fn denoiser_with(
    net: &Net,
    prediction: Parameterization,
    classes: &[usize],
    n: usize,
    guidance: f64,
    device: &Device,
    halves: Option<Rc<RefCell<Halves>>>,
) -> Result<Box<dyn Denoiser<4>>, String> {
    if n == 0 {
        return Err("the number of images must be at least 1".into());
    }
    let rows = match net {
        Net::UNet(unet) => unet.class_rows(),
        _ => None,
    };
    let labels = match (rows, classes.is_empty()) {
        (None, _) | (Some(_), true) => None,
        (Some(rows), false) => {
            if classes.len() != n {
                return Err(format!("{} classes given for {} images", classes.len(), n));
            }
            check_classes(classes.iter().copied(), rows)?;
            let mut ids: Vec<i64> = classes.iter().map(|&k| k as i64).collect();
            if guidance != 0.0 {
                ids.extend(std::iter::repeat_n(rows as i64 - 1, n));
            }
            Some(Labels::Ids(Tensor::<1, Int>::from_ints(
                ids.as_slice(),
                device,
            )))
        }
    };
    with_labels(net, prediction, labels, n, guidance, halves)
}

/// The same with each image's class a blend of two (weights summing to 1; None: "no class"), as
/// interpolation between classes makes them. A model without classes takes no class.
pub fn blended(
    net: &Net,
    prediction: Parameterization,
    blend: &[[(Option<usize>, f64); 2]],
    guidance: f64,
    device: &Device,
) -> Result<Box<dyn Denoiser<4>>, String> {
    let n = blend.len();
    if n == 0 {
        return Err("the number of images must be at least 1".into());
    }
    let rows = match net {
        Net::UNet(unet) => unet.class_rows(),
        _ => None,
    };
    let labels = match rows {
        None => None,
        Some(rows) => {
            check_classes(blend.iter().flatten().filter_map(|(k, _)| *k), rows)?;
            let mut w = vec![0f32; n * rows];
            for (i, pair) in blend.iter().enumerate() {
                for (k, share) in pair {
                    w[i * rows + k.unwrap_or(rows - 1)] += *share as f32;
                }
            }
            if guidance != 0.0 {
                // then each image again as "no class"
                let mut null = vec![0f32; rows];
                null[rows - 1] = 1.0;
                w.extend(null.repeat(n));
            }
            let b = w.len() / rows;
            Some(Labels::Blend(
                Tensor::<1>::from_floats(w.as_slice(), device).reshape([b, rows]),
            ))
        }
    };
    with_labels(net, prediction, labels, n, guidance, None)
}

/// Every class of `classes` is one of the model's (the last of its `rows` is "no class").
fn check_classes(mut classes: impl Iterator<Item = usize>, rows: usize) -> Result<(), String> {
    match classes.find(|&k| k + 1 >= rows) {
        Some(bad) => Err(format!(
            "class {bad} does not exist: this model has classes 0–{}",
            rows - 2
        )),
        None => Ok(()),
    }
}

fn with_labels(
    net: &Net,
    prediction: Parameterization,
    labels: Option<Labels>,
    n: usize,
    guidance: f64,
    halves: Option<Rc<RefCell<Halves>>>,
) -> Result<Box<dyn Denoiser<4>>, String> {
    Ok(match net {
        Net::UNet(unet) => {
            let guided = labels.as_ref().is_some_and(|l| l.len() == 2 * n);
            Box::new(UNetEps {
                unet: unet.clone(),
                labels,
                scale: if guided { guidance } else { 0.0 },
                prediction,
                halves,
            })
        }
        Net::ScoreNet(s) => Box::new(Score(s.clone())),
        Net::Classifier(_) => return Err("a classifier does not generate images".into()),
    })
}

/// The family of samplers a zoo model's process takes.
pub(crate) fn family(process: &Process) -> diffusion::sampler::Family {
    if process.is_sde() {
        diffusion::sampler::Family::Sde
    } else {
        diffusion::sampler::Family::Discrete
    }
}
