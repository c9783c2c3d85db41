//! The U-Net's 3×3 convolutions (stride 1, padding 1) on Burn's CPU backend, without the copies
//! around the matrix product that the backend's general path makes (docs/performance.md): the
//! input goes once into a zero-padded, channel-major buffer; each of the nine taps is then one
//! matrix product of the tap's weights [C_out × C_in] with a contiguous window of that buffer
//! [C_in × N], where N runs over every pixel of every image with a zero row and a zero column
//! shared between neighbours (the batch folded in, the padding a convolution needs); the
//! nine accumulate into one output, which is cropped, biased and laid out as NCHW in one pass.
//! The product is the `gemm` crate natively (as in the backend), and on wasm our own kernel
//! (`conv_kernel`), which needs no packing.
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
        && !conv.weight.val().is_autodiff()
        // shapes Burn's convolution handles (or rejects) itself: a channel count that is not
        // the layer's, an empty batch or image, a layer with no output channel
        && conv.weight.dims()[1] == x.dims()[1]
        && conv.weight.dims()[0] > 0
        && x.dims().iter().all(|&d| d > 0);
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
    let bias = match &conv.bias {
        None => None,
        Some(b) => match b.val().into_data().try_into_vec::<f32>() {
            Ok(v) => Some(v),
            Err(_) => return conv.forward(Tensor::from_data(data, &device)),
        },
    };
    let out = conv3x3(
        xs,
        ws,
        bias.as_deref(),
        [b, cin, h, w],
        cout,
        Product::default(),
    );
    Tensor::from_data(TensorData::new(out, [b, cout, h, w]), &device)
}

/// How the nine taps' product is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    /// nine `gemm` calls over column tiles
    Gemm,
    /// `conv_kernel`'s register-blocked kernel
    Direct,
}

impl Default for Product {
    /// The kernel on wasm with simd128, `gemm` elsewhere.
    fn default() -> Self {
        if cfg!(all(target_arch = "wasm32", target_feature = "simd128")) {
            Product::Direct
        } else {
            Product::Gemm
        }
    }
}

