//! The sampler's session driven by scripted worker messages: loads, runs, the classifier in the
//! worker, and failures, each read from the one [`ModelState`] the status comes from.

use super::super::messages::FromChain;
use super::*;
use crate::floats::Floats;
use crate::settings::Common;
use crate::widgets::event::Event;

fn manifest() -> Manifest {
    Manifest::parse(include_str!("../../../../../static/weights/manifest.json")).unwrap()
}

fn session(hash: &str) -> Session {
    Session::new(&mut HashState::parse(hash), manifest(), 1 << 20, 0.0)
}

fn msg(m: FromChain) -> Vec<Event<FromChain>> {
    vec![Event::Message(m)]
}

fn load_of(out: &Outbox) -> Option<u32> {
    out.chain.iter().find_map(|m| match m {
        ToChain::Load { load, .. } => Some(*load),
        _ => None,
    })
}

/// Fetches and builds the chosen model; the `Load`'s number.
fn load(s: &mut Session) -> u32 {
    let entry = s.take_out().fetch.expect("the model is fetched");
    s.fetched(entry, Ok((vec![1, 2, 3], Source::Network)), 0.0);
    let load = load_of(&s.take_out()).expect("the worker is asked to build it");
    assert_eq!(s.status(), "loading");
    load
}

fn loaded(s: &mut Session, load: u32, now: f64) {
    let built = FromChain::Loaded {
        load,
        classes: Some(10),
        error: None,
    };
    s.receive_all(msg(built), now);
}

fn run_of(out: &Outbox) -> u32 {
    out.chain
        .iter()
        .find_map(|m| match m {
            ToChain::Sample { run, .. } => Some(*run),
            _ => None,
        })
        .expect("a chain is asked for")
}

/// The whole chain of `run` for `shape`: started, then its one step with the final images.
fn chain(s: &mut Session, run: u32, shape: [usize; 4]) {
    let started = FromChain::Started {
        run,
        len: 1,
        shape,
        error: None,
    };
    s.receive_all(msg(started), 5.0);
    let n: usize = shape.iter().product();
    let frame = FromChain::Frame {
        run,
        index: 0,
        t: 999.0,
        xt: vec![0; n],
        x0: vec![0; n],
        compute_ms: 1.0,
        read_ms: 1.0,
        step_ms: 2.0,
        last: Some(Floats(vec![0.0; n])),
    };
    s.receive_all(msg(frame), 9.0);
}

#[test]
fn a_model_is_fetched_built_and_sampled_on_load_with_autorun() {
    let mut s = session("#widget=sampler&model=cifar10-unet-cond&autorun=1&n=2");
    assert_eq!(s.status(), "loading");
    let load = load(&mut s);
    loaded(&mut s, load, 7.0);
    let out = s.take_out();
    assert!(
        out.remember,
        "a downloaded file goes into the cache once it is built"
    );
    assert_eq!(out.loaded_ms, Some(7.0));
    let run = run_of(&out);
    assert_eq!(s.status(), "sampling");
    chain(&mut s, run, [2, 3, 32, 32]);
    let out = s.take_out();
    assert!(out.finished && out.draw && out.fetch_classifier.is_none());
    assert_eq!(s.status(), "done");
    assert_eq!(
        s.record.as_ref().and_then(|r| r.total_ms),
        Some(9.0 - 7.0),
        "from Sample to the last step"
    );
}

#[test]
fn mnist_results_are_read_by_the_classifier_in_the_worker() {
    let mut s = session("#widget=sampler&model=mnist-unet-cond&class=3&n=2");
    let load = load(&mut s);
    loaded(&mut s, load, 1.0);
    s.take_out();
    s.apply(Cmd::Sample, 2.0);
    let run = run_of(&s.take_out());
    chain(&mut s, run, [2, 1, 28, 28]);
    let out = s.take_out();
    let clf = out
        .fetch_classifier
        .expect("the classifier is fetched once");
    assert_eq!(
        s.status(),
        "ready",
        "done only once the classifier has read them"
    );
    s.classifier_fetched(clf, Ok(vec![9]));
    let out = s.take_out();
    assert!(
        matches!(out.chain[..], [ToChain::LoadClassifier { .. }, ToChain::Classify { run: r, .. }] if r == run)
    );
    let read = FromChain::Classified {
        run,
        labels: vec![3, 5],
        confidence: vec![0.9, 0.8],
        error: None,
    };
    s.receive_all(msg(read), 3.0);
    assert!(s.take_out().verdict);
    let v = s.verdict.as_ref().unwrap();
    assert!(
        v.text.contains("3 5 (1 of 2 are the class asked for)"),
        "{}",
        v.text
    );
    assert_eq!(s.status(), "done");
    // the next run asks the classifier the worker holds, without fetching it again
    s.apply(Cmd::Sample, 4.0);
    let run = run_of(&s.take_out());
    chain(&mut s, run, [2, 1, 28, 28]);
    let out = s.take_out();
    assert!(out.fetch_classifier.is_none());
    assert!(matches!(out.chain[..], [ToChain::Classify { .. }]));
}

