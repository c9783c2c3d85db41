//! The sampling half of the image widget, run in a Web Worker so that a step, however long it
//! takes on the CPU (seconds for the CIFAR-10 U-Net at batch 16), never holds the page: the page
//! only fetches and checks weights, draws and handles input. The worker builds the network from
//! the checked file the page sends, walks the [`zoo::ImageChain`] and posts every step's x_t and
//! x̂₀ as bytes. On WebGPU step k+1 is queued on the device before step k is read back, so the
//! device computes while the worker reads and posts. It also holds the data set's classifier and
//! reads a chain's final images with it when the page sends them back, so the page holds no
//! device at all. On the CPU the page may run several of these workers, each sampling a part of
//! the grid, or two of them each running one half of a guided chain's network, the other half
//! coming straight from the other worker through their pipe ([`super::pool`], [`zoo::halves`]).

use burn::prelude::*;
use diffusion::{Parameterization, Step};
use wasm_bindgen::prelude::*;
use zoo::{Attempt, Half, ImageChain, Net};

use super::messages::{FromChain, ToChain};
use crate::readback::to_vec;
use crate::worker::{self, Floats, Job};
use crate::{backend, dom};

/// The worker's entry point (called by the bootstrap in [`crate::worker::spawn`]).
#[wasm_bindgen]
pub fn sampler_chain() {
    worker::serve::<ChainWorker>();
}

#[derive(Default)]
struct ChainWorker {
    device: Option<Device>,
    /// The loaded network and what it outputs (its entry's `prediction`).
    net: Option<(Net, Parameterization)>,
    running: Option<Running>,
    /// Halves from the other worker for a run this one has not started yet (they come through
    /// the pipe, the run's `Sample` through the page: no order between the two is promised).
    early: Vec<(u32, usize, usize, Floats)>,
    /// The classifier the page sent.
    classifier: Option<Result<Net, String>>,
}

/// At most this many halves wait for their run (a chain of one image sends one or two a step,
/// and the two workers are never more than a step apart).
const EARLY_HALVES: usize = 16;

/// A chain being sampled.
struct Running {
    run: u32,
    chain: ImageChain,
    x: Tensor<4>,
    /// The step queued last turn: read back and posted this turn.
    pending: Option<(Step<4>, f64)>,
    last_ms: f64,
    /// Split by halves: this worker's half. The second half's worker posts no steps (the
    /// first's are the chain's).
    half: Option<Half>,
    /// Waiting for the other worker's half of a model call: nothing to do until it comes.
    waiting: bool,
    /// When the first attempt at the step being attempted began.
    began: Option<f64>,
}

impl Job for ChainWorker {
    type In = ToChain;

    fn busy(&self) -> bool {
        self.running.as_ref().is_some_and(|r| !r.waiting)
    }

