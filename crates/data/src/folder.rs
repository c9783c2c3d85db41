//! Labelled image folders: `<root>/<split>/<class>/<name>.{png,jpg,jpeg}`, classes sorted by name
//! (torchvision's ImageFolder order), every image decoded to 3-channel RGB.

use std::io::Read;
use std::path::Path;

use crate::{DataError, Images};

/// The largest image file a folder may hold, checked before it is read (a CIFAR-10 PNG is ~2 kB).
pub const MAX_IMAGE_FILE_BYTES: u64 = 64 << 20;
/// The most bytes of image files a folder may hold in all, checked before each file is read
/// (CIFAR-10's 60,000 PNGs: ~140 MB).
pub const MAX_FOLDER_BYTES: u64 = 2 << 30;

/// Counts the bytes of the image files read so far, refusing a file before it is read when it,
/// or the folder, would pass the limits above.
struct Budget<'a> {
    origin: &'a str,
    used: u64,
}

impl Budget<'_> {
    fn take(&mut self, name: &str, bytes: u64) -> Result<(), DataError> {
        if bytes > MAX_IMAGE_FILE_BYTES {
            return Err(DataError::malformed(
                self.origin,
                format!(
                    "{name} is {bytes} bytes, more than the {} MiB an image file may have",
                    MAX_IMAGE_FILE_BYTES >> 20
                ),
            ));
        }
        self.used += bytes;
        if self.used > MAX_FOLDER_BYTES {
            return Err(DataError::malformed(
                self.origin,
                format!(
                    "its images come to more than the {} GiB a folder may hold",
                    MAX_FOLDER_BYTES >> 30
                ),
            ));
        }
        Ok(())
    }
}

struct Entry {
    class: String,
    name: String,
    bytes: Vec<u8>,
}

fn is_image(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".png") || lower.ends_with(".jpg") || lower.ends_with(".jpeg")
}

fn assemble(mut entries: Vec<Entry>, origin: &str, split: &str) -> Result<Images, DataError> {
    if entries.is_empty() {
        return Err(DataError::malformed(
            origin,
            format!("no images under '{split}/<class>/'"),
        ));
    }
    entries.sort_by(|a, b| (&a.class, &a.name).cmp(&(&b.class, &b.name)));
    let mut classes: Vec<String> = entries.iter().map(|e| e.class.clone()).collect();
    classes.dedup();
    if classes.len() > 256 {
        return Err(DataError::malformed(
            origin,
            format!("{} classes, at most 256 supported", classes.len()),
        ));
    }
    let (mut width, mut height) = (0, 0);
    let mut pixels = Vec::new();
    let mut labels = Vec::with_capacity(entries.len());
    for e in &entries {
        let img = image::load_from_memory(&e.bytes)
            .map_err(|err| {
                DataError::malformed(
                    origin,
                    format!("{}/{}: cannot decode ({err})", e.class, e.name),
                )
            })?
            .to_rgb8();
        if labels.is_empty() {
            (width, height) = (img.width() as usize, img.height() as usize);
        } else if (img.width() as usize, img.height() as usize) != (width, height) {
            return Err(DataError::malformed(
                origin,
                format!(
                    "{}/{} is {}×{}, the others are {width}×{height}",
                    e.class,
                    e.name,
                    img.width(),
                    img.height()
                ),
            ));
        }
        // HWC → CHW.
        let raw = img.into_raw();
        for c in 0..3 {
            pixels.extend(raw.iter().skip(c).step_by(3));
        }
        labels.push(classes.binary_search(&e.class).expect("class listed") as u8);
    }
    Ok(Images {
        channels: 3,
        height,
        width,
        pixels,
        labels,
        classes,
    })
}

/// Splits `.../<split>/<class>/<file>` into (class, file) if the path is under `split`.
fn io(path: &Path) -> impl Fn(std::io::Error) -> DataError + '_ {
    move |source| DataError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn class_and_name<'a>(parts: &[&'a str], split: &str) -> Option<(&'a str, &'a str)> {
    let n = parts.len();
    (n >= 3 && parts[n - 3] == split && is_image(parts[n - 1]))
        .then(|| (parts[n - 2], parts[n - 1]))
}

/// Reads split `split` of an image folder tree on disk.
pub fn read_image_folder(root: &Path, split: &str) -> Result<Images, DataError> {
    let origin = root.display().to_string();
    let dir = root.join(split);
    let mut budget = Budget {
        origin: &origin,
        used: 0,
    };
    let mut entries = Vec::new();
    for class in std::fs::read_dir(&dir).map_err(io(&dir))? {
        let class = class.map_err(io(&dir))?.path();
        if !class.is_dir() {
            continue;
        }
        let class_name = class
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        for file in std::fs::read_dir(&class).map_err(io(&class))? {
            let file = file.map_err(io(&class))?.path();
            let name = file
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            if is_image(&name) {
                let label = format!("{class_name}/{name}");
                let size = std::fs::metadata(&file).map_err(io(&file))?.len();
                budget.take(&label, size)?;
                // read no more than the limit, whatever the size said (a file that grew, a
                // device file)
                let mut bytes = Vec::new();
                std::fs::File::open(&file)
                    .and_then(|f| f.take(MAX_IMAGE_FILE_BYTES + 1).read_to_end(&mut bytes))
                    .map_err(io(&file))?;
                if bytes.len() as u64 != size {
                    // it changed since: counted again at what was read (over 64 MiB: refused)
                    budget.take(&label, bytes.len() as u64)?;
                }
                entries.push(Entry {
                    class: class_name.clone(),
                    name,
                    bytes,
                });
            }
        }
    }
    assemble(entries, &origin, split)
}