#[test]
fn a_dead_worker_is_replaced_once_and_the_model_loaded_again() {
    let mut s = session("#widget=sampler&model=cifar10-unet-cond");
    let load = load(&mut s);
    loaded(&mut s, load, 1.0);
    s.apply(Cmd::Sample, 2.0);
    let run = run_of(&s.take_out());
    s.receive_all(vec![Event::Died("the worker stopped".into())], 3.0);
    let out = s.take_out();
    assert!(out.respawn);
    assert!(
        out.say
            .iter()
            .any(|m| m.text.contains("stopped while sampling"))
    );
    assert!(load_of(&out).is_some());
    assert_eq!(s.status(), "loading");
    // what the old worker sent about its run is not taken
    let stale = FromChain::Started {
        run,
        len: 1,
        shape: [1, 3, 32, 32],
        error: None,
    };
    s.receive_all(msg(stale), 4.0);
    assert!(s.record.is_none());
    // a second death is not retried
    s.receive_all(vec![Event::Died("again".into())], 5.0);
    let out = s.take_out();
    assert!(!out.respawn);
    assert_eq!(s.status(), "error");
}

#[test]
fn a_file_that_does_not_build_is_said_and_a_refused_own_model_leaves_the_list() {
    let mut s = session("#widget=sampler&model=cifar10-unet-cond");
    let load = load(&mut s);
    let refused = FromChain::Loaded {
        load,
        classes: None,
        error: Some("has no tensor 'conv_in.weight'".into()),
    };
    s.receive_all(msg(refused), 1.0);
    let out = s.take_out();
    assert_eq!(s.status(), "error");
    assert_eq!(out.counter.as_deref(), Some("no model loaded"));
    assert!(out.say.iter().any(|m| m.text.contains("conv_in.weight")));
    // a person's own model that the worker refuses: the default model opens instead
    let mut entry = s.manifest.get("cifar10-unet-cond").unwrap().clone();
    entry.id = format!("{}x", zoo::OWN);
    s.own_opened(Ok((entry.clone(), vec![0; 8])), 2.0);
    let out = s.take_out();
    let own = load_of(&out).expect("own bytes are built at once");
    assert!(
        out.hash.is_some_and(|h| !h.contains("model=")),
        "an own model stays out of the URL"
    );
    let refused = FromChain::Loaded {
        load: own,
        classes: None,
        error: Some("bad".into()),
    };
    s.receive_all(msg(refused), 3.0);
    assert!(s.manifest.get(&entry.id).is_none());
    assert_eq!(s.settings.model(), "mnist-unet-cond");
    assert!(matches!(s.model, ModelState::Fetching { .. }));
}

#[test]
fn another_model_stops_the_run_and_loads_it() {
    let mut s = session("#widget=sampler&model=cifar10-unet-cond");
    let load = load(&mut s);
    loaded(&mut s, load, 1.0);
    s.apply(Cmd::Sample, 2.0);
    let run = run_of(&s.take_out());
    s.apply(Cmd::Set("model".into(), "mnist-scorenet-ve".into()), 3.0);
    let out = s.take_out();
    assert!(matches!(out.chain[..], [ToChain::Stop { run: r }] if r == run));
    assert_eq!(
        out.fetch.map(|e| e.id).as_deref(),
        Some("mnist-scorenet-ve")
    );
    assert_eq!(
        s.settings.sampler(),
        "pc",
        "the new model's default sampler"
    );
    // a stale Loaded of the old model is ignored
    loaded(&mut s, load, 4.0);
    assert_eq!(s.status(), "loading");
    // Sample before a model is built is a warning
    s.apply(Cmd::Sample, 5.0);
    assert!(s.take_out().say.iter().any(|m| m.key == Some("no-model")));
}

#[test]
fn a_worker_that_dies_while_the_weights_download_gets_them_in_a_new_one() {
    let mut s = session("#widget=sampler&model=cifar10-unet-cond");
    let entry = s.take_out().fetch.expect("the model is fetched");
    s.receive_all(vec![Event::Died("it could not be started".into())], 1.0);
    assert_eq!(
        s.status(),
        "error",
        "the dead worker is said while the download goes on"
    );
    s.fetched(entry, Ok((vec![1, 2, 3], Source::Cache)), 0.0);
    let out = s.take_out();
    assert!(out.respawn && load_of(&out).is_some());
    assert_eq!(s.status(), "loading");
}

