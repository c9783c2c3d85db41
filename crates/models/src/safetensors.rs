//! The safetensors format, read and written by hand so every malformed file gets its own message:
//! 8 bytes little-endian header length N, N bytes of JSON `{name: {dtype, shape, data_offsets},
//! "__metadata__": {..}}`, then the raw little-endian tensor bytes.

use std::collections::BTreeMap;

use half::{bf16, f16};
use serde_json::{Map, Value, json};

use crate::ModelError;

/// Element types this crate reads (all are returned as f32) and writes (F32, F16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    F32,
    F16,
    BF16,
}

impl Dtype {
    pub fn size(self) -> usize {
        match self {
            Dtype::F32 => 4,
            Dtype::F16 | Dtype::BF16 => 2,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Dtype::F32 => "F32",
            Dtype::F16 => "F16",
            Dtype::BF16 => "BF16",
        }
    }
    fn parse(name: &str) -> Option<Self> {
        match name {
            "F32" => Some(Dtype::F32),
            "F16" => Some(Dtype::F16),
            "BF16" => Some(Dtype::BF16),
            _ => None,
        }
    }
}

/// One tensor of a parsed file, decoded to f32.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorF32 {
    pub shape: Vec<usize>,
    pub values: Vec<f32>,
}

/// A parsed safetensors file: every tensor decoded to f32, plus the metadata strings.
#[derive(Debug, Clone, Default)]
pub struct SafeTensors {
    pub tensors: BTreeMap<String, TensorF32>,
    pub dtypes: BTreeMap<String, Dtype>,
    pub metadata: BTreeMap<String, String>,
}

fn bad(msg: impl Into<String>) -> ModelError {
    ModelError::NotSafetensors(msg.into())
}

/// One tensor as a checked header describes it: its dtype, shape and bytes in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    pub dtype: Dtype,
    pub shape: Vec<usize>,
    pub bytes: std::ops::Range<usize>,
}

impl TensorInfo {
    pub fn count(&self) -> usize {
        self.shape.iter().product()
    }
}

/// A file's header, checked against the file without decoding a tensor: what a caller needs to
/// know of a large file before (or instead of) decoding it.
#[derive(Debug, Clone, Default)]
pub struct Header {
    pub tensors: BTreeMap<String, TensorInfo>,
    pub metadata: BTreeMap<String, String>,
}

impl Header {
    /// Parses the header of a whole file. Checks the header length, the JSON, every entry's
    /// dtype, shape and byte range, and that the file holds all the bytes the header describes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ModelError> {
        if bytes.len() >= 1 && (bytes[0] == b'<' || bytes.starts_with(b"\xef\xbb\xbf<")) {
            return Err(bad(
                "it looks like an HTML page (a wrong URL or a server error page?)",
            ));
        }
        if bytes.len() < 8 {
            return Err(bad(format!(
                "only {} bytes, too short for a header",
                bytes.len()
            )));
        }
        let n = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"));
        if n > 100_000_000 {
            return Err(bad(format!("the header length {n} is implausible")));
        }
        let n = n as usize; // ≤ 10⁸: fits a usize on every target, wasm32 included
        if bytes.len() < 8 + n {
            return Err(ModelError::Truncated {
                expected: 8 + n,
                got: bytes.len(),
            });
        }
        let header: Value = serde_json::from_slice(&bytes[8..8 + n])
            .map_err(|e| bad(format!("its header is not valid JSON ({e})")))?;
        let Value::Object(header) = header else {
            return Err(bad("its header is not a JSON object"));
        };
        let data = 8 + n;
        let mut out = Header::default();
        for (key, entry) in header {
            if key == "__metadata__" {
                if let Value::Object(m) = entry {
                    for (k, v) in m {
                        if let Value::String(s) = v {
                            out.metadata.insert(k, s);
                        }
                    }
                }
                continue;
            }
            let dtype_name = entry["dtype"]
                .as_str()
                .ok_or_else(|| bad(format!("'{key}' has no dtype")))?;
            let dtype = Dtype::parse(dtype_name).ok_or_else(|| ModelError::Dtype {
                key: key.clone(),
                dtype: dtype_name.to_string(),
            })?;
            let shape: Vec<usize> = entry["shape"]
                .as_array()
                .and_then(|a| a.iter().map(|d| as_usize(d)).collect())
                .ok_or_else(|| bad(format!("'{key}' has no valid shape")))?;
            let offsets: Vec<usize> = entry["data_offsets"]
                .as_array()
                .and_then(|a| a.iter().map(|d| as_usize(d)).collect())
                .filter(|o: &Vec<usize>| o.len() == 2 && o[0] <= o[1])
                .ok_or_else(|| bad(format!("'{key}' has no valid data_offsets")))?;
            let count = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
            let want = count.and_then(|c| c.checked_mul(dtype.size()));
            if want != Some(offsets[1] - offsets[0]) {
                return Err(bad(format!(
                    "'{key}' claims shape {shape:?} in {dtype_name} but spans {} bytes",
                    offsets[1] - offsets[0]
                )));
            }
            if offsets[1] > bytes.len() - data {
                return Err(ModelError::Truncated {
                    expected: data + offsets[1],
                    got: bytes.len(),
                });
            }
            let range = data + offsets[0]..data + offsets[1];
            out.tensors.insert(
                key,
                TensorInfo {
                    dtype,
                    shape,
                    bytes: range,
                },
            );
        }
        Ok(out)
    }

    /// Parameters in all tensors (each tensor's bytes lie within the file, so this cannot
    /// overflow).
    pub fn params(&self) -> usize {
        self.tensors.values().map(TensorInfo::count).sum()
    }
}

