use diffusion::sampler::Options;
use zoo::{ChainSpec, EditSpec, Part, Process};

use super::*;
use crate::floats::Floats;

fn sample(run: u32, n: usize, sampler: &str, edit: Option<EditSpec>) -> ToChain {
    ToChain::Sample {
        run,
        process: Process::ddpm_linear(),
        spec: ChainSpec {
            sampler: sampler.into(),
            options: Options::default(),
            n,
            classes: Vec::new(),
            guidance: 0.0,
            seed: 1,
        },
        edit,
        part: None,
        half: None,
    }
}

fn started(run: u32, n: usize) -> FromChain {
    FromChain::Started {
        run,
        len: 3,
        shape: [n, 1, 2, 2],
        error: None,
    }
}

/// Step `index` of a part of `n` images whose every pixel byte is `byte` (and float `byte`).
fn frame(run: u32, index: usize, n: usize, byte: u8, last: bool) -> FromChain {
    FromChain::Frame {
        run,
        index,
        t: 0.5,
        xt: vec![byte; n * 4],
        x0: vec![byte + 100; n * 4],
        compute_ms: f64::from(byte),
        read_ms: 1.0,
        step_ms: 10.0 * f64::from(byte),
        last: last.then(|| Floats(vec![f32::from(byte); n * 4])),
    }
}

#[test]
fn one_worker_per_core_on_the_cpu_and_one_on_webgpu() {
    assert_eq!(size_for("cpu", 4), 4);
    assert_eq!(size_for("cpu", 0), 1, "a browser that says nothing: one");
    assert_eq!(size_for("cpu", 1), 1);
    assert_eq!(size_for("cpu", 64), MAX_WORKERS);
    assert_eq!(size_for("webgpu", 16), 1);
}

#[test]
fn a_grid_is_split_into_runs_of_consecutive_images() {
    let lens = |n, k| split(n, k).iter().map(|p| p.len).collect::<Vec<_>>();
    assert_eq!(lens(16, 3), [6, 5, 5]);
    assert_eq!(lens(2, 8), [1, 1]);
    assert_eq!(lens(1, 2), [1]);
    let parts = split(16, 3);
    assert_eq!(parts[1], Part { start: 6, len: 5 });
    assert_eq!(parts[2], Part { start: 11, len: 5 });
}

#[test]
fn a_load_goes_to_every_worker_and_is_done_when_all_have_built_it() {
    let mut pool = Pool::new(3);
    assert_eq!(
        pool.send(ToChain::Open {
            backend: "cpu".into()
        })
        .len(),
        3
    );
    assert!(
        pool.receive(1, FromChain::Opened { note: None })
            .0
            .is_empty()
    );
    assert!(
        pool.receive(0, FromChain::Opened { note: None })
            .0
            .is_empty()
    );
    let (heard, _) = pool.receive(
        2,
        FromChain::Opened {
            note: Some("cpu instead".into()),
        },
    );
    assert!(matches!(&heard[..], [FromChain::Opened { note: Some(n) }] if n == "cpu instead"));
    let load = |load| ToChain::Load {
        load,
        entry: test_entry(),
        bytes: vec![1, 2, 3],
    };
    let sent = pool.send(load(7));
    assert_eq!(sent.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [0, 1, 2]);
    let loaded = |error: Option<&str>| FromChain::Loaded {
        load: 7,
        classes: Some(11),
        error: error.map(String::from),
    };
    assert!(pool.receive(0, loaded(None)).0.is_empty());
    assert!(pool.receive(2, loaded(Some("out of memory"))).0.is_empty());
    let (heard, _) = pool.receive(1, loaded(None));
    assert!(
        matches!(&heard[..], [FromChain::Loaded { load: 7, classes: Some(11), error: Some(e) }] if e == "out of memory"),
        "one worker's failure is the load's"
    );
    // an answer to a load since replaced is not heard
    pool.send(load(8));
    assert!(pool.receive(0, loaded(None)).0.is_empty());
}

fn test_entry() -> zoo::Entry {
    zoo::Manifest::parse(include_str!("../../../../../static/weights/manifest.json"))
        .unwrap()
        .models[0]
        .clone()
}

