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