impl SafeTensors {
    /// Parses and decodes a whole file ([`Header::parse`]'s checks, then every tensor to f32).
    pub fn parse(bytes: &[u8]) -> Result<Self, ModelError> {
        let header = Header::parse(bytes)?;
        let mut out = SafeTensors {
            metadata: header.metadata,
            ..SafeTensors::default()
        };
        for (key, info) in header.tensors {
            let values = decode(&bytes[info.bytes], info.dtype);
            out.dtypes.insert(key.clone(), info.dtype);
            out.tensors.insert(
                key,
                TensorF32 {
                    shape: info.shape,
                    values,
                },
            );
        }
        Ok(out)
    }

    /// Serialises tensors in `dtype` (F32 or F16; BF16 also accepted), keys sorted, header padded
    /// to a multiple of 8 bytes as the reference implementation does.
    pub fn to_bytes(&self, dtype: Dtype) -> Vec<u8> {
        self.to_bytes_keeping_f32(dtype, &[])
    }

    /// As [`SafeTensors::to_bytes`], but the tensors named in `keep_f32` stay F32 (values whose
    /// precision matters more than their size, e.g. large fixed Fourier frequencies).
    pub fn to_bytes_keeping_f32(&self, dtype: Dtype, keep_f32: &[&str]) -> Vec<u8> {
        let mut header = Map::new();
        if !self.metadata.is_empty() {
            header.insert("__metadata__".into(), json!(self.metadata));
        }
        let mut body = Vec::new();
        for (key, t) in &self.tensors {
            let start = body.len();
            let dtype = if keep_f32.contains(&key.as_str()) {
                Dtype::F32
            } else {
                dtype
            };
            encode(&t.values, dtype, &mut body);
            header.insert(
                key.clone(),
                json!({"dtype": dtype.name(), "shape": t.shape, "data_offsets": [start, body.len()]}),
            );
        }
        let mut head = serde_json::to_vec(&Value::Object(header)).expect("json");
        while head.len() % 8 != 0 {
            head.push(b' ');
        }
        let mut out = Vec::with_capacity(8 + head.len() + body.len());
        out.extend_from_slice(&(head.len() as u64).to_le_bytes());
        out.extend_from_slice(&head);
        out.extend_from_slice(&body);
        out
    }

