//! The 2-D trainer's session driven by scripted worker messages, as the page's glue drives it with
//! the real ones: what it asks of the workers, what it shows, and how it takes failures.

use super::*;
use crate::floats::{Floats, JsFloats};

fn session(hash: &str) -> Session {
    Session::new(&mut HashState::parse(hash), "cpu")
}

fn progress(generation: u32, order: u32, step: usize, training: bool) -> Event<FromTrainer> {
    Event::Message(FromTrainer::Progress {
        generation,
        order,
        step,
        losses: vec![0.5; step],
        training,
    })
}

fn weights(generation: u32, step: usize) -> Event<FromTrainer> {
    Event::Message(FromTrainer::Weights {
        generation,
        step,
        values: JsFloats::new(&[0.0; 4]),
    })
}

/// The whole chain of job `job` (2 points, 2 steps) in one message.
fn frames(job: u32) -> Event<FromViewer> {
    Event::Message(FromViewer::Frames {
        job,
        len: 2,
        start: Some(Floats(vec![1.0; 4])),
        xs: Floats(vec![0.5; 8]),
        x0s: Floats(vec![0.1; 8]),
        ts: vec![999.0, 499.0],
        done: true,
        ms: 3.0,
        quality: None,
    })
}

fn sample_job(out: &Outbox) -> Option<u32> {
    out.viewer.iter().find_map(|m| match m {
        ToViewer::Sample { job, .. } => Some(*job),
        _ => None,
    })
}

#[test]
fn a_new_session_starts_a_run_in_both_workers_and_waits() {
    let mut s = session("#widget=toy2d&seed=3");
    let out = s.take_out();
    assert!(matches!(
        out.trainer[..],
        [
            ToTrainer::Pause { .. },
            ToTrainer::Start { generation: 1, .. }
        ]
    ));
    assert!(matches!(
        out.viewer[..],
        [ToViewer::Start { generation: 1, .. }]
    ));
    assert!(out.fill && out.hash.as_deref().is_some_and(|h| h.contains("seed=3")));
    // nothing to draw from yet: it asks for weights, and says it will sample
    s.turn(0.0, vec![], vec![], vec![]);
    assert!(matches!(s.take_out().trainer[..], [ToTrainer::Weights]));
    assert_eq!(s.status(), "sampling");
}

#[test]
fn training_reports_become_steps_losses_and_then_samples_of_the_final_weights() {
    let mut s = session("#widget=toy2d&autoplay=1&train_steps=20");
    let out = s.take_out();
    let Some(ToTrainer::Train { order, until }) = out.trainer.last().cloned() else {
        panic!("autoplay trains: {:?}", out.trainer);
    };
    assert_eq!(until, Some(20));
    assert_eq!(s.status(), "training");
    s.turn(10.0, vec![], vec![progress(1, order, 20, false)], vec![]);
    assert_eq!((s.step, s.losses.len(), s.status()), (20, 20, "sampling"));
    assert!(matches!(s.take_out().trainer[..], [ToTrainer::Weights]));
    // the weights go to the viewer unread, and a chain is asked of them
    s.turn(20.0, vec![], vec![weights(1, 20)], vec![]);
    let out = s.take_out();
    assert!(matches!(out.viewer[0], ToViewer::Weights { step: 20, .. }));
    let job = sample_job(&out).expect("a chain is asked for");
    s.turn(30.0, vec![], vec![], vec![frames(job)]);
    assert_eq!(
        s.samples.as_ref().map(|c| (c.model_step, c.xs.len())),
        Some((20, 3))
    );
    assert_eq!(s.status(), "paused");
    // answers about an older run are not taken
    s.turn(40.0, vec![], vec![progress(0, order, 999, true)], vec![]);
    assert_eq!((s.step, s.playing), (20, false));
}

