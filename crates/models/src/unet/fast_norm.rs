//! GroupNorm, and GroupNorm followed by SiLU, in one pass over the activations on Burn's CPU
//! backend; and attention's softmax with the same `exp`. Burn composes GroupNorm of tensor operations (about seven passes and several
//! allocations, docs/performance.md) and SiLU of two more with a scalar `exp`; here the
//! statistics of each (image, group) take two passes over its contiguous run of values, and the
//! normalisation, the affine and the SiLU one more, in place, with an `exp` written so that the
//! compiler vectorises it (simd128 on wasm).
//!
//! Only for the plain CPU device: on WebGPU, or with autodiff (training), it is Burn's own.

use burn::nn::GroupNorm;
use burn::prelude::*;

/// `norm.forward(x)`, followed by SiLU where `silu`; by the path above where it applies.
pub fn forward(norm: &GroupNorm, x: Tensor<4>, silu: bool) -> Tensor<4> {
    let burn_path = |x: Tensor<4>| {
        let y = norm.forward(x);
        if silu {
            burn::tensor::activation::silu(y)
        } else {
            y
        }
    };
    let [b, c, h, w] = x.dims();
    let applies = x.device() == Device::flex()
        && !x.is_autodiff()
        && c == norm.num_channels
        && norm.num_groups > 0
        && c % norm.num_groups == 0
        && norm.affine
        && norm.gamma.as_ref().is_some_and(|g| !g.val().is_autodiff());
    if !applies {
        return burn_path(x);
    }
    let device = x.device();
    let (Some(gamma), Some(beta)) = (&norm.gamma, &norm.beta) else {
        return burn_path(x);
    };
    let (Ok(gamma), Ok(beta)) = (
        gamma.val().into_data().try_into_vec::<f32>(),
        beta.val().into_data().try_into_vec::<f32>(),
    ) else {
        return burn_path(x);
    };
    let data = x.into_data();
    if data.dtype() != burn::tensor::DType::F32 {
        return burn_path(Tensor::from_data(data, &device));
    }
    // the dtype is checked above, so this is the f32 values (without a copy)
    let Ok(mut values) = data.try_into_vec::<f32>() else {
        return Tensor::zeros([b, c, h, w], &device);
    };
    norm_silu(
        &mut values,
        &gamma,
        &beta,
        [b, c, h * w],
        norm.num_groups,
        norm.epsilon as f32,
        silu,
    );
    Tensor::from_data(TensorData::new(values, [b, c, h, w]), &device)
}

/// In place over `x` [B, C, HW]: GroupNorm with `groups` groups, the affine `gamma`, `beta`
/// [C], then SiLU where `silu`.
pub fn norm_silu(
    x: &mut [f32],
    gamma: &[f32],
    beta: &[f32],
    [b, c, hw]: [usize; 3],
    groups: usize,
    eps: f32,
    silu: bool,
) {
    let per_group = c / groups;
    let run = per_group * hw;
    for image in 0..b {
        for g in 0..groups {
            let start = (image * c + g * per_group) * hw;
            let values = &mut x[start..start + run];
            let mean = sum(values) / run as f32;
            let var = sum_sq_dev(values, mean) / run as f32;
            let inv = 1.0 / (var + eps).sqrt();
            for (k, channel) in values.chunks_exact_mut(hw).enumerate() {
                let ch = g * per_group + k;
                let scale = gamma[ch] * inv;
                let shift = beta[ch] - mean * scale;
                if silu {
                    for v in channel.iter_mut() {
                        let y = *v * scale + shift;
                        *v = y / (1.0 + exp(-y));
                    }
                } else {
                    for v in channel.iter_mut() {
                        *v = *v * scale + shift;
                    }
                }
            }
        }
    }
}

/// `softmax(x, 3)` (over the last axis), by the same path where it applies.
pub fn softmax_last(x: Tensor<4>) -> Tensor<4> {
    let dims = x.dims();
    let applies = x.device() == Device::flex() && !x.is_autodiff() && dims[3] > 0;
    if !applies {
        return burn::tensor::activation::softmax(x, 3);
    }
    let device = x.device();
    let data = x.into_data();
    if data.dtype() != burn::tensor::DType::F32 {
        return burn::tensor::activation::softmax(Tensor::from_data(data, &device), 3);
    }
    // the dtype is checked above, so this is the f32 values (without a copy)
    let Ok(mut values) = data.try_into_vec::<f32>() else {
        return Tensor::zeros(dims, &device);
    };
    for row in values.chunks_exact_mut(dims[3]) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        for v in row.iter_mut() {
            *v = exp(*v - max);
        }
        let inv = 1.0 / sum(row);
        for v in row.iter_mut() {
            *v *= inv;
        }
    }
    Tensor::from_data(TensorData::new(values, dims), &device)
}