    /// Takes a tensor out, checking its shape.
    pub fn take(&mut self, key: &str, shape: &[usize]) -> Result<Vec<f32>, ModelError> {
        let t = self
            .tensors
            .remove(key)
            .ok_or_else(|| ModelError::Missing(key.to_string()))?;
        if t.shape != shape {
            return Err(ModelError::Shape {
                key: key.into(),
                expected: shape.to_vec(),
                found: t.shape,
            });
        }
        Ok(t.values)
    }
}

fn decode(raw: &[u8], dtype: Dtype) -> Vec<f32> {
    match dtype {
        Dtype::F32 => raw
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
        Dtype::F16 => raw
            .chunks_exact(2)
            .map(|c| f16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect(),
        Dtype::BF16 => raw
            .chunks_exact(2)
            .map(|c| bf16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect(),
    }
}

fn encode(values: &[f32], dtype: Dtype, out: &mut Vec<u8>) {
    for &v in values {
        match dtype {
            Dtype::F32 => out.extend_from_slice(&v.to_le_bytes()),
            Dtype::F16 => out.extend_from_slice(&f16::from_f32(v).to_le_bytes()),
            Dtype::BF16 => out.extend_from_slice(&bf16::from_f32(v).to_le_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SafeTensors {
        let mut st = SafeTensors::default();
        st.tensors.insert(
            "a.weight".into(),
            TensorF32 {
                shape: vec![2, 3],
                values: vec![1., -2., 3.5, 0., 1e-3, 7.],
            },
        );
        st.tensors.insert(
            "b".into(),
            TensorF32 {
                shape: vec![1],
                values: vec![0.25],
            },
        );
        st.metadata.insert("format".into(), "pt".into());
        st
    }

    #[test]
    fn round_trip_f32_is_exact_and_f16_is_close() {
        let st = sample();
        let back = SafeTensors::parse(&st.to_bytes(Dtype::F32)).unwrap();
        assert_eq!(back.tensors, st.tensors);
        assert_eq!(back.metadata["format"], "pt");
        let half = SafeTensors::parse(&st.to_bytes(Dtype::F16)).unwrap();
        for (k, t) in &st.tensors {
            for (a, b) in t.values.iter().zip(&half.tensors[k].values) {
                assert!((a - b).abs() <= 1e-3 * a.abs().max(1e-3), "{k}: {a} vs {b}");
            }
        }
        assert_eq!(half.dtypes["b"], Dtype::F16);
    }

    #[test]
    fn malformed_files_say_what_is_wrong() {
        let bytes = sample().to_bytes(Dtype::F32);
        let cut = SafeTensors::parse(&bytes[..bytes.len() - 3]).unwrap_err();
        assert!(matches!(cut, ModelError::Truncated { .. }), "{cut}");
        let html = SafeTensors::parse(b"<!DOCTYPE html><html>404</html>").unwrap_err();
        assert!(html.to_string().contains("HTML"), "{html}");
        let short = SafeTensors::parse(b"abc").unwrap_err();
        assert!(short.to_string().contains("too short"), "{short}");
        let mut junk = 20u64.to_le_bytes().to_vec();
        junk.extend_from_slice(b"{not json at all....");
        assert!(
            SafeTensors::parse(&junk)
                .unwrap_err()
                .to_string()
                .contains("JSON")
        );
        let mut huge = u64::MAX.to_le_bytes().to_vec();
        huge.extend_from_slice(b"{}");
        assert!(
            SafeTensors::parse(&huge)
                .unwrap_err()
                .to_string()
                .contains("implausible")
        );
        let mut st = sample();
        assert!(matches!(
            st.take("a.weight", &[3, 2]),
            Err(ModelError::Shape { .. })
        ));
        assert!(matches!(st.take("zzz", &[1]), Err(ModelError::Missing(_))));
    }
}

/// A JSON number as a `usize`, or `None` where it is not a whole number a `usize` holds (on wasm32,
/// 2³² and above: refused rather than wrapped).
fn as_usize(v: &Value) -> Option<usize> {
    v.as_u64().and_then(|d| usize::try_from(d).ok())
}