#[test]
fn after_a_crash_the_reloaded_model_is_ready_not_done() {
    let mut s = session("#widget=sampler&model=cifar10-unet-cond&n=1");
    let load = load(&mut s);
    loaded(&mut s, load, 1.0);
    s.apply(Cmd::Sample, 2.0);
    let run = run_of(&s.take_out());
    chain(&mut s, run, [1, 3, 32, 32]);
    assert_eq!(s.status(), "done");
    s.receive_all(vec![Event::Died("out of memory".into())], 10.0);
    let again = load_of(&s.take_out()).expect("loaded again");
    loaded(&mut s, again, 11.0);
    assert_eq!(s.status(), "ready");
    assert!(s.record.is_some(), "what was sampled stays on the page");
}

fn painted(image: Vec<f32>, mask: Vec<f32>) -> Painted {
    Painted {
        empty: image.iter().all(|v| *v <= -1.0),
        image,
        mask,
    }
}

/// The edit the worker is asked for, and the chain's spec.
fn asked(s: &mut Session) -> Option<(zoo::EditSpec, zoo::ChainSpec)> {
    s.take_out().chain.into_iter().find_map(|m| match m {
        ToChain::Sample {
            edit: Some(edit),
            spec,
            ..
        } => Some((edit, spec)),
        _ => None,
    })
}

fn said(s: &mut Session, what: &str) -> bool {
    s.take_out().say.iter().any(|m| m.text.contains(what))
}

#[test]
fn edit_sends_the_drawing_at_the_strength_and_an_empty_drawing_is_a_warning() {
    let mut s = session("#widget=sampler&model=mnist-unet-cond&class=7&strength=0.4");
    let l = load(&mut s);
    loaded(&mut s, l, 1.0);
    s.take_out();
    s.apply(
        Cmd::Edit(EditKind::Sdedit, painted(vec![-1.0; 784], vec![0.0; 784])),
        2.0,
    );
    let out = s.take_out();
    assert!(
        out.chain.is_empty(),
        "nothing is asked of the worker for an empty drawing"
    );
    assert!(
        out.say
            .iter()
            .any(|m| m.text.contains("The drawing is empty"))
    );
    let mut drawing = vec![-1.0f32; 784];
    drawing[400] = 1.0;
    s.apply(
        Cmd::Edit(EditKind::Sdedit, painted(drawing.clone(), vec![0.0; 784])),
        3.0,
    );
    let (edit, spec) = asked(&mut s).expect("a chain is asked for");
    let zoo::EditSpec::Sdedit { image, strength } = edit else {
        panic!("SDEdit")
    };
    assert_eq!((image, strength), (drawing, 0.4));
    assert_eq!(spec.classes, vec![7; spec.n]);
    assert_eq!(s.status(), "sampling");
    // Sample afterwards samples from noise again
    s.apply(Cmd::Sample, 4.0);
    assert!(
        s.take_out()
            .chain
            .iter()
            .any(|m| matches!(m, ToChain::Sample { edit: None, .. }))
    );
}

#[test]
fn inpainting_needs_a_mask_that_keeps_something_and_inversion_says_its_error() {
    let mut s = session("#widget=sampler&model=mnist-unet-cond&class=8&jump=3&resample=4");
    let l = load(&mut s);
    loaded(&mut s, l, 1.0);
    s.take_out();
    let mut image = vec![-1.0f32; 784];
    image[300] = 1.0;
    s.apply(
        Cmd::Edit(EditKind::Inpaint, painted(image.clone(), vec![0.0; 784])),
        2.0,
    );
    assert!(said(&mut s, "The mask covers nothing"));
    s.apply(
        Cmd::Edit(EditKind::Inpaint, painted(image.clone(), vec![1.0; 784])),
        2.0,
    );
    assert!(said(&mut s, "The mask covers the whole image"));
    assert_eq!(s.status(), "ready", "neither ran");
    let mask: Vec<f32> = (0..784).map(|i| if i < 392 { 0.0 } else { 1.0 }).collect();
    s.apply(
        Cmd::Edit(EditKind::Inpaint, painted(image.clone(), mask.clone())),
        3.0,
    );
    let (edit, _) = asked(&mut s).expect("inpainting runs");
    let zoo::EditSpec::Inpaint {
        keep,
        jump,
        resample,
        ..
    } = edit
    else {
        panic!("inpainting")
    };
    assert_eq!((jump, resample), (3, 4));
    assert_eq!(keep, mask.iter().map(|m| 1.0 - m).collect::<Vec<_>>());
    // inversion: as class 8; the reconstruction's error is said when the chain ends
    s.apply(
        Cmd::Edit(EditKind::Invert, painted(image.clone(), vec![0.0; 784])),
        4.0,
    );
    let out = s.take_out();
    let run = run_of(&out);
    let Some(ToChain::Sample {
        edit: Some(zoo::EditSpec::Invert { class, .. }),
        ..
    }) = out
        .chain
        .iter()
        .find(|m| matches!(m, ToChain::Sample { .. }))
    else {
        panic!("an inversion")
    };
    assert_eq!(*class, Some(8));
    chain(&mut s, run, [2, 1, 28, 28]);
    // the chain's final images are all 0: the error is 1 where the image is ±1
    assert_eq!(s.inversion_error, Some((1.0, 1.0)));
    assert!(said(&mut s, "Inverted in"));
}

