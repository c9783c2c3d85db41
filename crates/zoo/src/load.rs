//! From downloaded bytes to a ready network, checking on the way everything a server, a network or
//! a wrong file can get wrong, each with a message that says what happened and what to do.

use burn::prelude::*;
use models::{ModelError, SafeTensors};
use sha2::{Digest, Sha256};

use crate::manifest::Entry;
use crate::net::Net;

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum LoadError {
    #[error(
        "the server sent a web page instead of the weights file '{file}' (is the file missing on the server?)"
    )]
    Html { file: String },
    #[error(
        "the weights file '{file}' is incomplete: {got} of {expected} bytes arrived (the download was cut off; try again)"
    )]
    Truncated {
        file: String,
        got: usize,
        expected: u64,
    },
    #[error(
        "the weights file '{file}' has {got} bytes, the model list says {expected}: it is not the file the list describes"
    )]
    Size {
        file: String,
        got: usize,
        expected: u64,
    },
    #[error(
        "the weights file '{file}' is damaged or not the one the model list names (SHA-256 {got}, expected {expected})"
    )]
    Checksum {
        file: String,
        got: String,
        expected: String,
    },
    #[error("the weights file '{file}' does not fit model '{id}': {error}")]
    Model {
        file: String,
        id: String,
        error: ModelError,
    },
    #[error("{0}")]
    Config(String),
}

/// SHA-256 of `bytes` as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// True when `bytes` look like an HTML page (what many servers send for a missing file).
pub fn looks_like_html(bytes: &[u8]) -> bool {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let head: Vec<u8> = bytes[start..bytes.len().min(start + 16)]
        .to_ascii_lowercase()
        .to_vec();
    head.starts_with(b"<!doctype") || head.starts_with(b"<html") || head.starts_with(b"<head")
}

/// Checks `bytes` against `entry` (page or not, size, checksum, format, every tensor's name, shape
/// and dtype) and returns the network with those weights.
pub fn load(entry: &Entry, bytes: &[u8], device: &Device) -> Result<Net, LoadError> {
    check_digested(entry, bytes, || sha256_hex(bytes))?;
    build(entry, bytes, device)
}

/// The checks of the file as a file: not a web page, the size and the SHA-256 the model list
/// gives, computed by `sha` (lower-case hex; e.g. by the browser's native `crypto.subtle`), which
/// is only called once the size is right.
pub fn check_digested(
    entry: &Entry,
    bytes: &[u8],
    sha: impl FnOnce() -> String,
) -> Result<(), LoadError> {
    let file = entry.file.clone();
    if looks_like_html(bytes) {
        return Err(LoadError::Html { file });
    }
    let got = bytes.len();
    if (got as u64) < entry.bytes {
        return Err(LoadError::Truncated {
            file,
            got,
            expected: entry.bytes,
        });
    }
    if got as u64 != entry.bytes {
        return Err(LoadError::Size {
            file,
            got,
            expected: entry.bytes,
        });
    }
    let sha = sha();
    if !sha.eq_ignore_ascii_case(entry.sha256.trim()) {
        return Err(LoadError::Checksum {
            file,
            got: sha,
            expected: entry.sha256.clone(),
        });
    }
    Ok(())
}

/// The network of `entry` with the weights in `bytes` (a checked file): the safetensors header,
/// and every tensor's name, shape and dtype against the architecture the entry describes.
pub fn build(entry: &Entry, bytes: &[u8], device: &Device) -> Result<Net, LoadError> {
    let model_error = |error| LoadError::Model {
        file: entry.file.clone(),
        id: entry.id.clone(),
        error,
    };
    let mut parsed = SafeTensors::parse(bytes).map_err(model_error)?;
    if entry.architecture == "unet2d" {
        // older diffusers files name the attention projections differently
        models::unet::rename_legacy_attention(&mut parsed);
    }
    Net::from_entry(entry, device)
        .map_err(LoadError::Config)?
        .with_weights(&parsed)
        .map_err(model_error)
}
