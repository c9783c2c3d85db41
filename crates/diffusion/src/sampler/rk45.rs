//! An [`Ode`] (an SDE's probability-flow ODE, or the linear flow path) with adaptive
//! Dormand–Prince RK45 (as seed 000 uses scipy's `RK45`):
//! a 5th-order step with an embedded 4th-order error estimate, accepted when
//! ‖err / (atol + rtol·max(|x|, |x'|))‖_rms ≤ 1, the next step scaled by 0.9·‖·‖^{-1/5} within
//! [0.2, 10]. The controller needs that norm on the host, so stepping is `async` (the browser must
//! not block on a readback); natively, drive it with [`block_on`].

use burn::prelude::*;

use super::Denoiser;
use super::Step;
use crate::DiffusionError;
use crate::Ode;

const C: [f64; 6] = [0.2, 0.3, 0.8, 8.0 / 9.0, 1.0, 1.0];
const A: [&[f64]; 6] = [
    &[0.2],
    &[3.0 / 40.0, 9.0 / 40.0],
    &[44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0],
    &[
        19372.0 / 6561.0,
        -25360.0 / 2187.0,
        64448.0 / 6561.0,
        -212.0 / 729.0,
    ],
    &[
        9017.0 / 3168.0,
        -355.0 / 33.0,
        46732.0 / 5247.0,
        49.0 / 176.0,
        -5103.0 / 18656.0,
    ],
    &[
        35.0 / 384.0,
        0.0,
        500.0 / 1113.0,
        125.0 / 192.0,
        -2187.0 / 6784.0,
        11.0 / 84.0,
    ],
];
/// 5th-order weights minus the embedded 4th-order ones.
const E: [f64; 7] = [
    35.0 / 384.0 - 5179.0 / 57600.0,
    0.0,
    500.0 / 1113.0 - 7571.0 / 16695.0,
    125.0 / 192.0 - 393.0 / 640.0,
    -2187.0 / 6784.0 + 92097.0 / 339200.0,
    11.0 / 84.0 - 187.0 / 2100.0,
    -1.0 / 40.0,
];

/// Adaptive RK45 from t = 1 down to the ODE's end. It owns its ODE, so it borrows nothing
/// across the awaits of its steps.
pub struct FlowRk45<const D: usize> {
    ode: Ode,
    t: f64,
    h: f64,
    rtol: f64,
    atol: f64,
    /// The slope and x̂₀ at the current point (first-same-as-last).
    k1: Option<(Tensor<D>, Tensor<D>)>,
    nfe: usize,
    accepted: usize,
}

impl<const D: usize> FlowRk45<D> {
    /// seed 000 uses rtol = atol = 1e-5.
    pub fn new(ode: impl Into<Ode>, rtol: f64, atol: f64) -> Result<Self, DiffusionError> {
        let ode = ode.into();
        for (name, v) in [("rtol", rtol), ("atol", atol)] {
            if !(v > 0.0 && v.is_finite()) {
                return Err(DiffusionError::OutOfRange {
                    name: if name == "rtol" { "rtol" } else { "atol" },
                    value: v,
                    expected: "a tolerance > 0",
                });
            }
        }
        let span = 1.0 - ode.t_end();
        Ok(Self {
            ode,
            t: 1.0,
            h: -0.01 * span,
            rtol,
            atol,
            k1: None,
            nfe: 0,
            accepted: 0,
        })
    }

    /// Model evaluations so far.
    pub fn nfe(&self) -> usize {
        self.nfe
    }

    /// Steps accepted so far plus those the current step size still needs: an estimate of the
    /// chain's length that is exact once it ends.
    pub fn estimated_len(&self) -> usize {
        let left = (self.t - self.ode.t_end()).max(0.0);
        self.accepted + (left / self.h.abs().max(1e-12)).ceil() as usize
    }

    /// Standard deviation of the starting noise.
    pub fn init_sigma(&self) -> f64 {
        self.ode.prior_sigma()
    }

    fn slope(&mut self, model: &dyn Denoiser<D>, x: &Tensor<D>, t: f64) -> (Tensor<D>, Tensor<D>) {
        self.nfe += 1;
        self.ode.drift(model, x, t)
    }

    /// Takes the next accepted step (retrying rejected ones), or `Ok(None)` at the ODE's end.
    pub async fn step(
        &mut self,
        model: &dyn Denoiser<D>,
        x: &Tensor<D>,
    ) -> Result<Option<Step<D>>, DiffusionError> {
        let end = self.ode.t_end();
        if self.t <= end + 1e-12 {
            return Ok(None);
        }
        let (k1, x0) = match self.k1.take() {
            Some(k) => k,
            None => self.slope(model, x, self.t),
        };
        let mut rejected = false;
        loop {
            let h = self.h.max(end - self.t); // h < 0: do not step past the end
            let mut k = vec![k1.clone()];
            for (i, row) in A.iter().enumerate() {
                let mut xi = x.clone();
                for (a, kj) in row.iter().zip(&k) {
                    if *a != 0.0 {
                        xi = xi + kj.clone() * (h * a);
                    }
                }
                if i == 5 {
                    // row 6 is the 5th-order solution itself; its slope is k7 (FSAL)
                    let (k7, x0_next) = self.slope(model, &xi, self.t + h);
                    k.push(k7);
                    let err = k
                        .iter()
                        .zip(E)
                        .fold(x.zeros_like(), |acc, (kj, e)| acc + kj.clone() * (h * e));
                    let scale = x.clone().abs().max_pair(xi.clone().abs()) * self.rtol + self.atol;
                    let norm = (err / scale).powi_scalar(2).mean().sqrt();
                    let norm: f64 = norm
                        .into_data_async()
                        .await
                        .map_err(|e| {
                            DiffusionError::Unsupported(format!("reading the error norm: {e:?}"))
                        })?
                        .iter::<f64>()
                        .next()
                        .unwrap_or(f64::NAN);
                    if !norm.is_finite() {
                        return Err(DiffusionError::NotFinite {
                            step: self.accepted,
                            t: self.t,
                        });
                    }
                    let mut factor = if norm == 0.0 {
                        10.0
                    } else {
                        (0.9 * norm.powf(-0.2)).clamp(0.2, 10.0)
                    };
                    if rejected {
                        factor = factor.min(1.0); // as scipy: no growth right after a rejection
                    }
                    if norm < 1.0 {
                        let index = self.accepted;
                        let t = self.t;
                        self.t += h;
                        self.h = h * factor;
                        self.accepted += 1;
                        self.k1 = Some((k.pop().expect("k7"), x0_next));
                        return Ok(Some(Step {
                            index,
                            t,
                            x: xi,
                            x0,
                        }));
                    }
                    self.h = h * factor;
                    rejected = true;
                    if self.h.abs() < 1e-10 {
                        return Err(DiffusionError::Unsupported(format!(
                            "RK45 step size underflow at t = {}",
                            self.t
                        )));
                    }
                    break;
                }
                let (ki, _) = self.slope(model, &xi, self.t + C[i] * h);
                k.push(ki);
            }
        }
    }
}

/// Runs a future to completion on the current thread (native only: on CPU backends every
/// readback is ready at once).
#[cfg(not(target_family = "wasm"))]
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}
