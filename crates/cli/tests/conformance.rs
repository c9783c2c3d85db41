//! The `conformance` command: one line per fixture, a failing exit over the tolerance or on a
//! file it cannot read. The replay itself is tested with the samplers (`diffusion`'s
//! tests/conformance.rs).

/// The trajectory fixtures (not the `schedules` table or the tiny U-Nets), sorted.
fn fixtures() -> Vec<String> {
    // read when the test runs: a build reused from another checkout path keeps its own
    let root =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    let dir = format!("{root}/../../tests/fixtures/diffusers");
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {dir}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            name.ends_with(".json") && !name.starts_with("schedules") && !name.contains("unet")
        })
        .map(|p| p.display().to_string())
        .collect();
    out.sort();
    out
}

#[test]
fn the_command_prints_one_line_per_file_and_fails_over_tolerance() {
    let files = fixtures();
    assert!(
        files.len() >= 11,
        "expected the 11 diffusers trajectories, found {files:?}"
    );
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
