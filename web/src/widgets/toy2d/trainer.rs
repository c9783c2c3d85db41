//! The training half of the 2-D widget, run in a Web Worker so that training has a thread of its
//! own (the page's thread only draws and handles input; the viewer worker samples). It holds the
//! one `ToyRun`, trains it in slices between which it reads its messages, and reports each slice's
//! losses; the page asks for the EMA weights when it wants samples and relays them to the viewer.

use burn::prelude::*;
use diffusion::sampler::{ADAPTIVE, Options};
use train::toy::{ToyRun, ToySet};
use wasm_bindgen::prelude::*;

use super::messages::{FromTrainer, ToTrainer};
use crate::readback::to_vec;
use crate::worker::{self, Job, JsFloats};
use crate::{backend, dom};

/// Milliseconds of training between two looks at the inbox (and two progress messages).
const SLICE_MS: f64 = 25.0;
/// Most steps in one slice.
const MAX_CHUNK: usize = 512;

/// The worker's entry point (called by the bootstrap in [`crate::worker::spawn`]).
#[wasm_bindgen]
pub fn toy2d_trainer() {
    worker::serve::<Trainer>();
}

#[derive(Default)]
struct Trainer {
    run: Option<ToyRun>,
    generation: u32,
    /// The last Train or Pause applied (the page's numbering).
    order: u32,
    training: bool,
    until: Option<usize>,
    /// Steps per slice, adapted to [`SLICE_MS`].
    chunk: usize,
}

impl Job for Trainer {
    type In = ToTrainer;

    fn busy(&self) -> bool {
        self.training
    }

    async fn apply(&mut self, msg: ToTrainer) {
        match msg {
            ToTrainer::Start {
                generation,
                config,
                drawn,
                backend,
                resume,
            } => {
                self.generation = generation;
                self.training = false;
                self.until = None;
                self.chunk = 1;
                self.run = None;
                // the page's kind of device (Burn's wgpu runtime is set up once per thread)
                let (device, fell_back) = backend::for_worker(&backend).await;
                let note = match fell_back {
                    Some(why) => format!("Training runs in a Web Worker. {why}"),
                    None => "Training runs in a Web Worker.".to_string(),
                };
                let set = ToySet::of(config, drawn);
                let run = set.and_then(|set| match &resume {
                    Some(r) => ToyRun::resumed(set, r.step, &r.values.to_vec(), &device),
                    None => ToyRun::on(set, &device),
                });
                let error = run.as_ref().err().cloned();
                self.run = run.ok();
                worker::post(&FromTrainer::Started {
                    generation,
                    note,
                    error,
                });
            }
            ToTrainer::Train { order, until } => {
                self.order = order;
                self.until = until;
                self.training = self.run.is_some();
                if self.at_pause() {
                    self.training = false;
                    self.progress(Vec::new());
                }
            }
            ToTrainer::Pause { order } => {
                self.order = order;
                self.training = false;
                self.progress(Vec::new());
            }
            ToTrainer::Tune { lr, batch } => {
                if let Some(run) = &mut self.run {
                    run.trainer.config.lr = lr;
                    run.set.config.lr = lr;
                    run.set.config.batch = batch;
                }
            }
            ToTrainer::Reflow { pairs } => {
                self.training = false;
                let Some(run) = &self.run else {
                    worker::post(&FromTrainer::Reflowed {
                        generation: self.generation,
                        step: 0,
                        error: Some("there is no run to reflow".into()),
                    });
                    return;
                };
                let step = run.trainer.step;
                let error = match run.reflow(ADAPTIVE, &Options::default(), pairs).await {
                    Ok(reflowed) => {
                        self.run = Some(reflowed);
                        None
                    }
                    Err(e) => Some(e),
                };
                worker::post(&FromTrainer::Reflowed {
                    generation: self.generation,
                    step,
                    error,
                });
                self.progress(Vec::new());
            }
            ToTrainer::Weights => {
                let Some(run) = &self.run else { return };
                let step = run.trainer.step;
                match to_vec(run.ema_values()).await {
                    Ok(values) => worker::post(&FromTrainer::Weights {
                        generation: self.generation,
                        step,
                        values: JsFloats::new(&values),
                    }),
                    Err(message) => {
                        if backend::is_device_lost(&message) {
                            lost(message);
                        }
                        worker::post(&FromTrainer::Failed { message })
                    }
                }
            }
            ToTrainer::LoseDevice => {
                let n = worker::lose_devices();
                web_sys::console::log_1(&format!("test hook: destroyed {n} WebGPU device(s)").into());
            }
        }
    }

