//! Our safetensors reader (`models::safetensors`) against Hugging Face's `safetensors` crate on
//! the shipped weights: the time to check a file's header and to decode every tensor to f32 (the
//! same f16/bf16 conversion after either), as a ratio in the same run; then the message each gives
//! for the same broken files. docs/reliability.md has the figures and the decision.
//!
//! `cargo run --release -p models --example safetensors_compare -- static/weights`

use std::time::Instant;

use half::{bf16, f16};

fn hf_decode(bytes: &[u8]) -> Result<usize, String> {
    let st = safetensors::SafeTensors::deserialize(bytes).map_err(|e| e.to_string())?;
    // kept, as a model's loader keeps them all until it builds the network
    let mut kept = std::collections::BTreeMap::new();
    for (name, view) in st.tensors() {
        let data = view.data();
        let values: Vec<f32> = match view.dtype() {
            safetensors::Dtype::F32 => data
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            safetensors::Dtype::F16 => data
                .chunks_exact(2)
                .map(|c| f16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
            safetensors::Dtype::BF16 => data
                .chunks_exact(2)
                .map(|c| bf16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
            other => return Err(format!("dtype {other:?}")),
        };
        kept.insert(name, (view.shape().to_vec(), values));
    }
    Ok(kept.values().map(|(_, v)| v.len()).sum())
}

fn ours_decode(bytes: &[u8]) -> Result<usize, String> {
    let st = models::safetensors::SafeTensors::parse(bytes).map_err(|e| e.to_string())?;
    Ok(st.tensors.values().map(|t| t.values.len()).sum())
}

/// Median milliseconds of `reps` runs of `f`.
fn time(reps: usize, mut f: impl FnMut()) -> f64 {
    let mut ms: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    ms[reps / 2]
}

fn main() {
    let dir = std::env::args().nth(1).unwrap_or("static/weights".into());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the weights folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "safetensors"))
        .collect();
    files.sort();
    println!(
        "| file | MB | header: ours / HF (ms) | ratio | decode to f32: ours / HF (ms) | ratio |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(ours_decode(&bytes).unwrap(), hf_decode(&bytes).unwrap());
        let reps = 21;
        let h_ours = time(reps, || {
            models::safetensors::Header::parse(&bytes).unwrap();
        });
        let h_hf = time(reps, || {
            safetensors::SafeTensors::read_metadata(&bytes).unwrap();
        });
        let d_ours = time(reps, || {
            ours_decode(&bytes).unwrap();
        });
        let d_hf = time(reps, || {
            hf_decode(&bytes).unwrap();
        });
        println!(
            "| {} | {:.1} | {h_ours:.3} / {h_hf:.3} | {:.2} | {d_ours:.1} / {d_hf:.1} | {:.2} |",
            path.file_name().unwrap().to_string_lossy(),
            bytes.len() as f64 / 1e6,
            h_ours / h_hf,
            d_ours / d_hf
        );
    }
    // the same broken files through both
    let good = std::fs::read(&files[0]).unwrap();
    let n = u64::from_le_bytes(good[..8].try_into().unwrap()) as usize;
    let mut bad: Vec<(&str, Vec<u8>)> = vec![
        (
            "an HTML error page",
            b"<!doctype html><title>404</title>".to_vec(),
        ),
        ("5 bytes", vec![1, 2, 3, 4, 5]),
        ("a header length past the file", {
            let mut b = good.clone();
            b[..8].copy_from_slice(&(1u64 << 40).to_le_bytes());
            b
        }),
        ("the file cut short", good[..good.len() - 100].to_vec()),
        ("the header's JSON broken", {
            let mut b = good.clone();
            b[8 + n / 2] = b'}';
            b
        }),
    ];
    let header = String::from_utf8_lossy(&good[8..8 + n]).into_owned();
    let mut retyped = good.clone();
    let swapped = header
        .replacen("\"F16\"", "\"I64\"", 1)
        .replacen("\"F32\"", "\"I64\"", 1);
    retyped[8..8 + n].copy_from_slice(swapped.as_bytes());
    bad.push(("a dtype neither reads as floats", retyped));
    println!();
    println!("| broken file | ours | HF's |");
    println!("| --- | --- | --- |");
    for (what, bytes) in bad {
        let ours = models::safetensors::Header::parse(&bytes)
            .and_then(|_| models::safetensors::SafeTensors::parse(&bytes))
            .err()
            .map_or("accepted".into(), |e| e.to_string());
        let hf = hf_decode(&bytes).err().unwrap_or("accepted".into());
        println!("| {what} | {ours} | {hf} |");
    }
}
