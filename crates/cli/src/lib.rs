//! The native command line's library half: everything `diffuse` does, callable from tests.

pub mod conformance;
pub mod steps_table;