#[test]
fn the_settings_table_decides_what_a_change_redoes() {
    let mut s = session("#widget=toy2d");
    s.take_out();
    // the learning rate retunes the running training
    s.apply(Cmd::Set("lr".into(), "0.003".into()));
    let out = s.take_out();
    assert!(matches!(out.trainer[..], [ToTrainer::Tune { lr, batch: 256 }] if lr == 0.003));
    assert!(out.hash.is_some_and(|h| h.contains("lr=0.003")));
    // the sampler's steps resample, the width starts a new run
    s.apply(Cmd::Set("steps".into(), "7".into()));
    assert!(s.take_out().trainer.is_empty());
    s.apply(Cmd::Set("width".into(), "64".into()));
    let out = s.take_out();
    assert!(
        out.trainer
            .iter()
            .any(|m| matches!(m, ToTrainer::Start { generation: 2, .. }))
    );
    // a bad value is a warning, and the default stays
    s.apply(Cmd::Set("depth".into(), "99".into()));
    let out = s.take_out();
    assert!(
        out.say.iter().any(|m| m.text.contains("depth=99")),
        "{:?}",
        out.say
    );
    assert_eq!(s.settings.config().depth, 3);
}

#[test]
fn a_diverging_run_keeps_its_step_and_drops_what_was_drawn_after_it() {
    let mut s = session("#widget=toy2d&autoplay=1");
    s.take_out();
    s.turn(0.0, vec![], vec![progress(1, 1, 40, true)], vec![]);
    s.turn(
        1.0,
        vec![],
        vec![Event::Message(FromTrainer::Stopped {
            generation: 1,
            step: 30,
            message: "the loss exploded; the weights of step 30 are kept".into(),
        })],
        vec![],
    );
    let out = s.take_out();
    assert_eq!((s.step, s.losses.len(), s.status()), (30, 30, "error"));
    assert!(
        out.say
            .iter()
            .any(|m| m.kind == "error" && m.text.contains("Press Train"))
    );
    // Train goes on from the kept weights
    s.apply(Cmd::Play);
    assert!(matches!(
        s.take_out().trainer[..],
        [ToTrainer::Train { .. }]
    ));
    assert_eq!(s.status(), "training");
}

#[test]
fn a_dead_viewer_is_said_once_and_reset_starts_a_new_one() {
    let mut s = session("#widget=toy2d");
    s.take_out();
    s.turn(
        0.0,
        vec![],
        vec![],
        vec![Event::Died("out of memory".into())],
    );
    s.turn(
        1.0,
        vec![],
        vec![],
        vec![Event::Died("out of memory".into())],
    );
    let out = s.take_out();
    let said: Vec<_> = out.say.iter().filter(|m| m.key == Some("viewer")).collect();
    assert!(said.iter().all(|m| m.text.contains("Press Reset")) && !said.is_empty());
    assert_eq!(s.status(), "error");
    s.apply(Cmd::Reset);
    let out = s.take_out();
    assert!(out.respawn_viewer && !out.respawn_trainer);
    assert!(matches!(
        out.viewer[..],
        [ToViewer::Start { generation: 2, .. }]
    ));
}

#[test]
fn a_drawing_needs_eight_points_and_goes_into_the_hash() {
    let mut s = session("#widget=toy2d&data=drawn");
    let out = s.take_out();
    assert!(out.say.iter().any(|m| m.text.contains("at least 8")));
    assert!(s.set.is_none());
    for i in 0..8 {
        s.apply(Cmd::Draw(i as f64 * 0.5 - 2.0, 1.0, true));
    }
    s.apply(Cmd::StrokeEnd);
    let out = s.take_out();
    assert!(s.set.is_some());
    assert!(
        out.trainer
            .iter()
            .any(|m| matches!(m, ToTrainer::Start { drawn: Some(p), .. } if p.len() == 16))
    );
    let hash = out.hash.expect("the drawing is written");
    assert!(
        hash.contains("pts=") && hash.contains("data=drawn"),
        "{hash}"
    );
    s.apply(Cmd::Undo);
    assert_eq!(s.settings.drawn.len(), 14);
}