/// Reads split `split` of an image folder tree packed in a `.tar.gz` (any leading directories).
pub fn read_image_folder_tar_gz(path: &Path, split: &str) -> Result<Images, DataError> {
    let origin = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| DataError::Io {
        path: origin.clone(),
        source,
    })?;
    read_image_folder_tar_gz_from(file, &origin, split)
}

/// The same from any reader of the `.tar.gz`'s bytes, named `origin` in messages.
pub fn read_image_folder_tar_gz_from(
    reader: impl Read,
    origin: &str,
    split: &str,
) -> Result<Images, DataError> {
    let origin = origin.to_string();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(reader));
    let bad =
        |e: std::io::Error| DataError::malformed(&origin, format!("not a readable .tar.gz ({e})"));
    let mut budget = Budget {
        origin: &origin,
        used: 0,
    };
    let mut entries = Vec::new();
    for entry in archive.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        let name = entry.path().map_err(bad)?.to_string_lossy().to_string();
        let parts: Vec<&str> = name.split('/').filter(|p| !p.is_empty()).collect();
        if let Some((class, file)) = class_and_name(&parts, split) {
            let (class, file) = (class.to_string(), file.to_string());
            // the entry's size (a PAX header's where there is one), before the bytes are read,
            // and the read bounded by the limit all the same
            budget.take(&format!("{class}/{file}"), entry.size())?;
            let mut bytes = Vec::new();
            (&mut entry)
                .take(MAX_IMAGE_FILE_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(bad)?;
            entries.push(Entry {
                class,
                name: file,
                bytes,
            });
        }
    }
    assemble(entries, &origin, split)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32, rgb: [u8; 3]) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb(rgb));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    fn tar_gz(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut b = tar::Builder::new(gz);
        for (name, bytes) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(bytes.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, bytes.as_slice()).unwrap();
        }
        b.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn reads_a_tar_gz_and_a_directory_the_same_way() {
        let dir = std::env::temp_dir().join(format!("folder-test-{}", std::process::id()));
        let files = vec![
            ("set/train/cat/1.png", png(2, 2, [255, 0, 0])),
            ("set/train/ant/9.png", png(2, 2, [0, 0, 255])),
            ("set/test/cat/1.png", png(2, 2, [1, 2, 3])),
        ];
        std::fs::create_dir_all(&dir).unwrap();
        let tgz = dir.join("set.tar.gz");
        std::fs::write(&tgz, tar_gz(&files)).unwrap();
        let a = read_image_folder_tar_gz(&tgz, "train").unwrap();
        assert_eq!(a.classes, vec!["ant", "cat"]);
        assert_eq!(a.labels, vec![0, 1]);
        assert_eq!((a.channels, a.height, a.width), (3, 2, 2));
        // ant is blue: channel 2 is 255 for its 4 pixels; cat is red.
        assert_eq!(
            &a.pixels[..12],
            &[0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255]
        );
        assert_eq!(&a.pixels[12..16], &[255, 255, 255, 255]);
        for (name, bytes) in &files {
            let p = dir.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, bytes).unwrap();
        }
        let b = read_image_folder(&dir.join("set"), "train").unwrap();
        assert_eq!(a, b);
        assert!(
            read_image_folder_tar_gz(&tgz, "valid")
                .unwrap_err()
                .to_string()
                .contains("no images")
        );

        let odd = dir.join("odd.tar.gz");
        std::fs::write(
            &odd,
            tar_gz(&[
                ("train/a/1.png", png(2, 2, [0; 3])),
                ("train/a/2.png", png(3, 2, [0; 3])),
            ]),
        )
        .unwrap();
        assert!(
            read_image_folder_tar_gz(&odd, "train")
                .unwrap_err()
                .to_string()
                .contains("3×2")
        );
        std::fs::write(&odd, tar_gz(&[("train/a/1.jpg", b"not a jpeg".to_vec())])).unwrap();
        assert!(
            read_image_folder_tar_gz(&odd, "train")
                .unwrap_err()
                .to_string()
                .contains("cannot decode")
        );
        let mut cut = tar_gz(&files);
        cut.truncate(cut.len() / 2);
        std::fs::write(&odd, cut).unwrap();
        assert!(read_image_folder_tar_gz(&odd, "train").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
