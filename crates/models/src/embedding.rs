//! Time embeddings: diffusers' sinusoidal timestep features and the seeds' Gaussian Fourier
//! features.

use burn::prelude::*;

/// diffusers' `get_timestep_embedding`: for `half = dim/2` frequencies
/// f_k = exp(−ln(10000)·k/(half − shift)), features [sin(t·f), cos(t·f)] (or [cos, sin] when
/// `flip_sin_to_cos`). `t` is [B]; the result is [B, dim].
pub fn timestep_embedding(
    t: Tensor<1>,
    dim: usize,
    flip_sin_to_cos: bool,
    shift: f64,
) -> Tensor<2> {
    let half = dim / 2;
    let device = t.device();
    let freqs: Vec<f32> = (0..half)
        .map(|k| (-(10000f64.ln()) * k as f64 / (half as f64 - shift)).exp() as f32)
        .collect();
    let freqs = Tensor::<1>::from_floats(freqs.as_slice(), &device).unsqueeze::<2>(); // [1, half]
    let args = t.unsqueeze_dim::<2>(1) * freqs; // [B, half]
    let (sin, cos) = (args.clone().sin(), args.cos());
    if flip_sin_to_cos {
        Tensor::cat(vec![cos, sin], 1)
    } else {
        Tensor::cat(vec![sin, cos], 1)
    }
}

/// Gaussian Fourier features of the seeds' ScoreNet: W fixed (drawn once, N(0, scale²)),
/// features [sin(2π t W), cos(2π t W)]. `w` is [dim/2], `t` is [B]; the result is [B, dim].
pub fn fourier_embedding(t: Tensor<1>, w: Tensor<1>) -> Tensor<2> {
    let proj = t.unsqueeze_dim::<2>(1) * w.unsqueeze::<2>() * (2.0 * std::f64::consts::PI);
    Tensor::cat(vec![proj.clone().sin(), proj.cos()], 1)
}

/// x·sigmoid(x).
pub fn silu<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    burn::tensor::activation::silu(x)
}

/// Nearest-neighbour 2× upsampling of [B, C, H, W] (PyTorch's `interpolate(scale_factor=2)`).
pub fn upsample_nearest2x(x: Tensor<4>) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    x.reshape([b, c, h, 1, w, 1])
        .expand([b, c, h, 2, w, 2])
        .reshape([b, c, 2 * h, 2 * w])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sinusoid_matches_the_closed_form() {
        let device = Device::flex();
        let t = Tensor::<1>::from_floats([0.0, 10.0], &device);
        let e = timestep_embedding(t, 8, false, 1.0)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        // half = 4, shift 1: f_k = 10000^(−k/3), k = 0..3.
        for k in 0..4 {
            let f = 10000f64.powf(-(k as f64) / 3.0);
            assert!((e[k] - 0.0).abs() < 1e-6);
            assert!((e[4 + k] - 1.0).abs() < 1e-6);
            assert!((e[8 + k] as f64 - (10.0 * f).sin()).abs() < 1e-5);
            assert!((e[12 + k] as f64 - (10.0 * f).cos()).abs() < 1e-5);
        }
    }

    #[test]
    fn upsample_repeats_each_pixel() {
        let device = Device::flex();
        let x = Tensor::<1>::from_floats([1.0, 2.0, 3.0, 4.0], &device).reshape([1, 1, 2, 2]);
        let y = upsample_nearest2x(x)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        assert_eq!(
            y,
            vec![
                1., 1., 2., 2., 1., 1., 2., 2., 3., 3., 4., 4., 3., 3., 4., 4.
            ]
        );
    }
}