    async fn apply(&mut self, msg: ToChain) {
        match msg {
            ToChain::Open { backend } => {
                let (device, note) = backend::for_worker(&backend).await;
                self.device = Some(device);
                worker::post(&FromChain::Opened { note });
            }
            ToChain::Load { load, entry, bytes } => {
                self.running = None;
                self.net = None;
                let prediction = entry
                    .prediction
                    .parse::<Parameterization>()
                    .map_err(|e| e.to_string());
                let built = match (&self.device, prediction) {
                    (Some(device), Ok(p)) => zoo::build(&entry, &bytes, device)
                        .map(|net| (net, p))
                        .map_err(|e| e.to_string()),
                    (None, _) => Err("the sampler's worker has no device open".into()),
                    (_, Err(e)) => Err(e),
                };
                let (classes, error) = match built {
                    Ok((net, p)) => {
                        let classes = net.classes();
                        self.net = Some((net, p));
                        (classes, None)
                    }
                    Err(e) => (None, Some(e)),
                };
                worker::post(&FromChain::Loaded {
                    load,
                    classes,
                    error,
                });
            }
            ToChain::Sample {
                run,
                process,
                spec,
                edit,
                part,
                half,
            } => {
                self.running = None;
                let (Some((net, prediction)), Some(device)) = (&self.net, &self.device) else {
                    return worker::post(&FromChain::Started {
                        run,
                        len: 0,
                        shape: [0; 4],
                        error: Some("no model is loaded".into()),
                    });
                };
                let chain = match (&edit, part, half) {
                    (None, None, Some(half)) => {
                        ImageChain::half(net, &process, *prediction, &spec, half, device)
                    }
                    (_, _, Some(_)) => Err("only a chain sampled whole splits by halves".into()),
                    (e, Some(part), None) => {
                        ImageChain::part(net, &process, *prediction, &spec, e.as_ref(), part, device)
                    }
                    (Some(e), None, None) => {
                        ImageChain::editing(net, &process, *prediction, &spec, e, device)
                    }
                    (None, None, None) => {
                        ImageChain::predicting(net, &process, *prediction, &spec, device)
                    }
                };
                match chain {
                    Ok(mut chain) => {
                        worker::post(&FromChain::Started {
                            run,
                            len: chain.len(),
                            shape: chain.shape(),
                            error: None,
                        });
                        let mut r = Running {
                            run,
                            x: chain.start(),
                            chain,
                            pending: None,
                            last_ms: dom::now_ms(),
                            half,
                            waiting: false,
                            began: None,
                        };
                        // the other worker's halves that came before this message
                        for (_, step, call, values) in
                            std::mem::take(&mut self.early).into_iter().filter(|h| h.0 == run)
                        {
                            if let Err(e) = r.chain.give_half(step, call, values.0) {
                                return stopped(run, format!("Sampling failed: {e}."));
                            }
                        }
                        self.running = Some(r);
                    }
                    Err(e) => worker::post(&FromChain::Started {
                        run,
                        len: 0,
                        shape: [0; 4],
                        error: Some(e),
                    }),
                }
            }
            ToChain::Half {
                run,
                step,
                call,
                values,
            } => {
                let Some(r) = self.running.as_mut().filter(|r| r.run == run) else {
                    // a run not started here yet (never one already replaced: runs only grow)
                    if self.running.as_ref().is_none_or(|r| run > r.run)
                        && self.early.len() < EARLY_HALVES
                    {
                        self.early.push((run, step, call, values));
                    }
                    return;
                };
                match r.chain.give_half(step, call, values.0) {
                    Ok(()) => r.waiting = false,
                    Err(e) => {
                        self.running = None;
                        stopped(run, format!("Sampling failed: {e}."));
                    }
                }
            }
            ToChain::Stop { run } => {
                if self.running.as_ref().is_some_and(|r| r.run == run) {
                    self.running = None;
                }
            }
            ToChain::LoadClassifier { entry, bytes } => {
                self.classifier = Some(match &self.device {
                    Some(device) => zoo::build(&entry, &bytes, device).map_err(|e| e.to_string()),
                    None => Err("the sampler's worker has no device open".into()),
                });
            }
            ToChain::Classify { run, images, shape } => {
                let (labels, confidence, error) = match self.classify(images.0, shape).await {
                    Ok((labels, confidence)) => (labels, confidence, None),
                    Err(e) => (Vec::new(), Vec::new(), Some(e)),
                };
                worker::post(&FromChain::Classified {
                    run,
                    labels,
                    confidence,
                    error,
                });
            }
            ToChain::Crash => panic!("crash asked for by a test"),
            ToChain::LoseDevice => {
                let n = worker::lose_devices();
                web_sys::console::log_1(&format!("test hook: destroyed {n} WebGPU device(s)").into());
            }
        }
    }

