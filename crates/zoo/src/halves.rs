//! One guided chain in two workers: classifier-free guidance runs the network twice over the batch
//! (with the images' classes, and with "no class"), so a pool of two workers can split a chain of
//! one image, which does not split by images, by those halves. Each worker walks the whole chain
//! (the same sampler, the same seed), runs the network on its own half only, and takes the other
//! half from the other worker. Both then mix the same two outputs the same way, so their chains
//! stay equal to the last bit, and equal to one worker's within rounding.
//!
//! A sampler calls its model synchronously inside a step and a worker cannot wait for a message
//! there, so a step is attempted: the first attempt runs this worker's half (handed out for the
//! other worker by [`crate::ImageChain::take_own_halves`]) and, lacking the other, gives the model
//! a stand-in; the chain then puts the sampler and its noise back as they were and says which call
//! it lacks ([`Attempt::Wants`]). Once the other half has come ([`crate::ImageChain::give_half`];
//! it may come first, the other worker being a call ahead), the step is taken again with both
//! halves of every call so far known (the network does not run again), until it goes through. A
//! sampler that calls the model k times in a step is attempted up to k + 1 times; the attempts
//! cost the sampler's arithmetic.

use std::collections::BTreeMap;

use burn::prelude::*;
use diffusion::Step;

/// Which half of a guided forward batch a worker runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Half {
    /// The images with their classes.
    Cond,
    /// The images with "no class".
    Uncond,
}

impl Half {
    /// Its rows of the guided batch of `n` images run twice over ([classes; no class]).
    pub(crate) fn rows(self, n: usize) -> std::ops::Range<usize> {
        match self {
            Half::Cond => 0..n,
            Half::Uncond => n..2 * n,
        }
    }
}

/// What an attempt at a step came to.
#[derive(Debug)]
pub enum Attempt {
    /// The step was taken (`None`: the chain is done).
    Step(Option<Step<4>>),
    /// The step lacks the other worker's half of the model's call `call` (0-based, within step
    /// `step` of the chain, counted from 0).
    Wants { step: usize, call: usize },
}

/// This worker's half of the model's call `call` in step `step`, for the other worker.
#[derive(Debug)]
pub struct OwnHalf {
    pub step: usize,
    pub call: usize,
    pub values: Tensor<4>,
}

/// The halves of the model's calls in the step being attempted: this worker's, run once each,
/// and the other worker's, as they come (possibly before this worker has made the call: the
/// other one may be ahead by a call). Shared by the chain and its model.
pub(crate) struct Halves {
    pub half: Half,
    /// Steps taken.
    step: usize,
    mine: Vec<Tensor<4>>,
    /// The other worker's halves by (step, call), as [N, C, H, W] values.
    theirs: BTreeMap<(usize, usize), Vec<f32>>,
    /// Calls made in this attempt so far.
    call: usize,
    /// The first call of this attempt whose other half is not known yet.
    missing: Option<usize>,
    /// A half that came with the wrong number of values.
    bad: Option<String>,
    /// Halves this worker has run and not yet handed out for the other.
    outbox: Vec<OwnHalf>,
}

impl Halves {
    pub fn new(half: Half) -> Self {
        Self {
            half,
            step: 0,
            mine: Vec::new(),
            theirs: BTreeMap::new(),
            call: 0,
            missing: None,
            bad: None,
            outbox: Vec::new(),
        }
    }

    /// Before an attempt at a step.
    pub fn begin(&mut self) {
        self.call = 0;
        self.missing = None;
    }

    /// After a step went through: the next step's calls are new.
    pub fn end_step(&mut self) {
        self.mine.clear();
        let step = self.step;
        self.theirs.retain(|(s, _), _| *s > step);
        self.step += 1;
    }

    /// The model's (guided) output for this call: (1 + w)·cond − w·uncond, with this worker's
    /// half from `forward` (run on the first attempt only) and the other's as it came; until it
    /// has, this worker's half stands in for it (finite, so the sampler goes on to the end of the
    /// attempt, whose step is thrown away).
    pub fn output(&mut self, scale: f64, forward: impl FnOnce() -> Tensor<4>) -> Tensor<4> {
        let k = self.call;
        self.call += 1;
        // past a call that lacked its other half, the sample a later call sees was made from the
        // stand-in: its half must not be run (nor kept, nor sent), only stood in for
        if let Some(first) = self.missing.filter(|_| self.mine.len() == k) {
            return self.mine[first].clone();
        }
        if self.mine.len() == k {
            let values = forward();
            self.outbox.push(OwnHalf {
                step: self.step,
                call: k,
                values: values.clone(),
            });
            self.mine.push(values);
        }
        let mine = self.mine[k].clone();
        let shape = mine.dims();
        let theirs = match self.theirs.get(&(self.step, k)) {
            Some(v) if v.len() == shape.iter().product::<usize>() => {
                Tensor::<4>::from_data(TensorData::new(v.clone(), shape), &mine.device())
            }
            found => {
                if let Some(v) = found {
                    self.bad.get_or_insert(format!(
                        "the other half of call {k} has {} values, not {}",
                        v.len(),
                        shape.iter().product::<usize>()
                    ));
                }
                self.missing.get_or_insert(k);
                mine.clone()
            }
        };
        let (cond, uncond) = match self.half {
            Half::Cond => (mine, theirs),
            Half::Uncond => (theirs, mine),
        };
        cond * (1.0 + scale) - uncond * scale
    }

    /// The call this attempt lacked the other half of (its step and call), or the half that
    /// came wrong.
    pub fn wanted(&self) -> Result<Option<(usize, usize)>, String> {
        if let Some(bad) = &self.bad {
            return Err(bad.clone());
        }
        Ok(self.missing.map(|k| (self.step, k)))
    }

    /// The halves run since the last call, for the other worker: every one is sent once, also
    /// where the other's half had come first and the step went through.
    pub fn take_own(&mut self) -> Vec<OwnHalf> {
        std::mem::take(&mut self.outbox)
    }

    /// The other worker's half of call `call` of step `step`: this step's or the next's.
    pub fn give(&mut self, step: usize, call: usize, values: Vec<f32>) -> Result<(), String> {
        if step != self.step && step != self.step + 1 {
            return Err(format!(
                "the other half of a call of step {step}, where this worker is at step {}",
                self.step
            ));
        }
        if self.theirs.insert((step, call), values).is_some() {
            return Err(format!(
                "the other half of call {call} of step {step} came twice"
            ));
        }
        Ok(())
    }
}

/// Whether the chain of `spec` (and `edit`) can be split by halves ([`crate::ImageChain::half`]):
/// sampling (not an edit) with guidance and classes, so that the network runs twice over.
pub fn splits_by_halves(spec: &crate::ChainSpec, edit: Option<&crate::EditSpec>) -> bool {
    edit.is_none() && spec.guidance != 0.0 && !spec.classes.is_empty() && spec.n > 0
}