    /// Trains for about one slice; the slice's losses are read back in one go and checked, so a
    /// NaN or exploding loss stops training within the slice it appeared in (the weights go back
    /// to the last good ones).
    async fn work(&mut self) {
        if let Some(message) = backend::lost_reason() {
            lost(message);
        }
        let begin = dom::now_ms();
        let until = self.until;
        let Some(run) = self.run.as_mut() else {
            self.training = false;
            return;
        };
        let mut losses = Vec::with_capacity(self.chunk);
        for _ in 0..self.chunk.max(1) {
            if until.is_some_and(|n| run.trainer.step >= n) {
                break;
            }
            losses.push(run.step());
        }
        let values = if losses.is_empty() {
            Vec::new()
        } else {
            match to_vec(Tensor::cat(losses, 0)).await {
                Ok(v) => v,
                Err(message) => {
                    if backend::is_device_lost(&message) {
                        lost(message);
                    }
                    self.training = false;
                    // the slice's weights carry the failure (the GPU out of memory, say): back to
                    // the last good ones, as for a diverging loss
                    let _ = run.trainer.check(f32::NAN);
                    worker::post(&FromTrainer::Stopped {
                        generation: self.generation,
                        step: run.trainer.step,
                        message: format!("{message}; the weights of step {} were kept", run.trainer.step),
                    });
                    self.progress(Vec::new());
                    return;
                }
            }
        };
        // the first non-finite loss, else the largest: an explosion inside the slice counts
        let worst = values
            .iter()
            .copied()
            .find(|v| !v.is_finite())
            .unwrap_or_else(|| values.iter().copied().fold(f32::MIN, f32::max));
        if !values.is_empty() {
            if let Err(e) = run.trainer.check(worst) {
                if e.goes_on() {
                    // a loss spike in a long run: said, and training goes on
                    worker::post(&FromTrainer::Spike {
                        generation: self.generation,
                        message: e.to_string(),
                    });
                } else {
                    self.training = false;
                    worker::post(&FromTrainer::Stopped {
                        generation: self.generation,
                        step: run.trainer.step,
                        message: e.to_string(),
                    });
                    return;
                }
            }
        }
        if self.at_pause() {
            self.training = false;
        }
        self.progress(values);
        let took = dom::now_ms() - begin;
        if took < SLICE_MS * 0.6 {
            self.chunk = (self.chunk * 2).min(MAX_CHUNK);
        } else if took > SLICE_MS * 1.5 && self.chunk > 1 {
            self.chunk /= 2;
        }
    }
}

/// The GPU device is gone: nothing on it can be used again, so the worker ends, as a panic ends
/// it, and the page starts a new one on a new device, from the EMA weights it was sent last.
fn lost(message: String) -> ! {
    panic!("{}", backend::device_lost_sentence(&message))
}

impl Trainer {
    fn step(&self) -> usize {
        self.run.as_ref().map_or(0, |r| r.trainer.step)
    }

    fn at_pause(&self) -> bool {
        self.until.is_some_and(|n| self.step() >= n)
    }

    fn progress(&self, losses: Vec<f32>) {
        worker::post(&FromTrainer::Progress {
            generation: self.generation,
            order: self.order,
            step: self.step(),
            losses,
            training: self.training,
        });
    }
}
