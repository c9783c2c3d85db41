//! The fuzz targets' smoke run in the test command: every input that once broke a target
//! (`fuzz/regressions/<target>/`, each kept as a regression test), every seed
//! (`fuzz/seeds/<target>/`), and for a few seconds per target random mutations of the seeds (bit
//! flips, byte changes, cuts, splices, repeats), with a fixed seed so a failure repeats. The long
//! runs are cargo-fuzz's (`scripts/fuzz.sh`); this catches a parser change that breaks at once.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Seconds of mutations per target (`FUZZ_SMOKE_SECS` overrides).
const SECS: f64 = 2.0;
/// An input that takes longer than this (seconds, in the debug profile) is a hang.
const SLOW: f64 = 1.0;

fn dir(kind: &str, target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz")
        .join(kind)
        .join(target)
}

fn files(kind: &str, target: &str) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir(kind, target)) else {
        return Vec::new();
    };
    let mut out: Vec<(String, Vec<u8>)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// xorshift64*: the mutations' randomness, seeded per target.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One random change of `input`, now and then spliced with `other`.
fn mutate(input: &mut Vec<u8>, other: &[u8], rng: &mut Rng) {
    const SPECIAL: [u8; 8] = [0, 0xff, 0x7f, 0x80, b'"', b'{', b'9', b'&'];
    let n = input.len();
    match rng.below(7) {
        0 if n > 0 => {
            let i = rng.below(n);
            input[i] ^= 1 << rng.below(8);
        }
        1 if n > 0 => {
            let i = rng.below(n);
            input[i] = SPECIAL[rng.below(SPECIAL.len())];
        }
        2 if n > 0 => input.truncate(rng.below(n)),
        3 if n > 0 => {
            let (a, b) = (rng.below(n), rng.below(n));
            let (a, b) = (a.min(b), a.max(b));
            input.drain(a..b);
        }
        4 if !other.is_empty() => {
            let at = rng.below(n + 1);
            let from = rng.below(other.len());
            let len = rng.below(other.len() - from + 1).min(64);
            input.splice(at..at, other[from..from + len].iter().copied());
        }
        5 if n > 0 && n < 1 << 20 => {
            let (a, len) = (rng.below(n), 1 + rng.below(16));
            let piece: Vec<u8> = input[a..(a + len).min(n)].to_vec();
            input.splice(a..a, piece.repeat(1 + rng.below(4)));
        }
        _ => {
            let i = rng.below(n + 1);
            input.insert(i, rng.next() as u8);
        }
    }
}

#[test]
fn every_target_survives_its_regressions_its_seeds_and_a_mutation_smoke() {
    let secs = std::env::var("FUZZ_SMOKE_SECS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(SECS);
    for (name, run) in fuzzing::TARGETS {
        for (file, bytes) in files("regressions", name) {
            eprintln!("{name}: regression {file}");
            run(&bytes);
        }
        let seeds = files("seeds", name);
        assert!(
            !seeds.is_empty(),
            "{name} has no seeds in fuzz/seeds/{name}/"
        );
        for (_, bytes) in &seeds {
            run(bytes);
        }
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ name.len() as u64 * 7919);
        let (start, mut runs) = (Instant::now(), 0u64);
        while start.elapsed() < Duration::from_secs_f64(secs) {
            let (_, seed) = &seeds[rng.below(seeds.len())];
            let (_, other) = &seeds[rng.below(seeds.len())];
            let mut input = seed.clone();
            for _ in 0..1 + rng.below(8) {
                mutate(&mut input, other, &mut rng);
            }
            let t0 = Instant::now();
            let outcome = std::panic::catch_unwind(|| run(&input));
            let took = t0.elapsed().as_secs_f64();
            if outcome.is_err() || took > SLOW {
                let path = std::env::temp_dir().join(format!("fuzz-smoke-{name}"));
                std::fs::write(&path, &input).unwrap();
                panic!(
                    "{name} {} on a mutated seed, written to {} (add it to fuzz/regressions/{name}/ once fixed)",
                    if outcome.is_err() {
                        "broke".to_string()
                    } else {
                        format!("took {took:.1} s")
                    },
                    path.display()
                );
            }
            runs += 1;
        }
        eprintln!(
            "{name}: {runs} mutated inputs in {:.1} s",
            start.elapsed().as_secs_f64()
        );
    }
}
