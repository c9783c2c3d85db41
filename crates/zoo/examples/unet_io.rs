//! One forward pass of a shipped U-Net on Burn's CPU backend, on inputs from files: the native
//! side of the ONNX export's check (`scripts/bench/peers/export_onnx.py` writes the inputs, runs
//! onnxruntime on them and compares with what this writes).
//!
//! `cargo run --release -p zoo --example unet_io -- MODEL_ID DIR`: reads `DIR/sample.f32`
//! ([B, C, H, W] little-endian f32), `DIR/timestep.f32` ([B]) and, for a class-conditional model,
//! `DIR/class.i64` ([B]); writes `DIR/burn.f32`, the predicted noise [B, C, H, W].

use burn::prelude::*;

fn floats(path: &str) -> Result<Vec<f32>, String> {
    let b = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    Ok(b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [id, dir] = &args[..] else {
        return Err("usage: unet_io MODEL_ID DIR".into());
    };
    let root =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    let weights = format!("{root}/../../static/weights");
    let manifest = zoo::Manifest::parse(
        &std::fs::read_to_string(format!("{weights}/manifest.json")).map_err(|e| e.to_string())?,
    )?;
    let entry = manifest.get(id).ok_or(format!("no model {id}"))?;
    let [c, h, w] = entry.image_shape();
    let device = Device::flex();
    let bytes = std::fs::read(format!("{weights}/{}", entry.file)).map_err(|e| e.to_string())?;
    let zoo::Net::UNet(unet) = zoo::load(entry, &bytes, &device).map_err(|e| e.to_string())? else {
        return Err(format!("{id} is not a U-Net"));
    };
    let sample = floats(&format!("{dir}/sample.f32"))?;
    let t = floats(&format!("{dir}/timestep.f32"))?;
    let b = t.len();
    let x = Tensor::<1>::from_floats(sample.as_slice(), &device).reshape([b, c, h, w]);
    let t = Tensor::<1>::from_floats(t.as_slice(), &device);
    let classes = if entry.conditional {
        let raw = std::fs::read(format!("{dir}/class.i64")).map_err(|e| e.to_string())?;
        let labels: Vec<i64> = raw
            .chunks_exact(8)
            .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
            .collect();
        Some(Tensor::<1, Int>::from_ints(labels.as_slice(), &device))
    } else {
        None
    };
    let out = unet
        .forward(x, t, classes)
        .into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .map_err(|e| format!("{e:?}"))?;
    let bytes: Vec<u8> = out.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(format!("{dir}/burn.f32"), bytes).map_err(|e| e.to_string())?;
    eprintln!("{id}: {} values written to {dir}/burn.f32", out.len());
    Ok(())
}
