//! The training loop's one step, shared by every model: loss → gradients → Adam (with gradient
//! clipping) → EMA, and a divergence check that restores the last good weights.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::grad_clipping::GradientClippingConfig;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use burn::tensor::Bytes;

use crate::Ema;

/// Checked losses whose median decides whether an explosion lasts.
pub const SPIKE_MEDIAN: usize = 15;

#[derive(Debug, Clone)]
pub struct TrainerConfig {
    pub lr: f64,
    /// Linear learning-rate warm-up over this many steps.
    pub warmup: usize,
    /// From this step on the learning rate decays as 1/√step (lr · √(from / step)); None: constant
    /// after the warm-up. An open-ended run (the page's 2-D trainer) at a constant rate spikes
    /// more and more often past 20,000 steps (web/examples/toy_long.rs: the defaults at 27,907
    /// and 28,410, the textbook target at 24,135, 26,857 and 28,121); decaying from 10,000 steps,
    /// the spikes of 40,000 steps were two, 7,000 steps apart, and the textbook target's none.
    pub decay_from: Option<usize>,
    pub ema_decay: f64,
    /// A checked loss above this multiple of the best running mean of the checked losses counts
    /// as divergence, so a loss that grows without becoming NaN is caught too (None: off). The
    /// mean, not the lowest single loss: over thousands of noisy minibatches the lowest one
    /// falls far below the typical loss (the soak stopped a healthy 2-D run at step 18,103 when
    /// a 0.64 batch passed 10× a lucky 0.028) — once it is also above a
    /// tenth of the first checked loss: a loss that fell a thousandfold and bounces up tenfold
    /// from near zero (a classifier at 1e-4) is noise, not divergence.
    pub explode_factor: Option<f32>,
    /// Clip each parameter tensor's gradient norm to this (Burn's `GradientClipping::Norm`; None:
    /// no clipping).
    pub clip_norm: Option<f32>,
    /// Past this many steps an explosion stops training only when it lasts: when the median of
    /// the last [`SPIKE_MEDIAN`] checked losses, the exploding ones included, is itself over
    /// `explode_factor` × the best running mean. A single exploding loss is said
    /// ([`TrainError::Spike`]) and training goes on with its weights. None: every explosion is
    /// divergence. An open-ended run needs it: the page's 2-D defaults, healthy for 27,900
    /// steps, spiked to 300, 729 and 11,354 and were back at their level by themselves within a
    /// few hundred steps (web/examples/toy_long.rs).
    pub spike_after: Option<usize>,
}

impl Default for TrainerConfig {
    fn default() -> Self {
        Self {
            lr: 2e-4,
            warmup: 500,
            decay_from: None,
            ema_decay: 0.999,
            clip_norm: Some(1.0),
            explode_factor: Some(10.0),
            spike_after: None,
        }
    }
}

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum TrainError {
    #[error(
        "training diverged at step {step}: the loss became {loss}. The weights of step {kept} were kept; \
         lower the learning rate and resume"
    )]
    Diverged { step: usize, loss: f32, kept: usize },
    #[error(
        "training is diverging at step {step}: the loss rose to {loss}, over {factor}× its best value {best}. \
         The weights of step {kept} were kept; lower the learning rate and resume"
    )]
    Exploding {
        step: usize,
        loss: f32,
        best: f32,
        factor: f32,
        kept: usize,
    },
    #[error(
        "the loss spiked at step {step} to {loss}, over {factor}× its best value {best}; training goes on, \
         as a long run gets over such a spike by itself (a loss that stays up stops it)"
    )]
    Spike {
        step: usize,
        loss: f32,
        best: f32,
        factor: f32,
    },
}

impl TrainError {
    /// Whether training may go on after it (a spike), rather than stop.
    pub fn goes_on(&self) -> bool {
        matches!(self, TrainError::Spike { .. })
    }
}

