//! diffusers parity: every trajectory fixture in tests/fixtures/diffusers is replayed from its x_T
//! and recorded noise, step by step, to ≤ 1e-4 absolute (f32). The `schedules` fixture (tested in
//! `schedule.rs`) and the tiny U-Nets (tested by `models` and `zoo`) are not trajectories.

use burn::prelude::*;
use diffusion::conformance::{Case, ConformanceError, run};

fn fixture_dir() -> String {
    // read when the test runs: a build reused from another checkout path keeps its own
    let root =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    format!("{root}/../../tests/fixtures/diffusers")
}

/// (path, text) of every trajectory fixture, sorted by path.
fn fixtures() -> Vec<(String, String)> {
    let dir = fixture_dir();
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| {
        panic!(
            "reading the diffusers fixtures in {dir}: {e} (they are part of the repository; \
             run the tests from a full checkout, with CARGO_MANIFEST_DIR naming crates/diffusion)"
        )
    });
    let mut out: Vec<_> = entries
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            name.ends_with(".json") && !name.starts_with("schedules") && !name.contains("unet")
        })
        .map(|p| {
            let text = std::fs::read_to_string(&p)
                .unwrap_or_else(|e| panic!("reading {}: {e}", p.display()));
            (p.display().to_string(), text)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_diffusers_trajectory_is_reproduced() {
    let cases = fixtures();
    assert!(
        cases.len() >= 11,
        "expected the 11 diffusers trajectories in {}, found {}",
        fixture_dir(),
        cases.len()
    );
    let mut kinds = std::collections::BTreeSet::new();
    for (path, text) in &cases {
        let case = Case::parse(text).unwrap_or_else(|e| panic!("{path}: {e}"));
        kinds.insert(case.kind.clone());
        let r = run(&case, &Device::flex()).unwrap_or_else(|e| panic!("{path}: {e}"));
        println!(
            "{} max_abs_err={:.3e} steps={}",
            r.name, r.max_abs_err, r.steps
        );
        assert!(
            r.max_abs_err <= 1e-4,
            "{}: max abs err {:e}",
            r.name,
            r.max_abs_err
        );
        assert!(r.ignored.is_empty(), "{}: ignored {:?}", r.name, r.ignored);
    }
    let want = [
        "ddim",
        "ddpm",
        "dpmpp_2m",
        "euler",
        "euler_ancestral",
        "heun",
        "score_sde_ve_pc",
    ];
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), want);
}

fn with_scheduler(edit: impl Fn(&mut serde_json::Value)) -> String {
    let (_, text) = fixtures()
        .into_iter()
        .find(|(p, _)| p.contains("ddim_eta0_50"))
        .expect("the ddim_eta0_50 fixture");
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    edit(&mut v["scheduler"]);
    v.to_string()
}

#[test]
fn unknown_kind_and_malformed_files_are_clear_errors() {
    let e = Case::parse(&with_scheduler(|s| s["kind"] = "plms".into()))
        .and_then(|c| run(&c, &Device::flex()))
        .unwrap_err();
    assert!(
        matches!(e, ConformanceError::UnknownKind(ref k) if k == "plms"),
        "{e}"
    );
    assert!(e.to_string().contains("known:"), "{e}");

    for (text, needle) in [
        ("not json", "not valid JSON"),
        ("{}", "missing field “scheduler”"),
        (
            r#"{"scheduler": {"kind": "ddim"}, "prediction": "epsilon", "model": {"mean": [0, 0], "std": 1}, "x_T": [[1, 2], [3]]}"#,
            "rows of different lengths",
        ),
    ] {
        let e = Case::parse(text).unwrap_err().to_string();
        assert!(e.contains(needle), "{e} (wanted {needle})");
    }
}

#[test]
fn bad_config_values_are_refused_not_ignored() {
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: [(Edit, &str); 5] = [
        (Box::new(|s| s["eta"] = 1.5.into()), "eta"),
        (Box::new(|s| s["steps"] = 0.into()), "0 sampling steps"),
        (
            Box::new(|s| s["timestep_spacing"] = "sideways".into()),
            "timestep spacing",
        ),
        (
            Box::new(|s| s["rescale_betas_zero_snr"] = true.into()),
            "zero-SNR",
        ),
        (
            Box::new(|s| s["beta_schedule"] = "sigmoid".into()),
            "beta_schedule",
        ),
    ];
    for (edit, needle) in cases {
        let e = Case::parse(&with_scheduler(edit))
            .and_then(|c| run(&c, &Device::flex()))
            .unwrap_err()
            .to_string();
        assert!(e.contains(needle), "{e} (wanted {needle})");
    }
}
