//! The session's trainer half: asking the training worker to train, and taking its reports.

use super::super::messages::{FromTrainer, Resume, ToTrainer, ToViewer};
use super::{MAX_RECOVERIES, REFLOW_PAIRS, Session};

impl Session {
    /// Where training pauses next: the pause the person asked for, or the step of a reflow the
    /// settings ask for and that has not happened yet.
    fn until(&self) -> Option<usize> {
        let reflow = self.settings.reflow_at().filter(|_| self.reflows == 0);
        match (self.pause_at, reflow) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Asks the worker for a reflow of the current run (flow matching only).
    pub(super) fn reflow(&mut self) {
        if self.set.is_none() || self.reflowing || self.trainer_dead {
            return;
        }
        if !self.settings.config().process.is_flow() {
            self.say(
                "warning",
                Some("reflow"),
                "Reflow straightens a flow-matching model: choose the process flow or flow-ot first.",
            );
            return;
        }
        self.order += 1;
        self.out.trainer.push(ToTrainer::Reflow {
            pairs: REFLOW_PAIRS,
        });
        self.reflowing = true;
        self.playing = false;
    }

    /// Asks the worker to train (up to [`Self::until`]); a reflow the settings ask for at this
    /// step comes first.
    pub(super) fn play(&mut self) {
        if self.set.is_none() {
            return;
        }
        if self.trainer_dead {
            self.error = true;
            self.say(
                "error",
                Some("trainer"),
                "The training worker has stopped: press Reset to start a new one.",
            );
            return;
        }
        if self.reflowing {
            return;
        }
        if self.reflows == 0 && self.settings.reflow_at().is_some_and(|n| self.step >= n) {
            self.resume_after_reflow = true;
            return self.reflow();
        }
        self.order += 1;
        self.out.trainer.push(ToTrainer::Train {
            order: self.order,
            until: self.until(),
        });
        self.playing = true;
    }

    /// Applies one report of the trainer.
    pub fn receive(&mut self, msg: FromTrainer) {
        let current = |g: u32| g == self.generation;
        match msg {
            FromTrainer::Started {
                generation,
                note,
                error,
            } if current(generation) => {
                self.say("notice", Some("trainer"), note);
                if let Some(e) = error {
                    self.set = None;
                    self.playing = false;
                    self.say(
                        "error",
                        Some("setup"),
                        format!("The model could not be set up: {e}."),
                    );
                }
            }
            FromTrainer::Progress {
                generation,
                order,
                step,
                losses,
                training,
            } if current(generation) => {
                self.losses.extend(losses);
                self.step = step;
                // a report from before the latest Train or Pause does not say whether it trains
                if order == self.order {
                    self.playing = training;
                    // paused for the reflow the settings ask for: reflow, then train on
                    if !training
                        && self.reflows == 0
                        && self.settings.reflow_at() == Some(step)
                        && self.pause_at.is_none_or(|n| n > step)
                    {
                        self.resume_after_reflow = true;
                        self.reflow();
                    }
                }
            }
            FromTrainer::Weights {
                generation,
                step,
                values,
            } if current(generation) => {
                self.asked_weights_at = None;
                // the worker reports progress before it answers, so weights from beyond the
                // reported step were thrown away since (training diverged)
                if self.set.is_none() || step > self.step {
                    return;
                }
                self.checkpoint = Some(Resume {
                    step,
                    values: values.clone(),
                });
                self.out.viewer.push(ToViewer::Weights {
                    generation,
                    step,
                    values,
                });
                self.weights = Some(step);
            }
            FromTrainer::Stopped {
                generation,
                step,
                message,
            } if current(generation) => {
                self.playing = false;
                self.error = true;
                self.step = step;
                self.losses.truncate(step);
                // what was drawn from the weights being thrown away goes too
                if self.weights.is_some_and(|w| w > step) {
                    self.weights = None;
                    self.failed_at = None;
                }
                if self.checkpoint.as_ref().is_some_and(|c| c.step > step) {
                    self.checkpoint = None;
                }
                self.forget_drawn(|s| s > step);
                self.say(
                    "error",
                    None,
                    format!(
                        "Training stopped: {message}. Press Train to go on from there, or Reset."
                    ),
                );
            }
            FromTrainer::Spike {
                generation,
                message,
            } if current(generation) => {
                self.say("warning", Some("spike"), format!("Training: {message}."));
            }
            FromTrainer::Reflowed {
                generation,
                step,
                error,
            } if current(generation) => {
                self.reflowing = false;
                let resume = std::mem::take(&mut self.resume_after_reflow);
                match error {
                    Some(e) => {
                        // counted as done, so Train goes on training instead of reflowing again
                        self.reflows += 1;
                        self.error = true;
                        self.say("error", Some("reflow"), format!("The reflow failed: {e}."));
                    }
                    None => {
                        self.reflows += 1;
                        // what was drawn came from the weights before the reflow
                        self.forget_drawn(|_| true);
                        self.weights = None;
                        self.checkpoint = None;
                        self.failed_at = None;
                        self.asked_weights_at = None;
                        self.say(
                            "notice",
                            Some("reflow"),
                            format!(
                                "Reflowed at step {step}: training goes on from the EMA weights on {REFLOW_PAIRS} pairs (noise, sample) of the model's own ODE. Its paths straighten, so flow-euler with 1 or 2 steps samples well."
                            ),
                        );
                        if resume {
                            self.play();
                        }
                    }
                }
            }
            FromTrainer::Failed { message } => {
                // not retried until the step changes (the worker says if training stopped)
                self.failed_at = Some(self.step);
                self.asked_weights_at = None;
                self.say(
                    "error",
                    Some("trainer"),
                    format!("Training failed: {message}."),
                );
            }
            // about a run that has been replaced
            FromTrainer::Started { .. }
            | FromTrainer::Progress { .. }
            | FromTrainer::Weights { .. }
            | FromTrainer::Reflowed { .. }
            | FromTrainer::Spike { .. }
            | FromTrainer::Stopped { .. } => {}
        }
    }

    /// The trainer panicked or could not start: Reset starts a new one. A lost GPU device is no
    /// fault of the run: a new worker goes on from the weights the page kept.
    pub(super) fn trainer_died(&mut self, message: &str) {
        if is_lost(message)
            && self.set.is_some()
            && self.reflows == 0
            && self.recoveries[0] < MAX_RECOVERIES
        {
            return self.trainer_lost(message);
        }
        self.trainer_dead = true;
        self.playing = false;
        self.reflowing = false;
        self.resume_after_reflow = false;
        self.error = true;
        self.asked_weights_at = None;
        self.say(
            "error",
            Some("trainer"),
            format!("Training stopped: {message}. Press Reset to start again."),
        );
    }

    /// The trainer's device was lost: a new worker, on a new device, goes on from the last EMA
    /// weights the page was sent (or from step 0 when none had come yet), training again if it
    /// was training. The losses and drawings of later steps go. Not for a reflowed run (it
    /// trains on pairs that were on the device), nor more than [`MAX_RECOVERIES`] times a run
    /// (a device lost again at once would otherwise start workers forever).
    fn trainer_lost(&mut self, message: &str) {
        self.recoveries[0] += 1;
        self.trainer_dead = false;
        let training = self.will_train();
        self.out.respawn_trainer = true;
        self.playing = false;
        self.reflowing = false;
        self.resume_after_reflow = false;
        self.asked_weights_at = None;
        self.failed_at = None;
        let resume = self.checkpoint.clone();
        let step = resume.as_ref().map_or(0, |r| r.step);
        self.step = step;
        self.losses.truncate(step);
        if self.weights.is_some_and(|w| w > step) {
            self.weights = None;
        }
        self.forget_drawn(|s| s > step);
        let (config, drawn) = self.run_spec();
        // messages meant for the dead worker mean nothing to the new one
        self.out.trainer.clear();
        self.out.trainer.push(ToTrainer::Start {
            generation: self.generation,
            config,
            drawn,
            backend: self.backend.clone(),
            resume,
        });
        if training {
            self.play();
        }
        let from = if step > 0 {
            format!(
                "training goes on from step {step}, the last weights shown (Adam's moments start afresh)"
            )
        } else {
            "training starts again from step 0 (no weights had been shown yet)".to_string()
        };
        self.say(
            "warning",
            Some("trainer-lost"),
            format!("Training stopped: {message}. A new worker opens a new device, and {from}."),
        );
    }
}

/// Whether a worker ended because its GPU device was lost (`backend::device_lost_sentence`).
pub(super) fn is_lost(message: &str) -> bool {
    message.starts_with("the GPU device was lost")
}
