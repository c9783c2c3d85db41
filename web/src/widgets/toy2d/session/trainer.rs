//! The session's trainer half: asking the training worker to train, and taking its reports.

use super::super::messages::{FromTrainer, ToTrainer, ToViewer};
use super::Session;

impl Session {
    /// Asks the worker to train (up to `pause_at`).
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
        self.order += 1;
        self.out.trainer.push(ToTrainer::Train {
            order: self.order,
            until: self.pause_at,
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
                self.forget_drawn(|s| s > step);
                self.say(
                    "error",
                    None,
                    format!(
                        "Training stopped: {message}. Press Train to go on from there, or Reset."
                    ),
                );
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
            | FromTrainer::Stopped { .. } => {}
        }
    }

    /// The trainer panicked or could not start: Reset starts a new one.
    pub(super) fn trainer_died(&mut self, message: &str) {
        self.trainer_dead = true;
        self.playing = false;
        self.error = true;
        self.asked_weights_at = None;
        self.say(
            "error",
            Some("trainer"),
            format!("Training stopped: {message}. Press Reset to start again."),
        );
    }
}
