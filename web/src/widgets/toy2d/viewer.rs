//! The drawing half of the 2-D widget, run in a Web Worker of its own so that sampling, the ε̂
//! field and the density never hold the page, however large the network: a sampler step over
//! 5,000 points of a 1,024-wide MLP takes seconds on the CPU. It holds the EMA weights the page
//! relays from the trainer and works its jobs in slices, posting each slice's frames or block.

use train::toy::{Frozen, ToySet};
use wasm_bindgen::prelude::*;

use super::jobs::{DensityJob, SampleJob, eps_field};
use super::messages::{FromViewer, SampleSpec, ToViewer};
use crate::readback::to_vec;
use diffusion::sampler::Options;
use train::toy::{ToyChain, paths};
use crate::backend;
use crate::worker::{self, Floats, Job, JsFloats};

/// Milliseconds of sampling between two looks at the inbox (at least one step).
const SLICE_MS: f64 = 30.0;

/// The worker's entry point (called by the bootstrap in [`crate::worker::spawn`]).
#[wasm_bindgen]
pub fn toy2d_viewer() {
    worker::serve::<Viewer>();
}

#[derive(Default)]
struct Viewer {
    device: Option<burn::prelude::Device>,
    generation: u32,
    set: Option<ToySet>,
    /// The latest weights as they came (made into a model only when a job needs them, so of
    /// several that arrive together only the last is built) and as a model.
    weights: Option<(usize, JsFloats)>,
    frozen: Option<Frozen>,
    sample: Option<(u32, SampleJob)>,
    /// A field asked for: its job, the weights it was asked on, slider position and points.
    field: Option<(u32, Frozen, f64, Vec<f32>)>,
    density: Option<(u32, DensityJob)>,
    /// The steps strip: its job, model, spec, the steps of each chain and the next to draw.
    strip: Option<(u32, Frozen, SampleSpec, Vec<usize>, usize)>,
    /// Sampling and the density take turns while both are pending.
    density_turn: bool,
}

impl Job for Viewer {
    type In = ToViewer;

    fn busy(&self) -> bool {
        self.field.is_some()
            || self.sample.is_some()
            || self.density.is_some()
            || self.strip.is_some()
    }

    async fn apply(&mut self, msg: ToViewer) {
        match msg {
            ToViewer::Start {
                generation,
                config,
                drawn,
                backend,
            } => {
                self.generation = generation;
                self.weights = None;
                self.frozen = None;
                self.sample = None;
                self.field = None;
                self.density = None;
                self.strip = None;
                if self.device.is_none() {
                    // the page's kind of device (Burn's wgpu runtime is set up once per thread)
                    let (device, note) = backend::for_worker(&backend).await;
                    self.device = Some(device);
                    worker::post(&FromViewer::Opened { note });
                }
                let set = ToySet::of(config, drawn);
                // the trainer reports the same error to the page
                self.set = set.ok();
            }
            ToViewer::Weights {
                generation,
                step,
                values,
            } if generation == self.generation => {
                // jobs asked for after these weights must not run on older ones
                self.frozen = None;
                self.weights = Some((step, values));
            }
            ToViewer::Weights { .. } => {}
            ToViewer::Sample { job, spec } => {
                self.sample = None;
                let Some(frozen) = self.frozen(job) else {
                    return;
                };
                let step = frozen.step;
                match SampleJob::new(frozen, &spec).await {
                    Ok((sample, start)) => {
                        worker::post(&FromViewer::Frames {
                            job,
                            len: sample.len(),
                            start: Some(Floats(start)),
                            xs: Floats::default(),
                            x0s: Floats::default(),
                            ts: Vec::new(),
                            done: false,
                            ms: sample.ms(),
                            quality: None,
                        });
                        self.sample = Some((job, sample));
                    }
                    Err(e) => self.failed(job, step, e),
                }
            }
            ToViewer::Field { job, u, points } => {
                self.field = None;
                if let Some(frozen) = self.frozen(job) {
                    match pairs(points) {
                        Ok(points) => self.field = Some((job, frozen, u, points)),
                        Err(e) => self.failed(job, frozen.step, e),
                    }
                }
            }
            ToViewer::Density { job, points } => {
                self.density = None;
                if let Some(frozen) = self.frozen(job) {
                    match pairs(points) {
                        Ok(points) => {
                            // the truth is known before the first block: it goes with it
                            let truth = self.set.as_ref().and_then(|s| s.true_density(&points));
                            self.density = Some((job, DensityJob::new(frozen, points, truth)));
                        }
                        Err(e) => self.failed(job, frozen.step, e),
                    }
                }
            }
            ToViewer::Probe {
                job,
                z,
                spec,
                draws,
            } => {
                if let Some(frozen) = self.frozen(job) {
                    let step = frozen.step;
                    match probe(frozen, z, &spec, draws).await {
                        Ok(msg) => worker::post(&msg.into_message(job)),
                        Err(e) => self.failed(job, step, e),
                    }
                }
            }
            ToViewer::Strip { job, spec, steps } => {
                self.strip = None;
                if let Some(frozen) = self.frozen(job) {
                    self.strip = Some((job, frozen, spec, steps, 0));
                }
            }
            ToViewer::Cancel { job } => {
                if self.strip.as_ref().is_some_and(|s| s.0 == job) {
                    self.strip = None;
                }
                if self.sample.as_ref().is_some_and(|s| s.0 == job) {
                    self.sample = None;
                }
                if self.field.as_ref().is_some_and(|f| f.0 == job) {
                    self.field = None;
                }
                if self.density.as_ref().is_some_and(|d| d.0 == job) {
                    self.density = None;
                }
            }
            ToViewer::Crash => panic!("crash asked for by a test"),
            ToViewer::LoseDevice => {
                let n = worker::lose_devices();
                web_sys::console::log_1(&format!("test hook: destroyed {n} WebGPU device(s)").into());
            }
        }
    }