pub struct Trainer<M> {
    pub model: M,
    pub ema: Ema<M>,
    pub step: usize,
    pub config: TrainerConfig,
    optim: ModuleOptimizer,
    adam: AdamConfig,
    /// Step the warm-up counts from (a resumed run warms up again).
    start_step: usize,
    last_good: (M, Ema<M>, usize),
    /// The weights the latest loss was computed on (before that step's update).
    measured: (M, Ema<M>, usize),
    best_loss: f32,
    /// The running mean of the checked losses (an exponential one over ~20 steps).
    mean_loss: f32,
    /// The first finite checked loss (the scale training started from).
    first_loss: f32,
    /// The last checked losses, exploding ones included (see [`TrainerConfig::spike_after`]).
    recent: std::collections::VecDeque<f32>,
}

impl<M: Module + Clone> Trainer<M> {
    /// `model` must live on an autodiff device.
    pub fn new(model: M, config: TrainerConfig) -> Self {
        let mut adam = AdamConfig::new().with_epsilon(1e-8);
        if let Some(c) = config.clip_norm {
            adam = adam.with_grad_clipping(Some(GradientClippingConfig::Norm(c)));
        }
        let ema = Ema::new(&model, config.ema_decay);
        Self {
            last_good: (model.clone(), ema.clone(), 0),
            measured: (model.clone(), ema.clone(), 0),
            model,
            ema,
            step: 0,
            config,
            optim: adam.init(),
            adam,
            start_step: 0,
            best_loss: f32::INFINITY,
            mean_loss: f32::INFINITY,
            first_loss: f32::INFINITY,
            recent: std::collections::VecDeque::new(),
        }
    }

    pub fn lr(&self) -> f64 {
        let w = self.config.warmup;
        let k = self.step.saturating_sub(self.start_step);
        let warm = if w == 0 {
            1.0
        } else {
            ((k + 1) as f64 / w as f64).min(1.0)
        };
        let decay = match self.config.decay_from {
            Some(from) if self.step > from => (from as f64 / self.step as f64).sqrt(),
            _ => 1.0,
        };
        self.config.lr * warm * decay
    }

    /// The lowest running mean of the finite losses checked so far (∞ before any).
    pub fn best_loss(&self) -> f32 {
        self.best_loss
    }

    /// Continues a run at `step` with the current weights (after loading a checkpoint): the
    /// learning-rate warm-up starts again (Adam's moments are fresh) and the current weights
    /// become the last good ones.
    pub fn resume_at(&mut self, step: usize) {
        self.step = step;
        self.start_step = step;
        self.last_good = (self.model.clone(), self.ema.clone(), step);
        self.measured = self.last_good.clone();
    }

    /// Adam's moments and step counts, for a checkpoint. Adam keys them by parameter id, and a
    /// rebuilt model draws new ids, so the ids go along in module order (see
    /// [`Trainer::restore_optimizer`]).
    pub fn optimizer_state(&self) -> Result<OptimizerState, String> {
        let bytes = self
            .optim
            .into_bytes()
            .map_err(|e| format!("cannot serialise Adam's state: {e}"))?;
        Ok(OptimizerState {
            ids: param_ids(&self.model),
            bytes: bytes.to_vec(),
        })
    }

    /// Takes back Adam's state from a checkpoint of the same architecture: the model's
    /// parameters take the saved ids (in module order), the moments are loaded and the
    /// learning-rate warm-up is not repeated. Call before [`Trainer::resume_at`].
    pub fn restore_optimizer(&mut self, state: OptimizerState) -> Result<(), String> {
        let count = param_ids(&self.model).len();
        if state.ids.len() != count {
            return Err(format!(
                "the optimizer state holds {} parameters, the model has {count}",
                state.ids.len()
            ));
        }
        let mut mapper = SetIds {
            ids: state.ids.iter().map(|&id| ParamId::from(id)).collect(),
            next: 0,
        };
        self.model = self.model.clone().map(&mut mapper);
        let optim = self
            .adam
            .init()
            .from_bytes(Bytes::from_bytes_vec(state.bytes))
            .map_err(|e| format!("unreadable optimizer state: {e}"))?;
        self.optim = optim;
        self.config.warmup = 0;
        Ok(())
    }

