//! Training data: the 2-D toy distributions of the in-tab trainer ([`toy`]), and for the image models MNIST in IDX files (gzipped or not) and labelled image
//! folders (`<split>/<class>/*.{png,jpg}`, as a directory or inside a `.tar.gz`). Everything comes
//! back as one [`Images`] value: u8 pixels in N×C×H×W order and a class index per image.

pub mod draw;
#[cfg(feature = "files")]
mod folder;
#[cfg(feature = "files")]
mod idx;
pub mod toy;

#[cfg(feature = "files")]
pub use folder::{
    MAX_FOLDER_BYTES, MAX_IMAGE_FILE_BYTES, read_image_folder, read_image_folder_tar_gz,
    read_image_folder_tar_gz_from,
};
#[cfg(feature = "files")]
pub use idx::{MAX_IDX_BYTES, encode_idx, parse_idx, read_idx_images, read_idx_labels, read_mnist};

/// Errors, each naming the file and what is wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {reason}")]
    Malformed { path: String, reason: String },
}

#[cfg(feature = "files")]
impl DataError {
    pub(crate) fn malformed(path: &str, reason: impl Into<String>) -> Self {
        DataError::Malformed {
            path: path.to_string(),
            reason: reason.into(),
        }
    }
}

/// A labelled image set, pixels u8 in N×C×H×W order.
#[derive(Debug, Clone, PartialEq)]
pub struct Images {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub pixels: Vec<u8>,
    pub labels: Vec<u8>,
    pub classes: Vec<String>,
}

impl Images {
    pub fn len(&self) -> usize {
        self.labels.len()
    }
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
    /// Values per image.
    pub fn image_size(&self) -> usize {
        self.channels * self.height * self.width
    }
    /// Pixels of images `idx`, scaled to [−1, 1], concatenated (N×C×H×W).
    pub fn batch_f32(&self, idx: &[usize]) -> Vec<f32> {
        let s = self.image_size();
        let mut out = Vec::with_capacity(idx.len() * s);
        for &i in idx {
            out.extend(
                self.pixels[i * s..(i + 1) * s]
                    .iter()
                    .map(|&p| p as f32 / 127.5 - 1.0),
            );
        }
        out
    }
}

/// A value in [−1, 1] back to a pixel, rounded and clamped: the inverse of
/// [`Images::batch_f32`]'s scaling.
pub fn to_pixel(v: f32) -> u8 {
    ((v.clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8
}

/// [`to_pixel`] over a slice.
pub fn to_pixels(values: &[f32]) -> Vec<u8> {
    values.iter().map(|&v| to_pixel(v)).collect()
}

#[cfg(test)]
mod pixel_tests {
    use super::*;

    #[test]
    fn to_pixels_rounds_clamps_and_inverts_batch_f32() {
        assert_eq!(
            to_pixels(&[-1.0, 1.0, 0.0, -3.0, 2.0, -0.996]),
            vec![0, 255, 128, 0, 255, 1]
        );
        let images = Images {
            channels: 1,
            height: 1,
            width: 256,
            pixels: (0..=255).collect(),
            labels: vec![0],
            classes: vec!["all".into()],
        };
        assert_eq!(to_pixels(&images.batch_f32(&[0])), images.pixels);
    }
}
