//! Shared test helpers: the diffusers fixtures (copied from `../shared/fixtures/diffusers`,
//! diffusers 0.42.1) and tensor <-> Vec conversions on the CPU backend.
#![allow(dead_code)]

use burn::prelude::*;
use serde_json::Value;

pub fn device() -> Device {
    Device::flex()
}

pub fn fixture(name: &str) -> Value {
    // read when the test runs: a build reused from another checkout path keeps its own
    let root =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    let path = format!("{root}/../../tests/fixtures/diffusers/{name}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {path}: {e}"))
}

pub fn floats(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(items) => items.iter().flat_map(floats).collect(),
        Value::Number(n) => vec![n.as_f64().unwrap()],
        other => panic!("not a number or array: {other}"),
    }
}

pub fn tensor2(rows: &[f64], cols: usize) -> Tensor<2> {
    let data: Vec<f32> = rows.iter().map(|&v| v as f32).collect();
    Tensor::<1>::from_floats(data.as_slice(), &device()).reshape([rows.len() / cols, cols])
}

pub fn values<const D: usize>(t: Tensor<D>) -> Vec<f64> {
    t.into_data()
        .try_to_vec::<f32>()
        .unwrap()
        .into_iter()
        .map(f64::from)
        .collect()
}

pub fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}
