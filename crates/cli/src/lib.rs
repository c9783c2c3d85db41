//! The native command line's library half: everything `diffuse` does, callable from tests.

pub mod bpd_cmd;
pub mod cifar_eval;
pub mod device;
pub mod edit_cmd;
pub mod eval_cmd;
pub mod export_cmd;
pub mod fid;
pub mod generate;
pub mod presets;
pub mod steps_table;
pub mod train_cmd;