/// `reflow=N` pauses training at step N, asks the worker for the reflow, and trains on to the
/// pause asked for once it is done; what was drawn from the weights before is dropped.
#[test]
fn a_reflow_in_the_settings_pauses_reflows_and_trains_on() {
    let mut s = session("#widget=toy2d&process=flow&reflow=10&train_steps=20&autoplay=1");
    let out = s.take_out();
    let Some(ToTrainer::Train { order, until }) = out.trainer.last().cloned() else {
        panic!("autoplay trains: {:?}", out.trainer);
    };
    assert_eq!(until, Some(10), "the reflow's step comes first");
    s.turn(10.0, vec![], vec![progress(1, order, 10, false)], vec![]);
    let out = s.take_out();
    assert!(
        out.trainer.iter().any(|m| matches!(
            m,
            ToTrainer::Reflow {
                pairs: REFLOW_PAIRS
            }
        )),
        "{:?}",
        out.trainer
    );
    assert!(s.reflowing && s.status() == "training");
    let reflowed = Event::Message(FromTrainer::Reflowed {
        generation: 1,
        step: 10,
        error: None,
    });
    s.turn(20.0, vec![], vec![reflowed], vec![]);
    let out = s.take_out();
    assert!(
        out.trainer.iter().any(|m| matches!(
            m,
            ToTrainer::Train {
                until: Some(20),
                ..
            }
        )),
        "{:?}",
        out.trainer
    );
    assert_eq!((s.reflows, s.reflowing, s.playing), (1, false, true));
    // a reflow on a DDPM run is refused with a message
    let mut s = session("#widget=toy2d&process=ddpm-linear");
    s.take_out();
    s.apply(Cmd::Reflow);
    let out = s.take_out();
    assert!(
        !out.trainer
            .iter()
            .any(|m| matches!(m, ToTrainer::Reflow { .. }))
    );
    assert!(
        out.say.iter().any(|m| m.text.contains("flow")),
        "{:?}",
        out.say
    );
}

/// Reports the autoplayed run of `s` (with `train_steps=20`) at step 20 and relays its weights.
fn trained_to_20(s: &mut Session) {
    let order = match s.take_out().trainer.last() {
        Some(ToTrainer::Train { order, .. }) => *order,
        other => panic!("{other:?}"),
    };
    s.turn(10.0, vec![], vec![progress(1, order, 20, false)], vec![]);
    s.turn(20.0, vec![], vec![weights(1, 20)], vec![]);
}

fn probe_job(out: &Outbox) -> Option<(u32, [f32; 2], usize)> {
    out.viewer.iter().find_map(|m| match m {
        ToViewer::Probe { job, z, draws, .. } => Some((*job, *z, *draws)),
        _ => None,
    })
}

#[test]
fn a_dropped_probe_is_asked_once_at_a_time_and_follows_a_drag() {
    let mut s = session("#widget=toy2d&autoplay=1&train_steps=20&view=chain");
    trained_to_20(&mut s);
    s.take_out();
    // a click in the chain view drops the probe: one job, in the model's coordinates
    s.turn(30.0, vec![Cmd::Draw(0.5, -1.0, true)], vec![], vec![]);
    let (job, z, draws) = probe_job(&s.take_out()).expect("the probe is asked for");
    let norm = s.set.as_ref().unwrap().normalisation;
    let want = norm.apply(&[0.5, -1.0]);
    assert_eq!((z, draws), ([want[0], want[1]], PROBE_DRAWS));
    // dragging while it is computed asks nothing more until the answer is in
    s.turn(40.0, vec![Cmd::Draw(0.6, -1.0, false)], vec![], vec![]);
    assert!(probe_job(&s.take_out()).is_none());
    let answer = Event::Message(FromViewer::Probe {
        job,
        ode: Floats(vec![want[0], want[1], 0.0, 0.0]),
        ode_ts: vec![0.5],
        sde: Floats(vec![]),
        draws: 0,
    });
    s.turn(50.0, vec![], vec![], vec![answer]);
    let paths = s.probe.paths.clone().expect("the paths are kept");
    assert!((paths.ode[0] - 0.5).abs() < 1e-5 && (paths.ode[1] + 1.0).abs() < 1e-5);
    assert_eq!(paths.ask.model_step, 20);
    // then the dragged-to point is asked for, once
    let out = s.take_out();
    let (_, z2, _) = probe_job(&out).expect("the latest point is asked for");
    assert_eq!(z2, {
        let w = norm.apply(&[0.6, -1.0]);
        [w[0], w[1]]
    });
    // Reset drops the probe
    s.apply(Cmd::Reset);
    assert_eq!(s.probe, Probe::default());
}

