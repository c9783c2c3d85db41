//! `--device`: where the CLI computes.

use burn::prelude::*;

/// "cpu" (Burn's flex backend) or, in a binary built with `--features gpu`, "gpu" (Vulkan).
pub fn pick(name: &str) -> Result<Device, String> {
    match name {
        "cpu" => Ok(Device::flex()),
        #[cfg(feature = "gpu")]
        "gpu" => Ok(Device::vulkan(burn::tensor::DeviceKind::DiscreteGpu(0))),
        #[cfg(not(feature = "gpu"))]
        "gpu" => {
            Err("this binary was built without GPU support: rebuild with `--features gpu`".into())
        }
        other => Err(format!("unknown device '{other}' (cpu or gpu)")),
    }
}
