//! The IDX format of MNIST: a big-endian magic (0x0803 images, 0x0801 labels), big-endian u32
//! dimensions, then u8 values. Files may be gzipped (detected by their first two bytes).

use std::io::Read;
use std::path::Path;

use crate::{DataError, Images};

/// The most values an IDX file may hold (MNIST's training images: 47 M). A file over it, or a
/// header that claims more, is refused before anything of that size is read or unpacked.
pub const MAX_IDX_BYTES: u64 = 1 << 30;

fn read_maybe_gz(path: &Path, dims: usize) -> Result<Vec<u8>, DataError> {
    let p = path.display().to_string();
    let io = |source| DataError::Io {
        path: p.clone(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > MAX_IDX_BYTES + 4 + 4 * dims as u64 {
        return Err(DataError::malformed(
            &p,
            format!(
                "it is {size} bytes, more than an IDX file of at most {} MiB of values",
                MAX_IDX_BYTES >> 20
            ),
        ));
    }
    let raw = std::fs::read(path).map_err(io)?;
    gunzip_if(raw, dims, &p)
}

/// The number of values a header of `dims` dimensions claims, if it can be held.
fn claimed(head: &[u8], dims: usize) -> Option<u64> {
    (0..dims)
        .map(|i| be_u32(head, 4 + 4 * i) as u64)
        .try_fold(1u64, |n, d| n.checked_mul(d))
        .filter(|&n| n <= MAX_IDX_BYTES)
}

/// The bytes, or what they hold when they are gzipped (detected by their first two bytes):
/// the header, then no more than one byte past the values it claims, so a gzip bomb (a stream
/// that unpacks to a thousand times its size) stops there.
fn gunzip_if(raw: Vec<u8>, dims: usize, origin: &str) -> Result<Vec<u8>, DataError> {
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return Ok(raw);
    }
    let bad = |e: std::io::Error| DataError::malformed(origin, format!("bad gzip data ({e})"));
    let mut stream = flate2::read::GzDecoder::new(raw.as_slice());
    let head = 4 + 4 * dims;
    let mut out = Vec::with_capacity(head);
    (&mut stream)
        .take(head as u64)
        .read_to_end(&mut out)
        .map_err(bad)?;
    if out.len() < head {
        // too short for a header: the parser says so
        return Ok(out);
    }
    let Some(count) = claimed(&out, dims) else {
        let shape: Vec<u32> = (0..dims).map(|i| be_u32(&out, 4 + 4 * i)).collect();
        return Err(DataError::malformed(
            origin,
            format!(
                "header says {shape:?}: more than the {} MiB of values an IDX file may hold",
                MAX_IDX_BYTES >> 20
            ),
        ));
    };
    stream.take(count + 1).read_to_end(&mut out).map_err(bad)?;
    Ok(out)
}

/// An IDX file's bytes (gzipped or not) with `dims` dimensions (3: images, 1: labels), named
/// `origin` in messages: its dimensions and values. What the file readers run, for any bytes.
pub fn parse_idx(
    bytes: &[u8],
    dims: usize,
    origin: &str,
) -> Result<(Vec<usize>, Vec<u8>), DataError> {
    parse(&gunzip_if(bytes.to_vec(), dims, origin)?, dims, origin)
}

fn be_u32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Parses IDX bytes with `dims` dimensions; returns the dimensions and the values.
fn parse(bytes: &[u8], dims: usize, path: &str) -> Result<(Vec<usize>, Vec<u8>), DataError> {
    let head = 4 + 4 * dims;
    if bytes.len() < head {
        return Err(DataError::malformed(
            path,
            format!("{} bytes, shorter than an IDX header", bytes.len()),
        ));
    }
    let magic = be_u32(bytes, 0);
    let want = 0x0800 | dims as u32;
    if magic != want {
        return Err(DataError::malformed(
            path,
            format!("bad magic 0x{magic:08x}, expected 0x{want:08x} (u8 data, {dims} dimensions)"),
        ));
    }
    let shape: Vec<usize> = (0..dims)
        .map(|i| be_u32(bytes, 4 + 4 * i) as usize)
        .collect();
    let Some(count) = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d)) else {
        return Err(DataError::malformed(
            path,
            format!("header says {shape:?}: more values than any file holds"),
        ));
    };
    let body = &bytes[head..];
    if body.len() > count {
        return Err(DataError::malformed(
            path,
            format!("header says {shape:?} = {count} values, the file holds more (a wrong file?)"),
        ));
    }
    if body.len() != count {
        return Err(DataError::malformed(
            path,
            format!(
                "header says {shape:?} = {count} values, the file has {} (truncated or wrong file?)",
                body.len()
            ),
        ));
    }
    Ok((shape, body.to_vec()))
}

/// Reads an IDX image file (N×H×W, u8) as single-channel images without labels.
pub fn read_idx_images(path: &Path) -> Result<(usize, usize, usize, Vec<u8>), DataError> {
    let p = path.display().to_string();
    let (shape, pixels) = parse(&read_maybe_gz(path, 3)?, 3, &p)?;
    Ok((shape[0], shape[1], shape[2], pixels))
}