#[test]
fn the_steps_view_asks_for_one_strip_and_takes_its_chains_one_by_one() {
    let mut s = session("#widget=toy2d&autoplay=1&train_steps=20&view=steps&n=2000");
    trained_to_20(&mut s);
    let out = s.take_out();
    let (job, spec, steps) = out
        .viewer
        .iter()
        .find_map(|m| match m {
            ToViewer::Strip { job, spec, steps } => Some((*job, spec.clone(), steps.clone())),
            _ => None,
        })
        .expect("the strip is asked for");
    assert_eq!(steps, STRIP_STEPS.to_vec());
    assert_eq!((spec.sampler.as_str(), spec.n), ("flow-heun", 500));
    let chain = sample_job(&out).unwrap();
    s.turn(25.0, vec![], vec![], vec![frames(chain)]);
    for (index, steps) in STRIP_STEPS.into_iter().enumerate() {
        assert_eq!(s.status(), "sampling");
        let msg = Event::Message(FromViewer::Strip {
            job,
            index,
            steps,
            x: Floats(vec![0.0; 4]),
            quality: None,
        });
        s.turn(30.0 + index as f64, vec![], vec![], vec![msg]);
    }
    assert!(s.strip.as_ref().is_some_and(Strip::done));
    assert_eq!(s.status(), "paused");
    // nothing more is asked of the same weights and settings; other sampler steps do not matter,
    // another sampler does
    s.turn(
        40.0,
        vec![Cmd::Set("steps".into(), "7".into())],
        vec![],
        vec![],
    );
    assert!(
        !s.take_out()
            .viewer
            .iter()
            .any(|m| matches!(m, ToViewer::Strip { .. }))
    );
    s.apply(Cmd::Set("sampler".into(), "flow-euler".into()));
    s.turn(50.0, vec![], vec![], vec![]);
    assert!(
        s.take_out()
            .viewer
            .iter()
            .any(|m| matches!(m, ToViewer::Strip { .. }))
    );
}

#[test]
fn pause_during_an_automatic_reflow_keeps_training_paused_after_it() {
    let mut s = session("#widget=toy2d&autoplay=1&reflow=10");
    let order = match s.take_out().trainer.last() {
        Some(ToTrainer::Train { order, until }) => {
            assert_eq!(*until, Some(10));
            *order
        }
        other => panic!("{other:?}"),
    };
    // the worker pauses at the reflow's step: the reflow is asked for, to train on after it
    s.turn(10.0, vec![], vec![progress(1, order, 10, false)], vec![]);
    assert!(s.reflowing && s.will_train());
    s.take_out();
    // the person presses Pause (the button reads Pause) while the reflow is computed
    s.turn(20.0, vec![Cmd::Play], vec![], vec![]);
    assert!(!s.will_train());
    let reflowed = Event::Message(FromTrainer::Reflowed {
        generation: 1,
        step: 10,
        error: None,
    });
    s.turn(30.0, vec![], vec![reflowed], vec![]);
    let out = s.take_out();
    assert!(
        !out.trainer
            .iter()
            .any(|m| matches!(m, ToTrainer::Train { .. })),
        "{:?}",
        out.trainer
    );
    assert_eq!((s.reflows, s.playing), (1, false));
    // and Train afterwards trains on, without a second reflow
    s.apply(Cmd::Play);
    let out = s.take_out();
    assert!(
        out.trainer
            .iter()
            .any(|m| matches!(m, ToTrainer::Train { .. }))
    );
    assert!(
        !out.trainer
            .iter()
            .any(|m| matches!(m, ToTrainer::Reflow { .. }))
    );
}

#[test]
fn a_failed_probe_is_said_and_not_held_against_the_weights() {
    let mut s = session("#widget=toy2d&autoplay=1&train_steps=20&view=chain");
    trained_to_20(&mut s);
    s.turn(30.0, vec![Cmd::Draw(9.0, 9.0, true)], vec![], vec![]);
    let out = s.take_out();
    let (job, _, _) = probe_job(&out).unwrap();
    let chain = sample_job(&out).unwrap();
    let failed = Event::Message(FromViewer::Failed {
        job,
        step: 20,
        message: "the probe's path left the finite numbers: train longer".into(),
    });
    s.turn(40.0, vec![], vec![], vec![failed]);
    let out = s.take_out();
    assert!(
        out.say
            .iter()
            .any(|m| m.text.contains("probe could not be followed")),
        "{:?}",
        out.say
    );
    // not asked again, and the chain of the same weights is still taken
    assert!(probe_job(&out).is_none());
    s.turn(50.0, vec![], vec![], vec![frames(chain)]);
    assert_eq!(s.samples.as_ref().map(|c| c.model_step), Some(20));
    assert!(probe_job(&s.take_out()).is_none());
    // a lost message to the viewer frees the probe to be asked again at a new point
    s.turn(60.0, vec![Cmd::Draw(0.1, 0.1, true)], vec![], vec![]);
    assert!(probe_job(&s.take_out()).is_some());
    s.turn(70.0, vec![], vec![], vec![Event::Failed("lost".into())]);
    assert!(s.probe.asked.is_none());
}