    /// One turn: queue the next step, then read back and post the previous one.
    async fn work(&mut self) {
        let Some(mut r) = self.running.take() else {
            return;
        };
        let t0 = *r.began.get_or_insert_with(dom::now_ms);
        let attempt = r.chain.attempt(&r.x);
        // split by halves: the halves this worker ran go to the other worker
        for own in r.chain.take_own_halves() {
            let values = match to_vec(own.values).await {
                Ok(v) => v,
                Err(e) => return stopped(r.run, format!("Sampling stopped: {e}.")),
            };
            let half = ToChain::Half {
                run: r.run,
                step: own.step,
                call: own.call,
                values: Floats(values),
            };
            // straight to the other worker, through the pipe the pool gave them (the pool splits
            // by halves only where it has one): its step waits for this
            if !worker::post_peer(&half) {
                return stopped(r.run, "Sampling stopped: the pool's other worker cannot be reached.".into());
            }
        }
        let next = match attempt {
            Ok(Attempt::Step(n)) => n.map(|step| (step, dom::now_ms() - t0)),
            // the step waits for the other worker's half (ToChain::Half)
            Ok(Attempt::Wants { .. }) => {
                // meanwhile, the step before this one is read back and posted
                if let Some((prev, compute_ms)) = r.pending.take() {
                    if r.half != Some(Half::Uncond) {
                        if let Err(message) = post_step(prev, compute_ms, false, &mut r).await {
                            return stopped(r.run, format!("Sampling stopped: {message}."));
                        }
                    }
                }
                r.waiting = true;
                self.running = Some(r);
                return;
            }
            Err(e) => return stopped(r.run, format!("Sampling failed: {e}.")),
        };
        r.began = None;
        if let Some(message) = backend::lost_reason() {
            lost(message);
        }
        let done = next.is_none();
        // the second half's worker: its steps are the first one's, which posts them
        let quiet = r.half == Some(Half::Uncond);
        match r.pending.take().filter(|_| !quiet) {
            Some((prev, compute_ms)) => {
                if let Err(message) = post_step(prev, compute_ms, done, &mut r).await {
                    if backend::is_device_lost(&message) {
                        lost(message);
                    }
                    return stopped(r.run, format!("Sampling stopped: {message}."));
                }
            }
            // a chain of no steps would otherwise end without a word to the page
            None if done && !quiet => {
                return stopped(r.run, "The sampler gave no step to run.".into());
            }
            None => {}
        }
        if let Some((step, compute_ms)) = next {
            r.x = step.x.clone();
            r.pending = Some((step, compute_ms));
            self.running = Some(r);
        }
    }
}

impl ChainWorker {

    /// The classifier's label and probability for each of `images` ([N, C, H, W] `shape`).
    async fn classify(
        &self,
        images: Vec<f32>,
        shape: [usize; 4],
    ) -> Result<(Vec<usize>, Vec<f32>), String> {
        let clf = match &self.classifier {
            Some(Ok(Net::Classifier(clf))) => clf,
            Some(Err(e)) => return Err(e.clone()),
            _ => return Err("no classifier was sent".into()),
        };
        let (Some(device), true) = (&self.device, images.len() == shape.iter().product::<usize>()) else {
            return Err("the chain's images did not arrive whole".into());
        };
        let n = shape[0];
        let x = Tensor::<4>::from_data(TensorData::new(images, shape), device);
        let probs = burn::tensor::activation::softmax(clf.forward(x.clamp(-1.0, 1.0)), 1);
        let p = to_vec(probs).await?;
        let k = p.len() / n.max(1);
        Ok(p.chunks(k.max(1))
            .map(|row| {
                row.iter()
                    .enumerate()
                    .fold((0, f32::MIN), |b, (i, &v)| if v > b.1 { (i, v) } else { b })
            })
            .unzip())
    }
}

/// The GPU device is gone (a driver reset, another tab's crash, the test hook): nothing on it can
/// be used again, so the worker ends, as a panic ends it, and the page starts a new one, which
/// opens a new device and loads the model again; what the page was shown stays.
fn lost(message: String) -> ! {
    panic!("{}", backend::device_lost_sentence(&message))
}

fn stopped(run: u32, message: String) {
    worker::post(&FromChain::Stopped { run, message });
}

/// Reads a step back and posts it (with the final images when it is the last).
async fn post_step(
    step: Step<4>,
    compute_ms: f64,
    last: bool,
    r: &mut Running,
) -> Result<(), String> {
    let t0 = dom::now_ms();
    let mut both = to_vec(Tensor::cat(vec![step.x, step.x0], 0)).await?;
    let read_ms = dom::now_ms() - t0;
    let half = both.len() / 2;
    let (xt, x0) = both.split_at(half);
    if xt.iter().any(|v| !v.is_finite()) {
        return Err(format!(
            "Sampling produced non-finite values at step {}: the model or sampler settings do not fit (try more steps or another sampler).",
            step.index + 1
        ));
    }
    let (xt, x0) = (data::to_pixels(xt), data::to_pixels(x0));
    let now = dom::now_ms();
    let step_ms = now - r.last_ms;
    r.last_ms = now;
    both.truncate(half);
    worker::post(&FromChain::Frame {
        run: r.run,
        index: step.index,
        t: step.t,
        xt,
        x0,
        compute_ms,
        read_ms,
        step_ms,
        last: last.then_some(Floats(both)),
    });
    Ok(())
}
