//! diffusers parity: every fixture in tests/fixtures/diffusers is replayed from its x_T and
//! recorded noise, step by step, to ≤ 1e-4 absolute (f32).

use burn::prelude::*;
use diffuse::conformance::{Case, ConformanceError, run};

fn fixtures() -> Vec<(String, String)> {
    // read when the test runs: a build reused from another checkout path keeps its own
    let root =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    let dir = format!("{root}/../../tests/fixtures/diffusers");
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {dir}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter(|p| {
            !p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("schedules")
                && !p.to_string_lossy().contains("config")
        })
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
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
        "expected the 11 diffusers fixtures, found {}",
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
        .unwrap();
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
    for (edit, needle) in [
        (
            Box::new(|s: &mut serde_json::Value| s["eta"] = 1.5.into())
                as Box<dyn Fn(&mut serde_json::Value)>,
            "eta",
        ),
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
    ] {
        let e = Case::parse(&with_scheduler(edit))
            .and_then(|c| run(&c, &Device::flex()))
            .unwrap_err()
            .to_string();
        assert!(e.contains(needle), "{e} (wanted {needle})");
    }
}

#[test]
fn the_command_prints_one_line_per_file_and_fails_over_tolerance() {
    let files: Vec<String> = fixtures().into_iter().map(|(p, _)| p).collect();
    let bin = env!("CARGO_BIN_EXE_diffuse");
    let ok = std::process::Command::new(bin)
        .arg("conformance")
        .args(&files)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(stdout.lines().count(), files.len(), "{stdout}");
    assert!(
        stdout
            .lines()
            .all(|l| l.contains(" max_abs_err=") && l.contains(" steps=")),
        "{stdout}"
    );

    let strict = std::process::Command::new(bin)
        .args(["conformance", "--tol", "1e-12"])
        .args(&files)
        .output()
        .unwrap();
    assert!(!strict.status.success());
    let missing = std::process::Command::new(bin)
        .args(["conformance", "/nonexistent.json"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read /nonexistent.json"));
}
