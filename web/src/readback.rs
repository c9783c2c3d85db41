//! Reading tensors back to the host. On wasm every read is asynchronous: a synchronous read of a
//! WebGPU buffer would block the only thread and kill the app.

use burn::prelude::*;

use crate::gpu_error::read_failed;

/// The tensor's values as f32, read without blocking.
pub async fn to_vec<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>, String> {
    t.into_data_async()
        .await
        .map_err(|e| read_failed(&format!("{e:?}")))?
        .try_into_vec_as::<f32>()
        .map_err(|e| format!("unexpected result type: {e:?}"))
}
