//! `--device`: where the CLI computes.

use burn::prelude::*;

/// "cpu" (Burn's flex backend); in a binary built with `--features gpu`, "gpu" (Vulkan); with
/// `--features torch`, "torch-cuda" (the first NVIDIA GPU through LibTorch) and "torch-cpu"
/// (LibTorch on the CPU, measured against "cpu" in docs/training.md).
pub fn pick(name: &str) -> Result<Device, String> {
    match name {
        "cpu" => Ok(Device::flex()),
        #[cfg(feature = "gpu")]
        "gpu" => Ok(Device::vulkan(burn::tensor::DeviceKind::DiscreteGpu(0))),
        #[cfg(not(feature = "gpu"))]
        "gpu" => {
            Err("this binary was built without GPU support: rebuild with `--features gpu`".into())
        }
        // Burn marks its LibTorch backend deprecated; it is the one way to CUDA from this machine
        #[cfg(feature = "torch")]
        #[allow(deprecated)]
        "torch-cuda" => Ok(Device::libtorch_cuda(0)),
        #[cfg(feature = "torch")]
        #[allow(deprecated)]
        "torch-cpu" => Ok(Device::libtorch()),
        #[cfg(not(feature = "torch"))]
        "torch-cuda" | "torch-cpu" => Err(
            "this binary was built without LibTorch support: rebuild with `--features torch`"
                .into(),
        ),
        other => Err(format!(
            "unknown device '{other}' (cpu, gpu, torch-cuda or torch-cpu)"
        )),
    }
}
