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
        matches!(out.chain[..], [ToChain::LoadClassifier { .. }, ToChain::Classify { run: r }] if r == run)
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

#[test]
fn edit_sends_the_drawing_at_the_strength_and_an_empty_drawing_is_a_warning() {
    let mut s = session("#widget=sampler&model=mnist-unet-cond&class=7&strength=0.4");
    let l = load(&mut s);
    loaded(&mut s, l, 1.0);
    s.take_out();
    s.apply(Cmd::Edit(vec![-1.0; 784]), 2.0);
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
    s.apply(Cmd::Edit(drawing.clone()), 3.0);
    let edit = s.take_out().chain.into_iter().find_map(|m| match m {
        ToChain::Sample { edit, spec, .. } => Some((edit, spec)),
        _ => None,
    });
    let (edit, spec) = edit.expect("a chain is asked for");
    let edit = edit.expect("an edit");
    assert_eq!((edit.image, edit.strength), (drawing, 0.4));
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