#[test]
fn off_screen_pauses_training_and_the_chain_and_coming_back_resumes_only_those() {
    let mut s = session("#widget=toy2d&autoplay=1");
    s.take_out();
    s.turn(0.0, vec![], vec![progress(1, 1, 40, true)], vec![]);
    s.chain_playing = true;
    s.take_out();
    s.apply(Cmd::Offscreen(true));
    assert!(matches!(
        s.take_out().trainer[..],
        [ToTrainer::Pause { .. }]
    ));
    assert!(!s.playing && !s.chain_playing);
    assert_eq!(s.paused_offscreen, Some((true, true)));
    s.apply(Cmd::Offscreen(false));
    assert!(matches!(
        s.take_out().trainer[..],
        [ToTrainer::Train { .. }]
    ));
    assert!(s.playing && s.chain_playing && s.paused_offscreen.is_none());
    // a widget the reader paused stays paused after a trip off screen
    s.apply(Cmd::Play);
    s.chain_playing = false;
    s.take_out();
    s.apply(Cmd::Offscreen(true));
    s.apply(Cmd::Offscreen(false));
    assert!(s.take_out().trainer.is_empty());
    assert!(!s.playing && s.paused_offscreen.is_none());
}

#[test]
fn coming_back_resumes_only_what_leaving_paused_and_nothing_after_the_reader_acted() {
    // training only: the chain was still
    let mut s = session("#widget=toy2d&autoplay=1");
    s.turn(0.0, vec![], vec![progress(1, 1, 40, true)], vec![]);
    s.take_out();
    s.apply(Cmd::Offscreen(true));
    assert_eq!(s.paused_offscreen, Some((true, false)));
    s.apply(Cmd::Offscreen(false));
    assert!(s.playing && !s.chain_playing);
    // the chain only: training was paused
    s.apply(Cmd::Play);
    s.chain_playing = true;
    s.apply(Cmd::Offscreen(true));
    assert_eq!(s.paused_offscreen, Some((false, true)));
    s.take_out();
    s.apply(Cmd::Offscreen(false));
    assert!(!s.playing && s.chain_playing);
    assert!(s.take_out().trainer.is_empty());
    // a reset while away (a button of a comparison): the new run does not start by itself
    s.chain_playing = false;
    s.apply(Cmd::Play);
    s.apply(Cmd::Offscreen(true));
    s.apply(Cmd::Reset);
    assert!(s.paused_offscreen.is_none());
    s.take_out();
    s.apply(Cmd::Offscreen(false));
    assert!(!s.playing);
    assert!(
        !s.take_out()
            .trainer
            .iter()
            .any(|m| matches!(m, ToTrainer::Train { .. }))
    );
}

