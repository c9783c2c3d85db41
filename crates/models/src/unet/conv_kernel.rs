//! The 3×3 convolution's own product for wasm (`fast_conv`): a register-blocked kernel over the
//! zero-padded, channel-major input, with no packing. The `gemm` crate packs both operands on
//! each of its nine calls (one per tap), and on wasm its packing is scalar; here each block of
//! `MR` output channels × `NR` output columns keeps its sums in registers while it runs through
//! every input channel and tap, reading the input windows straight from the padded buffer (the
//! same window serves every channel block in turn) and the weights, laid out once per call, as
//! contiguous splats. `MR` × `NR` = 4 × 8: 8 accumulators, 2 input vectors and a weight, within
//! the vector registers V8 allocates on x86-64 (6 × 8 and 3 × 12 measured slower:
//! docs/performance.md).
//!
//! The same code runs natively on 4-float arrays, so its indexing is unit-tested against the
//! `gemm` product (itself tested against Burn's convolution); only wasm with `simd128` uses it
//! for the model (native keeps `gemm`, whose AVX kernels are faster there).

/// Output channels per block.
const MR: usize = 4;
/// Output columns per block, in 4-float vectors.
const NV: usize = 2;
const NR: usize = 4 * NV;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod v {
    use core::arch::wasm32::*;
    pub type V = v128;
    #[inline(always)]
    pub fn zero() -> V {
        f32x4_splat(0.0)
    }
    /// SAFETY (all below): `p` points to 4 readable (writable) floats, or 1 for `splat`.
    #[inline(always)]
    pub unsafe fn load(p: *const f32) -> V {
        unsafe { v128_load(p as *const v128) }
    }
    #[inline(always)]
    pub unsafe fn splat(p: *const f32) -> V {
        unsafe { v128_load32_splat(p as *const u32) }
    }
    #[cfg(not(feature = "relaxed-simd"))]
    #[inline(always)]
    pub fn madd(acc: V, a: V, b: V) -> V {
        f32x4_add(acc, f32x4_mul(a, b))
    }
    /// With the `relaxed-simd` feature (the web app's third build: a module with it does not
    /// load in a browser without relaxed SIMD, so web/playground.js checks first), one fused
    /// multiply-add where the CPU has FMA.
    #[cfg(feature = "relaxed-simd")]
    #[target_feature(enable = "relaxed-simd")]
    #[inline]
    pub fn madd(acc: V, a: V, b: V) -> V {
        f32x4_relaxed_madd(a, b, acc)
    }
    #[inline(always)]
    pub unsafe fn store(p: *mut f32, v: V) {
        unsafe { v128_store(p as *mut v128, v) }
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod v {
    pub type V = [f32; 4];
    #[inline(always)]
    pub fn zero() -> V {
        [0.0; 4]
    }
    #[inline(always)]
    pub unsafe fn load(p: *const f32) -> V {
        unsafe { std::ptr::read_unaligned(p as *const V) }
    }
    #[inline(always)]
    pub unsafe fn splat(p: *const f32) -> V {
        [unsafe { *p }; 4]
    }
    #[inline(always)]
    pub fn madd(acc: V, a: V, b: V) -> V {
        std::array::from_fn(|i| acc[i] + a[i] * b[i])
    }
    #[inline(always)]
    pub unsafe fn store(p: *mut f32, v: V) {
        unsafe { std::ptr::write_unaligned(p as *mut V, v) }
    }
}

/// Floats the padded buffer must hold past its `cin · n`: the last column block reads up to
/// NR − 1 columns past the last output column.
pub const TAIL: usize = NR;

/// `acc` [cout × span] = Σ over input channels and taps of w[co, c, tap] ·
/// padded[c·n + j + offset(tap)], offset(tap) = (tap / 3)·wp + tap % 3, span = n − 2·wp − 2.
/// `padded` holds cin·n + [`TAIL`] floats (zeros past cin·n); `w` is [cout, cin, 3, 3].
#[cfg_attr(
    all(
        target_arch = "wasm32",
        target_feature = "simd128",
        feature = "relaxed-simd"
    ),
    target_feature(enable = "relaxed-simd")
)]
pub fn conv3x3_direct(
    padded: &[f32],
    w: &[f32],
    cin: usize,
    cout: usize,
    n: usize,
    wp: usize,
    acc: &mut [f32],
) {
    let span = n - (2 * wp + 2);
    assert!(padded.len() >= cin * n + TAIL && acc.len() >= cout * span);
    assert_eq!(w.len(), cout * cin * 9);
    // weights as [block][c][tap][MR] (output channels past cout are zeros)
    let blocks = cout.div_ceil(MR);
    let mut wpk = vec![0f32; blocks * cin * 9 * MR];
    for co in 0..cout {
        for c in 0..cin {
            for tap in 0..9 {
                wpk[(((co / MR) * cin + c) * 9 + tap) * MR + co % MR] = w[(co * cin + c) * 9 + tap];
            }
        }
    }
    let offsets: [usize; 9] = std::array::from_fn(|tap| (tap / 3) * wp + tap % 3);
    let mut edge = [0f32; NR];
    for j0 in (0..span).step_by(NR) {
        for blk in 0..blocks {
            let mut s = [[v::zero(); NV]; MR];
            for c in 0..cin {
                let x = &padded[c * n + j0..];
                let ws = &wpk[(blk * cin + c) * 9 * MR..][..9 * MR];
                for (tap, &off) in offsets.iter().enumerate() {
                    // SAFETY: x[off + NR − 1] is padded[c·n + j0 + off + NR − 1], and
                    // j0 + off + NR − 1 ≤ span − 1 + 2·wp + 2 + NR − 1 = n + NR − 2: within
                    // cin·n + TAIL (asserted above); ws[tap·MR + r] < 9·MR.
                    unsafe {
                        let xs: [v::V; NV] =
                            std::array::from_fn(|k| v::load(x.as_ptr().add(off + 4 * k)));
                        for (r, sr) in s.iter_mut().enumerate() {
                            let wr = v::splat(ws.as_ptr().add(tap * MR + r));
                            for (acc, xk) in sr.iter_mut().zip(&xs) {
                                *acc = v::madd(*acc, wr, *xk);
                            }
                        }
                    }
                }
            }
            let cols = NR.min(span - j0);
            for (r, sr) in s.iter().enumerate() {
                let co = blk * MR + r;
                if co >= cout {
                    break;
                }
                let row = &mut acc[co * span + j0..][..cols];
                // SAFETY: row holds cols floats, NR when the block is whole; edge holds NR
                unsafe {
                    let to = if cols == NR {
                        row.as_mut_ptr()
                    } else {
                        edge.as_mut_ptr()
                    };
                    for (k, acc) in sr.iter().enumerate() {
                        v::store(to.add(4 * k), *acc);
                    }
                    if cols < NR {
                        row.copy_from_slice(&edge[..cols]);
                    }
                }
            }
        }
    }
}
