//! The U-Net's 3×3 convolutions (stride 1, padding 1) on Burn's CPU backend, without the copies
//! around the matrix product that the backend's general path makes (docs/performance.md): the
//! input goes once into a zero-padded, channel-major buffer; each of the nine taps is then one
//! matrix product of the tap's weights [C_out × C_in] with a contiguous window of that buffer
//! [C_in × N], where N runs over every padded pixel of every image (the batch folded in); the
//! nine accumulate into one output, which is cropped, biased and laid out as NCHW in one pass.
//! The product is the same `gemm` crate (simd128 on wasm) the backend uses.
//!
//! Only for the plain CPU device: on WebGPU, or with autodiff (training), the convolution is
//! Burn's own.

use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::prelude::*;

/// Output floats a column tile holds (16 K: 64 kB).
const TILE_FLOATS: usize = 1 << 14;

/// `conv.forward(x)`, by the path above where it applies.
pub fn forward(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    let applies = conv.kernel_size == [3, 3]
        && conv.stride == [1, 1]
        && conv.dilation == [1, 1]
        && conv.groups == 1
        && matches!(conv.padding, PaddingConfig2d::Explicit(1, 1, 1, 1))
        && x.device() == Device::flex()
        // training: Burn's convolution, which autodiff tracks (an autodiff tensor's device
        // compares equal to the plain one)
        && !x.is_autodiff()
        && !conv.weight.val().is_autodiff();
    if !applies {
        return conv.forward(x);
    }
    let device = x.device();
    let [b, cin, h, w] = x.dims();
    // the input read once (no copy when this layer owns it, as after an activation)
    let data = x.into_data();
    let weights = conv.weight.val().into_data();
    let cout = conv.weight.dims()[0];
    let (Ok(xs), Ok(ws)) = (data.as_slice::<f32>(), weights.as_slice::<f32>()) else {
        return conv.forward(Tensor::from_data(data, &device));
    };
    let bias = conv
        .bias
        .as_ref()
        .and_then(|b| b.val().into_data().try_into_vec::<f32>().ok());
    let out = conv3x3(xs, ws, bias.as_deref(), [b, cin, h, w], cout);
    Tensor::from_data(TensorData::new(out, [b, cout, h, w]), &device)
}

/// The convolution on plain slices: `x` [B, C_in, H, W], `w` [C_out, C_in, 3, 3], `bias`
/// [C_out]; returns [B, C_out, H, W].
pub fn conv3x3(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    [b, cin, h, wd]: [usize; 4],
    cout: usize,
) -> Vec<f32> {
    let (hp, wp) = (h + 2, wd + 2);
    let plane = hp * wp;
    let n = b * plane;
    // padded[c][image][y + 1][x + 1]
    let mut padded = vec![0f32; cin * n];
    for bi in 0..b {
        for c in 0..cin {
            for y in 0..h {
                let from = ((bi * cin + c) * h + y) * wd;
                let to = c * n + bi * plane + (y + 1) * wp + 1;
                padded[to..to + wd].copy_from_slice(&x[from..from + wd]);
            }
        }
    }
    // output column j is the pixel whose padded top-left corner is at j; the last 2·wp + 2
    // columns of the buffer are no pixel's, and every tap of the others stays in the buffer
    let span = n - (2 * wp + 2);
    let mut acc = vec![0f32; cout * span];
    // columns in tiles, the nine taps accumulating into a tile while it is in cache (at batch
    // 128 the whole output is tens of MB: nine passes over it cost more than the copies saved)
    let tile = (TILE_FLOATS / cout).max(256);
    for j0 in (0..span).step_by(tile) {
        let cols = tile.min(span - j0);
        for tap in 0..9 {
            let offset = (tap / 3) * wp + tap % 3;
            // SAFETY: every index gemm reads or writes lies in its slice: dst is the columns
            // j0..j0 + cols of [cout × span] (row stride span); lhs element (i, c) is
            // w[i·cin·9 + c·9 + tap] < cout·cin·9; rhs element (c, j) is
            // padded[c·n + offset + j0 + j] with offset + j0 + j < offset + span ≤ n.
            unsafe {
                gemm::gemm(
                    cout,
                    cols,
                    cin,
                    acc.as_mut_ptr().add(j0),
                    1,
                    span as isize,
                    tap > 0,
                    w.as_ptr().add(tap),
                    9,
                    (cin * 9) as isize,
                    padded.as_ptr().add(offset + j0),
                    1,
                    n as isize,
                    1.0,
                    1.0,
                    false,
                    false,
                    false,
                    gemm::Parallelism::None,
                );
            }
        }
    }
    let mut out = vec![0f32; b * cout * h * wd];
    for bi in 0..b {
        for co in 0..cout {
            let add = bias.map_or(0.0, |v| v[co]);
            for y in 0..h {
                let from = co * span + bi * plane + y * wp;
                let to = ((bi * cout + co) * h + y) * wd;
                for (o, a) in out[to..to + wd].iter_mut().zip(&acc[from..from + wd]) {
                    *o = a + add;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use burn::nn::conv::Conv2dConfig;
    use burn::prelude::*;
    use burn::tensor::Distribution;

    use super::*;

    #[test]
    fn the_fast_path_is_burns_convolution() {
        let device = Device::flex();
        for (b, cin, cout, h, w, bias) in [
            (1, 1, 16, 28, 28, true),
            (3, 16, 32, 14, 14, true),
            (2, 64, 64, 7, 7, false),
            (4, 3, 5, 8, 11, true),
            // several column tiles (16 K floats / 64 channels: 256 columns of 2,014)
            (8, 64, 64, 14, 14, true),
        ] {
            let conv = Conv2dConfig::new([cin, cout], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .with_bias(bias)
                .init(&device);
            let x = Tensor::<4>::random([b, cin, h, w], Distribution::Normal(0.0, 1.0), &device);
            let want = conv.forward(x.clone());
            let got = forward(&conv, x);
            let diff = (got - want)
                .abs()
                .max()
                .into_data()
                .try_into_vec::<f32>()
                .unwrap()[0];
            assert!(diff < 1e-4, "[{b}, {cin}, {h}, {w}] → {cout}: {diff}");
        }
    }

    #[test]
    fn training_keeps_burns_convolution_and_its_gradients() {
        let device = Device::flex().autodiff();
        let conv = Conv2dConfig::new([2, 3], [3, 3])
            .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
            .init(&device);
        let x = Tensor::<4>::random([2, 2, 5, 5], Distribution::Normal(0.0, 1.0), &device);
        let grads = forward(&conv, x).sum().backward();
        assert!(conv.weight.val().grad(&grads).is_some());
    }
}