    /// One slice: the field asked for, else some sampling steps or a block of the density (in
    /// turns while both are pending).
    async fn work(&mut self) {
        if let Some(message) = backend::lost_reason() {
            panic!("{}", backend::device_lost_sentence(&message));
        }
        if let Some((job, frozen, u, points)) = self.field.take() {
            match eps_field(&frozen, &points, u).await {
                Ok(eps) => worker::post(&FromViewer::Field {
                    job,
                    eps: Floats(eps),
                }),
                Err(e) => self.failed(job, frozen.step, e),
            }
            return;
        }
        if self.strip.is_some() {
            return self.strip_chain().await;
        }
        self.density_turn = !self.density_turn;
        if self.sample.is_some() && (!self.density_turn || self.density.is_none()) {
            self.sample_slice().await;
        } else {
            self.density_block().await;
        }
    }
}

impl Viewer {
    /// The model of the latest weights for job `job`; without one the job fails (every job asked
    /// for on weights that cannot be used gets the same answer).
    fn frozen(&mut self, job: u32) -> Option<Frozen> {
        if self.frozen.is_none() {
            let Some((step, values)) = &self.weights else {
                self.failed(job, 0, "No weights to draw from yet.".into());
                return None;
            };
            let made = match (&self.set, &self.device) {
                (Some(set), Some(device)) => {
                    Frozen::from_values(set, *step, &values.to_vec(), device)
                }
                _ => Err("the run was not set up".into()),
            };
            match made {
                Ok(f) => {
                    self.frozen = Some(f);
                    self.weights = None;
                }
                Err(e) => {
                    let message = format!("The trained weights could not be used: {e}.");
                    self.failed(job, *step, message);
                    return None;
                }
            }
        }
        self.frozen.clone()
    }

    async fn sample_slice(&mut self) {
        let Some((job, mut sample)) = self.sample.take() else {
            return;
        };
        match sample.advance(SLICE_MS).await {
            Ok((frames, done)) => {
                // measured here, off the page's thread (it is quadratic in the points)
                let quality = match (&self.set, done) {
                    (Some(set), true) => Some(set.quality(sample.last())),
                    _ => None,
                };
                worker::post(&FromViewer::Frames {
                    job,
                    len: sample.len(),
                    start: None,
                    xs: Floats(frames.xs),
                    x0s: Floats(frames.x0s),
                    ts: frames.ts,
                    done,
                    ms: sample.ms(),
                    quality,
                });
                if !done {
                    self.sample = Some((job, sample));
                }
            }
            Err(e) => self.failed(job, sample.model_step(), e),
        }
    }