#[test]
fn a_chain_is_sampled_in_parts_and_its_steps_glued_in_image_order() {
    let mut pool = Pool::new(2);
    let sent = pool.send(sample(4, 5, "dpm++2m", None));
    let parts: Vec<_> = sent
        .iter()
        .map(|(i, m)| match m {
            ToChain::Sample {
                part: Some(p),
                run: 4,
                ..
            } => (*i, p.start, p.len),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(parts, [(0, 0, 3), (1, 3, 2)]);
    assert_eq!(pool.split(), "parts");
    assert!(pool.receive(1, started(4, 2)).0.is_empty());
    let (heard, _) = pool.receive(0, started(4, 3));
    assert!(matches!(
        &heard[..],
        [FromChain::Started {
            run: 4,
            len: 3,
            shape: [5, 1, 2, 2],
            error: None
        }]
    ));
    // the second part is a step ahead: nothing is heard until the first has the step too
    assert!(pool.receive(1, frame(4, 0, 2, 2, false)).0.is_empty());
    assert!(pool.receive(1, frame(4, 1, 2, 2, true)).0.is_empty());
    let (heard, _) = pool.receive(0, frame(4, 0, 3, 1, false));
    let [
        FromChain::Frame {
            index: 0,
            xt,
            x0,
            compute_ms,
            step_ms,
            last: None,
            ..
        },
    ] = &heard[..]
    else {
        panic!("{heard:?}")
    };
    assert_eq!(xt[..], [vec![1u8; 12], vec![2u8; 8]].concat()[..]);
    assert_eq!(x0[..], [vec![101u8; 12], vec![102u8; 8]].concat()[..]);
    assert_eq!(
        (*compute_ms, *step_ms),
        (2.0, 20.0),
        "the slowest part's time"
    );
    let (heard, _) = pool.receive(0, frame(4, 1, 3, 1, true));
    let [
        FromChain::Frame {
            index: 1,
            last: Some(last),
            ..
        },
    ] = &heard[..]
    else {
        panic!("{heard:?}")
    };
    assert_eq!(last.0, [vec![1.0f32; 12], vec![2.0f32; 8]].concat());
}

#[test]
fn what_does_not_split_goes_to_the_first_worker_and_comes_back_as_it_is() {
    let mut pool = Pool::new(4);
    let interpolate = EditSpec::Interpolate {
        of: 4,
        a: 0,
        b: 1,
        classes: [None, None],
    };
    for msg in [
        sample(1, 8, "pc", None),
        sample(2, 8, "ddim", Some(interpolate)),
        sample(3, 1, "dpm++2m", None),
    ] {
        let run = match &msg {
            ToChain::Sample { run, .. } => *run,
            _ => unreachable!(),
        };
        let sent = pool.send(msg);
        assert!(
            matches!(&sent[..], [(0, ToChain::Sample { part: None, .. })]),
            "{sent:?}"
        );
        assert_eq!(pool.receive(0, started(run, 8)).0.len(), 1);
        assert_eq!(pool.receive(0, frame(run, 0, 8, 1, true)).0.len(), 1);
    }
    let classify = ToChain::Classify {
        run: 3,
        images: Floats(vec![0.0; 4]),
        shape: [1, 1, 2, 2],
    };
    for msg in [classify, ToChain::Crash, ToChain::LoseDevice] {
        assert!(matches!(&pool.send(msg)[..], [(0, _)]));
    }
}

#[test]
fn a_failing_part_stops_the_chain_once_and_the_other_parts_with_it() {
    let mut pool = Pool::new(2);
    pool.send(sample(5, 4, "ddpm", None));
    pool.receive(0, started(5, 2));
    pool.receive(1, started(5, 2));
    let stopped = |run| FromChain::Stopped {
        run,
        message: "Sampling failed: out of memory.".into(),
    };
    let (heard, tell) = pool.receive(1, stopped(5));
    assert!(matches!(&heard[..], [FromChain::Stopped { run: 5, .. }]));
    assert_eq!(tell.len(), 2);
    assert!(
        tell.iter()
            .all(|(_, m)| matches!(m, ToChain::Stop { run: 5 }))
    );
    assert!(pool.receive(0, stopped(5)).0.is_empty(), "said once");
    // a part that cannot start: the chain cannot
    pool.send(sample(6, 4, "ddpm", None));
    pool.receive(0, started(6, 2));
    let (heard, tell) = pool.receive(
        1,
        FromChain::Started {
            run: 6,
            len: 0,
            shape: [0; 4],
            error: Some("no model is loaded".into()),
        },
    );
    assert!(matches!(
        &heard[..],
        [FromChain::Started {
            run: 6,
            error: Some(_),
            ..
        }]
    ));
    assert_eq!(tell.len(), 2);
    // stopping a chain stops every part
    pool.send(sample(7, 4, "ddpm", None));
    assert_eq!(pool.send(ToChain::Stop { run: 7 }).len(), 2);
}

/// A guided chain of one image (or of a sampler that reads the whole batch) on two or more
/// workers: split by halves. The first two workers each get the whole chain and a half (they pass
/// their halves to each other through their pipe, not through the pool); the first one's steps
/// are the chain's; a failure of either stops both. A pool whose workers have no pipe does not
/// split this way.
#[test]
fn a_guided_chain_that_does_not_split_by_images_splits_by_halves() {
    let guided = |run, n, sampler: &str| {
        let mut msg = sample(run, n, sampler, None);
        if let ToChain::Sample { spec, .. } = &mut msg {
            spec.classes = vec![3; n];
            spec.guidance = 2.0;
        }
        msg
    };
    let mut pool = Pool::new(3);
    let sent = pool.send(guided(9, 1, "dpm++2m"));
    let halves: Vec<_> = sent
        .iter()
        .map(|(i, m)| match m {
            ToChain::Sample {
                run: 9,
                part: None,
                half: Some(h),
                ..
            } => (*i, *h),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(halves, [(0, Half::Cond), (1, Half::Uncond)]);
    assert_eq!(pool.split(), "halves");
    assert!(pool.receive(1, started(9, 1)).0.is_empty());
    let (heard, _) = pool.receive(0, started(9, 1));
    assert!(
        matches!(
            &heard[..],
            [FromChain::Started {
                run: 9,
                shape: [1, 1, 2, 2],
                error: None,
                ..
            }]
        ),
        "{heard:?}"
    );
    // the first worker's steps are the chain's
    let (heard, _) = pool.receive(0, frame(9, 0, 1, 1, false));
    assert!(
        matches!(&heard[..], [FromChain::Frame { index: 0, .. }]),
        "{heard:?}"
    );
    assert!(pool.receive(1, frame(9, 0, 1, 1, false)).0.is_empty());
    // either stopping stops both
    let (heard, tell) = pool.receive(
        1,
        FromChain::Stopped {
            run: 9,
            message: "Sampling failed.".into(),
        },
    );
    assert_eq!(heard.len(), 1);
    assert!(
        tell.iter()
            .all(|(_, m)| matches!(m, ToChain::Stop { run: 9 }))
    );
    // a whole-batch sampler's grid splits by halves too; unguided, or an edit, or on one worker,
    // it goes to the first worker whole
    assert_eq!(pool.send(guided(10, 4, "pc")).len(), 2);
    assert!(matches!(
        &pool.send(sample(11, 1, "dpm++2m", None))[..],
        [(0, ToChain::Sample { half: None, .. })]
    ));
    let mut one = Pool::new(1);
    assert!(matches!(
        &one.send(guided(12, 1, "dpm++2m"))[..],
        [(0, ToChain::Sample { half: None, .. })]
    ));
    assert_eq!(one.split(), "whole");
    // workers without a pipe between them cannot pass halves: the chain runs whole
    let mut unpiped = Pool::new(2).unpiped();
    assert!(matches!(
        &unpiped.send(guided(13, 1, "dpm++2m"))[..],
        [(0, ToChain::Sample { half: None, .. })]
    ));
    assert_eq!(unpiped.split(), "whole");
}