#[test]
fn a_lost_device_goes_on_from_the_weights_the_page_kept_in_new_workers() {
    let mut s = session("#widget=toy2d&autoplay=1");
    let Some(ToTrainer::Train { order, .. }) = s.take_out().trainer.last().cloned() else {
        panic!("autoplay trains");
    };
    // trained to 300, weights of 300 relayed (and kept), then trained on to 340
    s.turn(
        0.0,
        vec![],
        vec![progress(1, order, 300, true), weights(1, 300)],
        vec![],
    );
    s.turn(1.0, vec![], vec![progress(1, order, 340, true)], vec![]);
    s.take_out();
    s.apply(Cmd::LoseDevice);
    let out = s.take_out();
    assert!(matches!(out.trainer[..], [ToTrainer::LoseDevice]));
    assert!(matches!(out.viewer[..], [ToViewer::LoseDevice]));
    assert!(s.playing, "a test hook is no person's Pause");
    let lost = "the GPU device was lost (destroyed: Device was destroyed)";
    // the glue marks a dead link before the turn, as it does for every dead worker
    s.trainer_dead = true;
    s.viewer_dead = true;
    s.turn(
        2.0,
        vec![],
        vec![Event::Died(lost.into())],
        vec![Event::Died(lost.into())],
    );
    let out = s.take_out();
    assert!(out.respawn_trainer && out.respawn_viewer);
    assert!(!s.trainer_dead && !s.viewer_dead);
    let Some(ToTrainer::Start {
        generation: 1,
        resume: Some(resume),
        ..
    }) = out
        .trainer
        .iter()
        .find(|m| matches!(m, ToTrainer::Start { .. }))
    else {
        panic!("a new run from the kept weights: {:?}", out.trainer);
    };
    assert_eq!(resume.step, 300);
    assert_eq!(resume.values.to_vec(), vec![0.0; 4]);
    // it trains on, and the viewer gets its run and the kept weights
    assert!(matches!(out.trainer.last(), Some(ToTrainer::Train { .. })));
    assert!(matches!(
        out.viewer[..],
        [
            ToViewer::Start { generation: 1, .. },
            ToViewer::Weights { step: 300, .. },
            ..
        ]
    ));
    assert_eq!((s.step, s.losses.len()), (300, 300));
    let said: Vec<_> = out.say.iter().map(|m| m.text.as_str()).collect();
    assert!(
        said.iter()
            .any(|t| t.contains(lost) && t.contains("goes on from step 300")),
        "{said:?}"
    );
    assert!(
        said.iter().any(|t| t.contains("what is shown stays")),
        "{said:?}"
    );
    assert_eq!(s.status(), "training");

    // a device lost again and again: after three new workers a run needs a Reset
    for k in 0..3 {
        s.trainer_dead = true;
        s.turn(
            3.0 + k as f64,
            vec![],
            vec![Event::Died(lost.into())],
            vec![],
        );
    }
    assert!(s.trainer_dead && s.status() == "error");
    assert!(
        s.take_out()
            .say
            .iter()
            .any(|m| m.text.contains("Press Reset"))
    );
    // an internal error is no lost device: Reset, as before
    let mut s = session("#widget=toy2d&autoplay=1");
    s.take_out();
    s.trainer_dead = true;
    s.turn(
        0.0,
        vec![],
        vec![Event::Died(
            "the worker stopped on an internal error".into(),
        )],
        vec![],
    );
    assert!(!s.take_out().respawn_trainer && s.trainer_dead);
}

#[test]
fn a_device_lost_before_any_weights_starts_training_again_from_step_zero() {
    let mut s = session("#widget=toy2d&autoplay=1");
    let Some(ToTrainer::Train { order, .. }) = s.take_out().trainer.last().cloned() else {
        panic!("autoplay trains");
    };
    s.turn(0.0, vec![], vec![progress(1, order, 40, true)], vec![]);
    s.take_out();
    s.trainer_dead = true;
    s.turn(
        1.0,
        vec![],
        vec![Event::Died(
            "the GPU device was lost (unknown: reset)".into(),
        )],
        vec![],
    );
    let out = s.take_out();
    assert!(out.respawn_trainer);
    assert!(
        out.trainer
            .iter()
            .any(|m| matches!(m, ToTrainer::Start { resume: None, .. }))
    );
    assert_eq!((s.step, s.losses.len()), (0, 0));
    assert!(out.say.iter().any(|m| m.text.contains("from step 0")));
}

#[test]
fn a_loss_spike_is_said_once_and_training_goes_on() {
    let mut s = session("#widget=toy2d&autoplay=1");
    let Some(ToTrainer::Train { order, .. }) = s.take_out().trainer.last().cloned() else {
        panic!("autoplay trains");
    };
    let spike = || {
        Event::Message(FromTrainer::Spike {
            generation: 1,
            message: "the loss spiked at step 27907 to 300; training goes on".into(),
        })
    };
    s.turn(
        0.0,
        vec![],
        vec![progress(1, order, 27907, true), spike()],
        vec![],
    );
    s.turn(
        1.0,
        vec![],
        vec![spike(), progress(1, order, 27950, true)],
        vec![],
    );
    let out = s.take_out();
    let said: Vec<_> = out.say.iter().filter(|m| m.key == Some("spike")).collect();
    assert!(
        !said.is_empty() && said.iter().all(|m| m.kind == "warning"),
        "{said:?}"
    );
    assert!(s.playing && !s.error && s.step == 27950);
    assert_eq!(s.status(), "training");
}