/// Reads an IDX label file (N, u8).
pub fn read_idx_labels(path: &Path) -> Result<Vec<u8>, DataError> {
    let p = path.display().to_string();
    let (_, labels) = parse(&read_maybe_gz(path, 1)?, 1, &p)?;
    if let Some(bad) = labels.iter().find(|&&l| l > 9) {
        return Err(DataError::malformed(
            &p,
            format!("label {bad} is not a digit"),
        ));
    }
    Ok(labels)
}

/// Reads one MNIST split from `dir`: `split` is "train" or "t10k".
pub fn read_mnist(dir: &Path, split: &str) -> Result<Images, DataError> {
    let find = |stem: &str| {
        let plain = dir.join(format!("{split}-{stem}"));
        let gz = dir.join(format!("{split}-{stem}.gz"));
        if gz.exists() { gz } else { plain }
    };
    let (n, h, w, pixels) = read_idx_images(&find("images-idx3-ubyte"))?;
    let labels = read_idx_labels(&find("labels-idx1-ubyte"))?;
    if labels.len() != n {
        return Err(DataError::malformed(
            &dir.display().to_string(),
            format!("{n} images but {} labels in split {split}", labels.len()),
        ));
    }
    Ok(Images {
        channels: 1,
        height: h,
        width: w,
        pixels,
        labels,
        classes: (0..10).map(|d| d.to_string()).collect(),
    })
}

/// Encodes u8 values of shape `dims` as an IDX file (the inverse of the readers; used to make
/// small data sets for tests).
pub fn encode_idx(dims: &[u32], body: &[u8]) -> Vec<u8> {
    let mut b = (0x0800u32 | dims.len() as u32).to_be_bytes().to_vec();
    for d in dims {
        b.extend_from_slice(&d.to_be_bytes());
    }
    b.extend_from_slice(body);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx(magic: u32, dims: &[u32], body: &[u8]) -> Vec<u8> {
        let mut b = encode_idx(dims, body);
        b[..4].copy_from_slice(&magic.to_be_bytes());
        b
    }

    #[test]
    fn reads_plain_and_gzipped_files_and_refuses_malformed_ones() {
        let dir = std::env::temp_dir().join(format!("idx-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pixels: Vec<u8> = (0..2 * 3 * 2).map(|i| i as u8 * 10).collect();
        std::fs::write(
            dir.join("train-images-idx3-ubyte"),
            idx(0x803, &[2, 3, 2], &pixels),
        )
        .unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, &idx(0x801, &[2], &[7, 1])).unwrap();
        std::fs::write(dir.join("train-labels-idx1-ubyte.gz"), gz.finish().unwrap()).unwrap();
        let m = read_mnist(&dir, "train").unwrap();
        assert_eq!((m.len(), m.channels, m.height, m.width), (2, 1, 3, 2));
        assert_eq!(m.pixels, pixels);
        assert_eq!(m.labels, vec![7, 1]);
        assert_eq!(m.batch_f32(&[1])[0], 60.0 / 127.5 - 1.0);

        let bad = dir.join("bad");
        std::fs::write(&bad, idx(0x802, &[2, 3, 2], &pixels)).unwrap();
        let e = read_idx_images(&bad).unwrap_err().to_string();
        assert!(e.contains("bad magic"), "{e}");
        std::fs::write(&bad, idx(0x803, &[2, 3, 2], &pixels[..7])).unwrap();
        let e = read_idx_images(&bad).unwrap_err().to_string();
        assert!(e.contains("truncated"), "{e}");
        std::fs::write(&bad, [0u8, 0, 8]).unwrap();
        assert!(
            read_idx_images(&bad)
                .unwrap_err()
                .to_string()
                .contains("shorter")
        );
        std::fs::write(&bad, [0x1f, 0x8b, 1, 2, 3]).unwrap();
        assert!(
            read_idx_images(&bad)
                .unwrap_err()
                .to_string()
                .contains("gzip")
        );
        std::fs::write(
            dir.join("t10k-images-idx3-ubyte"),
            idx(0x803, &[2, 3, 2], &pixels),
        )
        .unwrap();
        std::fs::write(
            dir.join("t10k-labels-idx1-ubyte"),
            idx(0x801, &[3], &[1, 2, 3]),
        )
        .unwrap();
        assert!(
            read_mnist(&dir, "t10k")
                .unwrap_err()
                .to_string()
                .contains("2 images but 3 labels")
        );
        assert!(matches!(
            read_mnist(&dir, "nope"),
            Err(DataError::Io { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn dimensions_whose_product_overflows_are_refused() {
        // found by the fuzz smoke (fuzz/regressions/idx/dims-overflow): 0x9200 × 0x1000008 ×
        // 0x3000000 is past u64 (a debug build panicked, a release one wrapped)
        let mut bytes = encode_idx(&[0x9200, 0x0100_0008, 0x0300_0000], &[]);
        bytes.extend([0x10, 0x20, 0x30]);
        let e = parse_idx(&bytes, 3, "x").unwrap_err().to_string();
        assert!(e.contains("more values than any file holds"), "{e}");
    }
}