/// A sum in eight lanes (which the compiler keeps in vector registers), then across them.
fn sum(v: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let chunks = v.chunks_exact(8);
    let rest: f32 = chunks.remainder().iter().sum();
    for chunk in chunks {
        for (l, x) in lanes.iter_mut().zip(chunk) {
            *l += x;
        }
    }
    lanes.iter().sum::<f32>() + rest
}

/// Σ (v − mean)², as [`sum`].
fn sum_sq_dev(v: &[f32], mean: f32) -> f32 {
    let mut lanes = [0f32; 8];
    let chunks = v.chunks_exact(8);
    let rest: f32 = chunks
        .remainder()
        .iter()
        .map(|x| (x - mean) * (x - mean))
        .sum();
    for chunk in chunks {
        for (l, x) in lanes.iter_mut().zip(chunk) {
            *l += (x - mean) * (x - mean);
        }
    }
    lanes.iter().sum::<f32>() + rest
}

/// e^x for f32, branch-free so that loops over it vectorise: x = n·ln 2 + r with |r| ≤ ln 2 / 2,
/// e^r by its degree-6 Taylor polynomial (relative error < 2e-7 there), 2^n from the exponent
/// bits. Clamped to [−87, 88], where 2^n is a normal float: e^−87 ≈ 1.6e−38 and e^88 ≈ 1.7e38.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // ln 2 in two parts, so that n·LN2_HI is exact for |n| < 2⁹
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = x.clamp(-87.0, 88.0);
    let n = (x * LOG2E + 0.5).floor();
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    p * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::GroupNormConfig;

    #[test]
    fn exp_is_within_a_few_ulps_of_the_library_exp() {
        let mut worst = 0f32;
        for i in -87_000..=88_000 {
            let x = i as f32 / 1000.0;
            let rel = ((exp(x) - x.exp()) / x.exp()).abs();
            worst = worst.max(rel);
        }
        assert!(worst < 5e-7, "relative error {worst}");
        // clamped: never zero, never infinite
        assert!(exp(-1000.0) == exp(-87.0) && exp(-87.0) > 0.0);
        assert!(exp(1000.0) == exp(88.0) && exp(88.0).is_finite());
    }

    #[test]
    fn the_softmax_is_burns() {
        let device = Device::flex();
        let values: Vec<f32> = (0..2 * 3 * 5 * 7)
            .map(|i| ((i * 29 % 53) as f32 / 4.0) - 6.0)
            .collect();
        let x = Tensor::<4>::from_data(TensorData::new(values, [2, 3, 5, 7]), &device);
        let want = burn::tensor::activation::softmax(x.clone(), 3);
        let diff = (softmax_last(x) - want).abs().max().into_scalar::<f32>();
        assert!(diff < 1e-6, "{diff}");
    }

    #[test]
    fn the_fused_norm_is_burns_groupnorm_then_silu() {
        let device = Device::flex();
        for (shape, groups) in [([2, 8, 5, 3], 4), ([1, 6, 4, 4], 2), ([3, 4, 2, 1], 2)] {
            let mut norm = GroupNormConfig::new(groups, shape[1]).init(&device);
            let c = shape[1];
            let gamma: Vec<f32> = (0..c).map(|i| 0.5 + i as f32 * 0.1).collect();
            let beta: Vec<f32> = (0..c).map(|i| i as f32 * 0.05 - 0.2).collect();
            norm.gamma = Some(burn::module::Param::from_tensor(Tensor::from_floats(
                gamma.as_slice(),
                &device,
            )));
            norm.beta = Some(burn::module::Param::from_tensor(Tensor::from_floats(
                beta.as_slice(),
                &device,
            )));
            let n: usize = shape.iter().product();
            let values: Vec<f32> = (0..n)
                .map(|i| ((i * 37 % 101) as f32 / 20.0) - 2.0)
                .collect();
            let x = Tensor::<4>::from_data(TensorData::new(values, shape), &device);
            for silu in [false, true] {
                let want = norm.forward(x.clone());
                let want = if silu {
                    burn::tensor::activation::silu(want)
                } else {
                    want
                };
                let got = forward(&norm, x.clone(), silu);
                let diff = (got - want).abs().max().into_scalar::<f32>();
                assert!(diff < 1e-5, "{shape:?}, silu {silu}: {diff}");
            }
        }
    }
}
