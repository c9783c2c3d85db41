//! The drawing half of the 2-D widget, run in a Web Worker of its own so that sampling, the ε̂
//! field and the density never hold the page, however large the network: a sampler step over
//! 5,000 points of a 1,024-wide MLP takes seconds on the CPU. It holds the EMA weights the page
//! relays from the trainer and works its jobs in slices, posting each slice's frames or block.

use train::toy::{Frozen, ToySet};
use wasm_bindgen::prelude::*;

use super::jobs::{DensityJob, SampleJob, eps_field};
use super::messages::{FromViewer, ToViewer};
use crate::backend;
use crate::worker::{self, Floats, Job};

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
    frozen: Option<Frozen>,
    sample: Option<(u32, SampleJob)>,
    /// A field asked for: its job, slider position and points.
    field: Option<(u32, f64, Vec<f32>)>,
    density: Option<(u32, DensityJob)>,
}

impl Job for Viewer {
    type In = ToViewer;

    fn busy(&self) -> bool {
        self.field.is_some() || self.sample.is_some() || self.density.is_some()
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
                self.frozen = None;
                self.sample = None;
                self.field = None;
                self.density = None;
                if self.device.is_none() {
                    // the page's kind of device (Burn's wgpu runtime is set up once per thread)
                    let (device, note) = backend::for_worker(&backend).await;
                    self.device = Some(device);
                    worker::post(&FromViewer::Opened { note });
                }
                let set = match drawn {
                    Some(points) => ToySet::with_data(config, points),
                    None => ToySet::new(config),
                };
                // the trainer reports the same error to the page
                self.set = set.ok();
            }
            ToViewer::Weights {
                generation,
                step,
                values,
            } if generation == self.generation => {
                let (Some(set), Some(device)) = (&self.set, &self.device) else {
                    return;
                };
                // jobs asked for after these weights must not run on older ones
                self.frozen = None;
                match Frozen::from_values(set, step, &values.0, device) {
                    Ok(f) => self.frozen = Some(f),
                    Err(e) => worker::post(&FromViewer::Failed {
                        generation,
                        job: None,
                        step,
                        message: format!("The trained weights could not be used: {e}."),
                    }),
                }
            }
            ToViewer::Weights { .. } => {}
            ToViewer::Sample { job, spec } => {
                self.sample = None;
                // without weights the page has been told why (they could not be used)
                let Some(frozen) = self.frozen.clone() else {
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
                        });
                        self.sample = Some((job, sample));
                    }
                    Err(e) => self.failed(job, step, e),
                }
            }
            ToViewer::Field { job, u, points } => {
                self.field = self.frozen.is_some().then_some((job, u, points.0));
            }
            ToViewer::Density { job, points } => {
                self.density = self
                    .frozen
                    .clone()
                    .map(|frozen| (job, DensityJob::new(frozen, points.0)));
            }
        }
    }

    /// One slice: the field asked for, else some sampling steps, else a block of the density.
    async fn work(&mut self) {
        if let Some((job, u, points)) = self.field.take() {
            let Some(frozen) = &self.frozen else {
                return;
            };
            match eps_field(frozen, &points, u).await {
                Ok(eps) => worker::post(&FromViewer::Field {
                    job,
                    eps: Floats(eps),
                }),
                Err(e) => self.failed(job, frozen.step, e),
            }
        } else if let Some((job, mut sample)) = self.sample.take() {
            match sample.advance(SLICE_MS).await {
                Ok((frames, done)) => {
                    worker::post(&FromViewer::Frames {
                        job,
                        len: sample.len(),
                        start: None,
                        xs: Floats(frames.xs),
                        x0s: Floats(frames.x0s),
                        ts: frames.ts,
                        done,
                        ms: sample.ms(),
                    });
                    if !done {
                        self.sample = Some((job, sample));
                    }
                }
                Err(e) => self.failed(job, sample.model_step(), e),
            }
        } else if let Some((job, mut density)) = self.density.take() {
            match density.advance().await {
                Ok((log_p, done)) => {
                    worker::post(&FromViewer::Density {
                        job,
                        log_p,
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
    }
}

impl Viewer {
    fn failed(&self, job: u32, step: usize, message: String) {
        worker::post(&FromViewer::Failed {
            generation: self.generation,
            job: Some(job),
            step,
            message,
        });
    }
}
