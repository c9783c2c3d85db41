//! Exponential moving average of a module's weights: θ̄ ← d·θ̄ + (1 − d)·θ, with the usual warm-up
//! d_k = min(d, (1 + k)/(10 + k)) so early averages are not dominated by the initialisation.

use std::collections::HashMap;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::prelude::*;

/// The averaged copy of a model (on the plain device, no autodiff graph).
#[derive(Debug, Clone)]
pub struct Ema<M> {
    pub model: M,
    pub decay: f64,
    pub updates: usize,
}

struct Gather(HashMap<ParamId, Tensor<1>>);

impl ModuleVisitor for Gather {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let t = param.val().inner();
        let n = t.shape().num_elements();
        self.0.insert(param.id, t.reshape([n]));
    }
}

struct Blend {
    current: HashMap<ParamId, Tensor<1>>,
    decay: f64,
}

impl ModuleMapper for Blend {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(cur) = self.current.remove(&param.id) else {
            return param;
        };
        let d = self.decay;
        param.map(|avg| {
            let dims = avg.dims();
            avg * d + cur.reshape(dims) * (1.0 - d)
        })
    }
}

impl<M: Module> Ema<M> {
    /// Starts the average at the model's current weights.
    pub fn new(model: &M, decay: f64) -> Self {
        Self {
            model: model.valid(),
            decay,
            updates: 0,
        }
    }

    /// The decay used for the next update (with warm-up).
    pub fn current_decay(&self) -> f64 {
        let k = self.updates as f64;
        self.decay.min((1.0 + k) / (10.0 + k))
    }

    /// Folds the model's current weights into the average.
    pub fn update(&mut self, model: &M) {
        let mut g = Gather(HashMap::new());
        model.visit(&mut g);
        let mut blend = Blend {
            current: g.0,
            decay: self.current_decay(),
        };
        self.model = self.model.clone().map(&mut blend);
        self.updates += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::{Linear, LinearConfig};

    fn weight(l: &Linear) -> Vec<f32> {
        l.weight.val().into_data().try_to_vec::<f32>().unwrap()
    }

    #[test]
    fn average_follows_the_closed_form() {
        let device = Device::flex().autodiff();
        let model = LinearConfig::new(2, 1).init(&device);
        let w0 = weight(&model);
        let mut ema = Ema::new(&model, 0.9);
        // Move the model to w0 + 1 and update three times: warm-up decays are 1/10, 2/11, 3/12.
        let moved = model.clone().map(&mut Blend {
            current: {
                let mut g = Gather(HashMap::new());
                model.visit(&mut g);
                g.0.into_iter().map(|(k, v)| (k, v + 1.0)).collect()
            },
            decay: 0.0,
        });
        let mut expect = w0.clone();
        for k in 0..3 {
            let d = (1.0f64 + k as f64) / (10.0 + k as f64);
            ema.update(&moved);
            for (e, w) in expect.iter_mut().zip(&w0) {
                *e = (*e as f64 * d + (*w as f64 + 1.0) * (1.0 - d)) as f32;
            }
        }
        for (a, b) in weight(&ema.model).iter().zip(&expect) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
        assert!(!ema.model.weight.val().is_autodiff());
    }
}
