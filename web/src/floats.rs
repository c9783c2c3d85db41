//! Floats that cross between the page and its workers: weights and images are millions of them,
//! so they travel as typed arrays, never as JS arrays of numbers. Natively (where the widgets'
//! sessions are tested) [`JsFloats`] is a plain vector.

use serde::Serialize;

/// Floats that cross between page and worker as one typed array (their little-endian bytes)
/// rather than as a JS array of numbers: weights and images are millions of them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Floats(pub Vec<f32>);

impl Serialize for Floats {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let bytes: Vec<u8> = self.0.iter().flat_map(|v| v.to_le_bytes()).collect();
        s.serialize_bytes(&bytes)
    }
}

impl<'de> serde::Deserialize<'de> for Floats {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bytes = serde_bytes::ByteBuf::deserialize(d)?;
        if bytes.len() % 4 != 0 {
            return Err(serde::de::Error::custom(format!(
                "{} bytes are not a whole number of floats",
                bytes.len()
            )));
        }
        Ok(Floats(
            bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
        ))
    }
}

/// Floats the page passes from one worker to the other without reading them: one JS
/// `Float32Array` that the page's decoding and encoding keep as it is (serde-wasm-bindgen's
/// `preserve`). As [`Floats`], the toy trainer's 7.4 M weights at 1,024 × 8 were turned into a
/// Rust vector and back on the page's thread, which held it for one frame of 67–83 ms.
#[cfg(target_family = "wasm")]
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct JsFloats(#[serde(with = "serde_wasm_bindgen::preserve")] js_sys::Float32Array);

#[cfg(target_family = "wasm")]
impl JsFloats {
    pub fn new(values: &[f32]) -> Self {
        Self(js_sys::Float32Array::from(values))
    }

    pub fn to_vec(&self) -> Vec<f32> {
        self.0.to_vec()
    }
}

/// Natively: the same values, held as a vector.
#[cfg(not(target_family = "wasm"))]
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct JsFloats(Vec<f32>);

#[cfg(not(target_family = "wasm"))]
impl JsFloats {
    pub fn new(values: &[f32]) -> Self {
        Self(values.to_vec())
    }

    pub fn to_vec(&self) -> Vec<f32> {
        self.0.clone()
    }
}