    async fn density_block(&mut self) {
        let Some((job, mut density)) = self.density.take() else {
            return;
        };
        match density.advance().await {
            Ok((log_p, done)) => {
                worker::post(&FromViewer::Density {
                    job,
                    log_p,
                    truth: density.take_truth(),
                    done,
                    ms: density.ms(),
                });
                if !done {
                    self.density = Some((job, density));
                }
            }
            Err(e) => self.failed(job, density.model_step(), e),
        }
    }

    /// The strip's next chain, whole (a few hundred points and at most 50 steps).
    async fn strip_chain(&mut self) {
        let Some((job, frozen, spec, steps, index)) = self.strip.take() else {
            return;
        };
        let Some(&n_steps) = steps.get(index) else {
            return;
        };
        let options = Options {
            steps: n_steps,
            ..spec.options
        };
        let model_step = frozen.step;
        let drawn = async {
            let mut chain = ToyChain::new(frozen.clone(), &spec.sampler, &options, spec.n, spec.seed)?;
            while chain.step().await?.is_some() {}
            to_vec(chain.x().clone()).await
        };
        match drawn.await {
            Ok(x) => {
                let quality = self.set.as_ref().map(|s| s.quality(&x));
                worker::post(&FromViewer::Strip {
                    job,
                    index,
                    steps: n_steps,
                    x: Floats(x),
                    quality,
                });
                if index + 1 < steps.len() {
                    self.strip = Some((job, frozen, spec, steps, index + 1));
                }
            }
            Err(e) => self.failed(job, model_step, e),
        }
    }

    /// A job failed; on a lost device the worker ends (as a panic ends it) and the page starts a
    /// new one on a new device.
    fn failed(&self, job: u32, step: usize, message: String) {
        if backend::is_device_lost(&message) {
            panic!("{}", backend::device_lost_sentence(&message));
        }
        worker::post(&FromViewer::Failed { job, step, message });
    }
}

/// A probe's paths, read back.
struct Probed {
    ode: Vec<f32>,
    ode_ts: Vec<f64>,
    sde: Vec<f32>,
    draws: usize,
}

impl Probed {
    fn into_message(self, job: u32) -> FromViewer {
        FromViewer::Probe {
            job,
            ode: Floats(self.ode),
            ode_ts: self.ode_ts,
            sde: Floats(self.sde),
            draws: self.draws,
        }
    }
}

/// The ODE path from `z`, and `draws` paths of the spec's sampler if it draws noise (short: a
/// few points for the sampler's steps, so it runs in one go).
async fn probe(frozen: Frozen, z: [f32; 2], spec: &SampleSpec, draws: usize) -> Result<Probed, String> {
    let ode_options = Options {
        eta: 0.0,
        ..spec.options
    };
    let noise = train::toy::sampling_noise(spec.seed ^ 0x9e0b);
    let ode_sampler = frozen.ode_sampler();
    let (xs, ode_ts) = paths(frozen.clone(), ode_sampler, &ode_options, &z, 1, noise.clone()).await?;
    let ode = to_vec(xs).await?;
    let noisy = diffusion::sampler::info(&spec.sampler).is_some_and(|i| i.draws_noise(&spec.options));
    let (sde, draws) = if noisy && draws > 0 {
        let (xs, _) = paths(frozen, &spec.sampler, &spec.options, &z, draws, noise).await?;
        (to_vec(xs).await?, draws)
    } else {
        (Vec::new(), 0)
    };
    for v in ode.iter().chain(&sde) {
        if !v.is_finite() {
            return Err("the probe's path left the finite numbers: train longer".into());
        }
    }
    Ok(Probed {
        ode,
        ode_ts,
        sde,
        draws,
    })
}

/// Points as (x, y) pairs: an odd number of values is refused.
fn pairs(points: Floats) -> Result<Vec<f32>, String> {
    if points.0.len().is_multiple_of(2) {
        Ok(points.0)
    } else {
        Err(format!("{} values are not (x, y) points", points.0.len()))
    }
}