#[test]
fn interpolation_walks_between_the_last_two_images_clicked_in_a_sampled_grid() {
    let mut s = session("#widget=sampler&model=mnist-unet-cond&n=4&seed=5&sampler=ddim");
    let l = load(&mut s);
    loaded(&mut s, l, 1.0);
    s.take_out();
    s.apply(Cmd::Interpolate, 2.0);
    assert!(said(&mut s, "press Sample"), "no grid yet");
    s.apply(Cmd::Sample, 3.0);
    let run = run_of(&s.take_out());
    chain(&mut s, run, [4, 1, 28, 28]);
    s.take_out();
    s.apply(Cmd::Interpolate, 4.0);
    assert!(said(&mut s, "Click two images"));
    // clicks on images 1, 3 and 2 (a 2×2 grid of 28-pixel tiles with gaps): the last two count
    let grid = s.record.as_ref().unwrap().grid;
    for i in [1usize, 3, 2] {
        let (x, y) = grid.origin(i);
        s.apply(Cmd::Pick(x as f64 + 3.0, y as f64 + 3.0), 5.0);
    }
    assert_eq!(s.picked, vec![3, 2]);
    s.apply(Cmd::Interpolate, 6.0);
    let (edit, spec) = asked(&mut s).expect("an interpolation");
    let zoo::EditSpec::Interpolate { of, a, b, classes } = edit else {
        panic!("interpolation")
    };
    assert_eq!((of, a, b), (4, 3, 2));
    // "every class": image k is class k mod 10
    assert_eq!(classes, [Some(3), Some(2)]);
    assert_eq!((spec.seed, spec.sampler.as_str(), spec.n), (5, "ddim", 4));
    // a strip is not a grid to interpolate in
    let run = s.model.running().unwrap();
    chain(&mut s, run, [4, 1, 28, 28]);
    s.take_out();
    s.apply(Cmd::Interpolate, 7.0);
    assert!(said(&mut s, "press Sample"));
}

#[test]
fn a_noisy_grid_sampler_is_said_and_another_models_grid_is_refused() {
    let mut s = session("#widget=sampler&model=mnist-unet-cond&n=4&sampler=ddpm");
    let l = load(&mut s);
    loaded(&mut s, l, 1.0);
    s.apply(Cmd::Sample, 2.0);
    let run = run_of(&s.take_out());
    chain(&mut s, run, [4, 1, 28, 28]);
    let grid = s.record.as_ref().unwrap().grid;
    for i in [0usize, 1] {
        let (x, y) = grid.origin(i);
        s.apply(Cmd::Pick(x as f64 + 3.0, y as f64 + 3.0), 3.0);
    }
    s.take_out();
    s.apply(Cmd::Interpolate, 4.0);
    let out = s.take_out();
    assert!(
        out.say
            .iter()
            .any(|m| m.text.contains("ddpm) draws noise as it steps"))
    );
    assert!(
        out.chain
            .iter()
            .any(|m| matches!(m, ToChain::Sample { edit: Some(_), .. }))
    );
    // the same grid after another model is loaded: not this model's grid
    let run = s.model.running().unwrap();
    chain(&mut s, run, [4, 1, 28, 28]);
    s.apply(Cmd::Sample, 5.0);
    let run = run_of(&s.take_out());
    chain(&mut s, run, [4, 1, 28, 28]);
    for i in [0usize, 1] {
        let (x, y) = grid.origin(i);
        s.apply(Cmd::Pick(x as f64 + 3.0, y as f64 + 3.0), 6.0);
    }
    s.apply(Cmd::Set("model".into(), "mnist-scorenet-ve".into()), 7.0);
    let l = load(&mut s);
    loaded(&mut s, l, 8.0);
    s.take_out();
    s.apply(Cmd::Interpolate, 9.0);
    assert!(said(&mut s, "a grid this model sampled"));
}
