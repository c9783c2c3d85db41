//! Moving weights between Burn modules and safetensors, by parameter path.
//!
//! A parameter's key is its module path joined with '.', the PyTorch convention, so a module whose
//! fields are named like a PyTorch module (e.g. diffusers' `down_blocks.0.resnets.0.conv1.weight`)
//! reads and writes the same files. Burn names differ from PyTorch in two places, handled here:
//! norms call their affine parameters `gamma`/`beta` (PyTorch: `weight`/`bias`), and `Linear`
//! stores its weight as [in, out] (PyTorch: [out, in]).

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::prelude::*;

use crate::ModelError;
use crate::safetensors::{SafeTensors, TensorF32};

struct PathTracker {
    path: Vec<String>,
    owners: Vec<String>,
}

impl PathTracker {
    fn new() -> Self {
        Self {
            path: Vec::new(),
            owners: Vec::new(),
        }
    }
    fn enter(&mut self, name: &str, container: &str) {
        self.path.push(name.to_string());
        self.owners.push(container.to_string());
    }
    fn exit(&mut self) {
        self.path.pop();
        self.owners.pop();
    }
    /// The PyTorch key of the parameter at the current path, and whether it is a Linear weight
    /// (stored transposed).
    fn key(&self) -> (String, bool) {
        let mut parts = self.path.clone();
        let owner = self.owners.last().map(String::as_str).unwrap_or("");
        let transposed =
            owner == "Struct:Linear" && parts.last().map(String::as_str) == Some("weight");
        if let Some(last) = parts.last_mut() {
            if last == "gamma" {
                *last = "weight".into();
            } else if last == "beta" {
                *last = "bias".into();
            }
        }
        (parts.join("."), transposed)
    }
}

struct Loader<'a> {
    tracker: PathTracker,
    file: &'a mut SafeTensors,
    error: Option<ModelError>,
}

impl ModuleMapper for Loader<'_> {
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.tracker.enter(name, container_type);
    }
    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.tracker.exit();
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if self.error.is_some() {
            return param;
        }
        let (key, transposed) = self.tracker.key();
        let tensor = param.val();
        let mut shape: Vec<usize> = tensor.dims().to_vec();
        if transposed {
            shape.reverse();
        }
        match self.file.take(&key, &shape) {
            Ok(values) => {
                let device = tensor.device();
                let mut loaded = Tensor::<D>::from_data(TensorData::new(values, shape), &device);
                if transposed {
                    loaded = loaded.transpose();
                }
                let id = param.id;
                param.transform_for_load(loaded, id)
            }
            Err(e) => {
                self.error = Some(e);
                param
            }
        }
    }
}

/// Replaces every parameter of `module` with the file's tensor of the same key. Strict both ways:
/// a missing key, a shape mismatch or a key the module does not have is an error.
pub fn load<M: Module>(module: M, file: &SafeTensors) -> Result<M, ModelError> {
    let mut file = file.clone();
    file.metadata.clear();
    let mut loader = Loader {
        tracker: PathTracker::new(),
        file: &mut file,
        error: None,
    };
    let module = module.map(&mut loader);
    if let Some(e) = loader.error {
        return Err(e);
    }
    if let Some(key) = file.tensors.keys().next() {
        return Err(ModelError::Unused(key.clone()));
    }
    Ok(module)
}

struct Collector {
    tracker: PathTracker,
    out: SafeTensors,
}

impl ModuleVisitor for Collector {
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.tracker.enter(name, container_type);
    }
    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.tracker.exit();
    }
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let (key, transposed) = self.tracker.key();
        let mut tensor = param.val();
        if transposed {
            tensor = tensor.transpose();
        }
        let shape = tensor.dims().to_vec();
        let values = tensor
            .into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .expect("f32 data");
        self.out.tensors.insert(key, TensorF32 { shape, values });
    }
}

/// Every parameter of `module` under its PyTorch key (reads tensors back synchronously: native
/// code only; the browser never saves weights).
pub fn collect<M: Module>(module: &M) -> SafeTensors {
    let mut c = Collector {
        tracker: PathTracker::new(),
        out: SafeTensors::default(),
    };
    module.visit(&mut c);
    c.out
}

struct Flattener(Vec<Tensor<1>>);

impl ModuleVisitor for Flattener {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let t = param.val();
        let n = t.shape().num_elements();
        self.0.push(t.reshape([n]));
    }
}

/// Every parameter of `module`, flattened and concatenated in the module's visiting order, as one
/// tensor (not read back, so the browser can read it asynchronously). [`unflatten`] puts such
/// values back into a module of the same architecture: how weights travel between a Web Worker
/// that trains and the page that samples.
pub fn flatten<M: Module>(module: &M) -> Tensor<1> {
    let mut f = Flattener(Vec::new());
    module.visit(&mut f);
    Tensor::cat(f.0, 0)
}

struct Unflattener<'a> {
    values: &'a [f32],
    at: usize,
    short: bool,
}

impl ModuleMapper for Unflattener<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        param.map(|t| {
            let shape = t.shape();
            let n = shape.num_elements();
            let Some(values) = self.values.get(self.at..self.at + n) else {
                self.short = true;
                return t;
            };
            self.at += n;
            Tensor::from_data(TensorData::new(values.to_vec(), shape), &t.device())
        })
    }
}

/// Replaces the parameters of `module` with `values` as [`flatten`] laid them out; the count must
/// match exactly.
pub fn unflatten<M: Module>(module: M, values: &[f32]) -> Result<M, ModelError> {
    let expected = module.num_params();
    if values.len() != expected {
        return Err(ModelError::Config(format!(
            "{} weights given for a model with {expected} parameters",
            values.len()
        )));
    }
    let mut u = Unflattener {
        values,
        at: 0,
        short: false,
    };
    let module = module.map(&mut u);
    debug_assert!(!u.short && u.at == expected);
    Ok(module)
}