    /// One optimisation step on the loss `loss_of(model)`. Returns the loss tensor without reading
    /// it back, so GPU work is not stalled; call [`Trainer::check`] with its value now and then.
    pub fn step(&mut self, loss_of: impl FnOnce(&M) -> Tensor<1>) -> Tensor<1> {
        let loss = loss_of(&self.model);
        self.measured = (self.model.clone(), self.ema.clone(), self.step);
        let grads = GradientsParams::from_grads(loss.backward(), &self.model);
        let lr = self.lr();
        self.model = self.optim.step(lr, self.model.clone(), grads);
        self.ema.update(&self.model);
        self.step += 1;
        loss.inner()
    }

    fn remember(&mut self, loss: f32) {
        if self.recent.len() == SPIKE_MEDIAN {
            self.recent.pop_front();
        }
        self.recent.push_back(loss);
    }

    /// Records `loss` (the latest step's, read back by the caller) as checked: a finite value
    /// makes the weights it was computed on (those before the latest update) the last good ones; a non-finite one, or one that exploded (see
    /// [`TrainerConfig::explode_factor`]), restores them and reports divergence.
    pub fn check(&mut self, loss: f32) -> Result<(), TrainError> {
        // also during the warm-up: a learning rate far too high explodes while it is still rising
        let exploding = match self.config.explode_factor {
            Some(f) if loss.is_finite() && self.best_loss.is_finite() => {
                loss > f * self.best_loss && loss > 0.1 * self.first_loss
            }
            _ => false,
        };
        if loss.is_finite() && !exploding {
            self.remember(loss);
            if !self.first_loss.is_finite() {
                self.first_loss = loss;
                self.mean_loss = loss;
            }
            self.mean_loss = 0.95 * self.mean_loss + 0.05 * loss;
            self.best_loss = self.best_loss.min(self.mean_loss);
            // the loss measured the weights before the latest update: those are known good
            self.last_good = self.measured.clone();
            return Ok(());
        }
        let step = self.step;
        let factor = self.config.explode_factor.unwrap_or(f32::INFINITY);
        if exploding && self.config.spike_after.is_some_and(|n| step >= n) {
            let mut sorted: Vec<f32> = self.recent.iter().copied().collect();
            sorted.sort_by(f32::total_cmp);
            let median = sorted.get(sorted.len() / 2).copied().unwrap_or(loss);
            if median <= factor * self.best_loss {
                self.remember(loss);
                // the weights and the means stay as they are
                return Err(TrainError::Spike {
                    step,
                    loss,
                    best: self.best_loss,
                    factor,
                });
            }
        }
        let (model, ema, kept) = self.last_good.clone();
        self.model = model;
        self.ema = ema;
        self.step = kept;
        // Adam's moments have seen the bad gradients: start them afresh.
        self.optim = self.adam.init();
        if exploding {
            Err(TrainError::Exploding {
                step,
                loss,
                best: self.best_loss,
                factor,
                kept,
            })
        } else {
            Err(TrainError::Diverged { step, loss, kept })
        }
    }
}

/// Adam's state (burnpack bytes) and the ids of the parameters it belongs to, in module order.
#[derive(Debug, Clone, PartialEq)]
pub struct OptimizerState {
    pub ids: Vec<u64>,
    pub bytes: Vec<u8>,
}

/// The float parameters' ids in module order.
pub fn param_ids<M: Module>(model: &M) -> Vec<u64> {
    struct Ids(Vec<u64>);
    impl ModuleVisitor for Ids {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0.push(param.id.val());
        }
    }
    let mut ids = Ids(Vec::new());
    model.visit(&mut ids);
    ids.0
}

struct SetIds {
    ids: Vec<ParamId>,
    next: usize,
}

impl ModuleMapper for SetIds {
    fn map_float<const D: usize>(&mut self, mut param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        param.id = self.ids[self.next];
        self.next += 1;
        param
    }
}
