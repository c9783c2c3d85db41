//! The models the playground ships, between the weights files and the samplers: what
//! `static/weights/manifest.json` says of each ([`manifest`]), the network it describes ([`net`]),
//! checking and loading a downloaded file with a message a person can act on for every way it can
//! be wrong ([`load`]), and walking a sampling chain over a grid of images one step at a time
//! ([`chain`]); a person's own diffusers `UNet2DModel` files read into an entry ([`own`]). Platform-independent: the CLI and the browser app share all of it.

pub mod chain;
pub mod halves;
pub mod load;
pub mod manifest;
pub mod net;
pub mod own;

pub use chain::{ChainSpec, EditSpec, IMAGE_CLIP, ImageChain, Part, splits};
pub use halves::{Attempt, Half, OwnHalf, splits_by_halves};
pub use load::{LoadError, build, check_digested, load, sha256_hex};
pub use manifest::{Entry, Manifest, Process};
pub use net::Net;
pub use own::{OWN, check_pick, own_entry};