/// The convolution on plain slices: `x` [B, C_in, H, W], `w` [C_out, C_in, 3, 3], `bias`
/// [C_out]; returns [B, C_out, H, W].
pub fn conv3x3(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    [b, cin, h, wd]: [usize; 4],
    cout: usize,
    product: Product,
) -> Vec<f32> {
    // the products below read these slices through raw pointers
    assert!(
        b > 0 && cin > 0 && h > 0 && wd > 0 && cout > 0,
        "empty convolution"
    );
    assert_eq!(x.len(), b * cin * h * wd, "input is not [B, C_in, H, W]");
    assert_eq!(
        w.len(),
        cout * cin * 9,
        "weights are not [C_out, C_in, 3, 3]"
    );
    assert!(bias.is_none_or(|v| v.len() == cout), "bias is not [C_out]");
    // padded[c][front + image·plane + y·wp + x]: rows of wd + 1 (one zero column, which is the
    // right neighbour of a row's last pixel and the left neighbour of the next row's first), one
    // zero row after each image (below it and above the next), `front` zeros before the first
    // (above it), and zeros the direct kernel may read past the end. Output column j is pixel
    // (image, y, x) at j = image·plane + y·wp + x (the zero rows' and columns' j are computed and
    // dropped), and its tap (dy, dx) reads column j + dy·wp + dx.
    let wp = wd + 1;
    let plane = (h + 1) * wp;
    let front = wp + 1;
    let n = front + b * plane;
    let mut padded = vec![0f32; cin * n + super::conv_kernel::TAIL];
    for bi in 0..b {
        for c in 0..cin {
            for y in 0..h {
                let from = ((bi * cin + c) * h + y) * wd;
                let to = c * n + front + bi * plane + y * wp;
                padded[to..to + wd].copy_from_slice(&x[from..from + wd]);
            }
        }
    }
    // the last pixel's j is n − 2·wp − 3: every tap of every j below span stays in the channel
    let span = n - (2 * wp + 2);
    let mut acc = vec![0f32; cout * span];
    if product == Product::Direct {
        super::conv_kernel::conv3x3_direct(&padded, w, cin, cout, n, wp, &mut acc);
    } else {
        gemm_taps(&padded, w, cin, cout, n, wp, &mut acc);
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

/// The nine taps as `gemm` calls, accumulating into `acc` [cout × span].
fn gemm_taps(
    padded: &[f32],
    w: &[f32],
    cin: usize,
    cout: usize,
    n: usize,
    wp: usize,
    acc: &mut [f32],
) {
    let span = n - (2 * wp + 2);
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

    /// Seeded values in [−0.5, 0.5) (a linear congruential generator: no dependency for tests).
    fn uniform(mut seed: u32) -> impl FnMut() -> f32 {
        move || {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        }
    }

    #[test]
    fn the_direct_kernel_is_the_gemm_product() {
        // whole and partial blocks of 4 output channels and 8 columns; one input channel
        let mut rand = uniform(7u32);
        for (b, cin, cout, h, w) in [
            (1, 1, 1, 28, 28),
            (2, 3, 5, 7, 7),
            (3, 16, 8, 5, 9),
            (1, 64, 3, 32, 32),
        ] {
            let x: Vec<f32> = (0..b * cin * h * w).map(|_| rand()).collect();
            let ws: Vec<f32> = (0..cout * cin * 9).map(|_| rand()).collect();
            let bias: Vec<f32> = (0..cout).map(|_| rand()).collect();
            let want = conv3x3(&x, &ws, Some(&bias), [b, cin, h, w], cout, Product::Gemm);
            let got = conv3x3(&x, &ws, Some(&bias), [b, cin, h, w], cout, Product::Direct);
            let diff = want
                .iter()
                .zip(&got)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            assert!(diff < 1e-4, "[{b}, {cin}, {h}, {w}] → {cout}: {diff}");
        }
    }

    #[test]
    fn both_products_are_the_definition_on_tiny_shapes() {
        // lone partial column blocks, one-pixel rows and images, channel counts around a block
        let mut rand = uniform(11u32);
        for b in [1, 2] {
            for (h, w) in [(1, 1), (1, 3), (2, 1), (3, 2), (3, 3)] {
                for (cin, cout) in [(1, 1), (2, 4), (3, 5)] {
                    let x: Vec<f32> = (0..b * cin * h * w).map(|_| rand()).collect();
                    let ws: Vec<f32> = (0..cout * cin * 9).map(|_| rand()).collect();
                    let bias: Vec<f32> = (0..cout).map(|_| rand()).collect();
                    let mut want = vec![0f32; b * cout * h * w];
                    for (i, o) in want.iter_mut().enumerate() {
                        let (bi, co, y, xx) =
                            (i / (cout * h * w), i / (h * w) % cout, i / w % h, i % w);
                        *o = bias[co];
                        for c in 0..cin {
                            for tap in 0..9 {
                                let (yy, xi) =
                                    ((y + tap / 3) as isize - 1, (xx + tap % 3) as isize - 1);
                                if (0..h as isize).contains(&yy) && (0..w as isize).contains(&xi) {
                                    *o += ws[(co * cin + c) * 9 + tap]
                                        * x[((bi * cin + c) * h + yy as usize) * w + xi as usize];
                                }
                            }
                        }
                    }
                    for product in [Product::Gemm, Product::Direct] {
                        let got = conv3x3(&x, &ws, Some(&bias), [b, cin, h, w], cout, product);
                        let diff = want
                            .iter()
                            .zip(&got)
                            .map(|(a, b)| (a - b).abs())
                            .fold(0f32, f32::max);
                        assert!(
                            diff < 1e-5,
                            "{product:?} [{b}, {cin}, {h}, {w}] → {cout}: {diff}"
                        );
                    }
                }
            }
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
