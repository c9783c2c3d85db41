//! Every size limit on outside bytes: a value at the limit is taken, one past it is refused with
//! its sentence, and a claim of a huge size is refused before anything of that size is allocated.
//! A counting allocator records the largest single allocation each call makes (one test function,
//! so no other test's allocations count).

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

struct Largest;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed on to the system allocator unchanged; only sizes are recorded.
unsafe impl GlobalAlloc for Largest {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Largest = Largest;

/// What `f` returns, and the largest single allocation it made.
fn largest<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LARGEST.store(0, Ordering::Relaxed);
    let out = f();
    (out, LARGEST.load(Ordering::Relaxed))
}

const MIB: usize = 1 << 20;

fn refused<T: std::fmt::Debug, E: ToString>(what: &str, r: Result<T, E>, says: &str) {
    match r {
        Ok(v) => panic!("{what}: taken ({v:?})"),
        Err(e) => {
            let e = e.to_string();
            assert!(e.contains(says), "{what}: “{e}” does not say “{says}”");
        }
    }
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../tests/fixtures/diffusers/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn every_limit_takes_its_value_refuses_one_more_and_a_huge_claim_allocates_nothing() {
    // a person's own model: the files' sizes, checked on the picked files before they are read
    use zoo::own::{MAX_JSON_BYTES, MAX_WEIGHTS_BYTES};
    assert!(zoo::check_pick("w.safetensors", MAX_WEIGHTS_BYTES).is_ok());
    refused(
        "weights one byte over",
        zoo::check_pick("w.safetensors", MAX_WEIGHTS_BYTES + 1),
        "more than the",
    );
    assert!(zoo::check_pick("config.json", MAX_JSON_BYTES).is_ok());
    refused(
        "a config one byte over",
        zoo::check_pick("config.json", MAX_JSON_BYTES + 1),
        "more than the",
    );

    // its config's class rows and its scheduler's training timesteps (each makes a list)
    let config: Value = serde_json::from_slice(&fixture("unet_tiny_config.json")).unwrap();
    let weights = fixture("unet_tiny.safetensors");
    let files = |classes: u64, steps: u64| {
        let mut c = config.clone();
        c["num_class_embeds"] = json!(classes);
        let scheduler = json!({"beta_schedule": "linear", "num_train_timesteps": steps});
        vec![
            ("config.json".to_string(), serde_json::to_vec(&c).unwrap()),
            ("w.safetensors".to_string(), weights.clone()),
            (
                "scheduler_config.json".to_string(),
                serde_json::to_vec(&scheduler).unwrap(),
            ),
        ]
    };
    let own = |files: Vec<(String, Vec<u8>)>| {
        let (entry, _) = zoo::own_entry(files)?;
        entry.process.ok_or("no process")?.process().map(|_| ())
    };
    assert!(
        own(files(1001, 100_000)).is_ok(),
        "{:?}",
        own(files(1001, 100_000))
    );
    refused("1002 class rows", own(files(1002, 1000)), "from 0 to 1001");
    refused(
        "100,001 timesteps",
        own(files(10, 100_001)),
        "num_train_timesteps 100001",
    );
    let picked = files(10, 4_000_000_000);
    let (r, most) = largest(|| own(picked));
    refused("4e9 timesteps", r, "num_train_timesteps 4000000000");
    assert!(most < MIB, "4e9 timesteps: an allocation of {most} bytes");

    // the model list: a file's size and a schedule's training timesteps
    let shipped: Value =
        serde_json::from_str(include_str!("../../../static/weights/manifest.json")).unwrap();
    let manifest = |bytes: u64, steps: u64| {
        let mut m = shipped.clone();
        m["models"][0]["bytes"] = json!(bytes);
        m["models"][0]["process"]["num_train_timesteps"] = json!(steps);
        let m = zoo::Manifest::parse(&m.to_string())?;
        m.models[0].process.as_ref().unwrap().process().map(|_| ())
    };
    use zoo::manifest::{MAX_FILE_BYTES, MAX_TIMESTEPS};
    assert!(manifest(MAX_FILE_BYTES, MAX_TIMESTEPS).is_ok());
    refused(
        "a file one byte over",
        manifest(MAX_FILE_BYTES + 1, 1000),
        "more than",
    );
    refused(
        "100,001 timesteps",
        manifest(1000, MAX_TIMESTEPS + 1),
        "at most 100000",
    );
    let (r, most) = largest(|| manifest(1000, 1 << 40));
    refused("2^40 timesteps", r, "at most 100000");
    assert!(
        most < MIB,
        "2^40 timesteps in the model list: an allocation of {most} bytes"
    );

    // safetensors: the header's length (at most 10^8), and tensors past the file
    use models::safetensors::{Header, SafeTensors};
    let with_length = |n: u64| [n.to_le_bytes().to_vec(), b"{}".to_vec()].concat();
    let (r, most) = largest(|| Header::parse(&with_length(100_000_000)));
    refused("a header of 10^8 bytes in a 10-byte file", r, "truncated");
    assert!(
        most < MIB,
        "a header length of 10^8: an allocation of {most} bytes"
    );
    refused(
        "a header of 10^8 + 1 bytes",
        Header::parse(&with_length(100_000_001)),
        "implausible",
    );
    let header = br#"{"w": {"dtype": "F32", "shape": [1048576, 1048576], "data_offsets": [0, 4]}}"#;
    let file = [
        (header.len() as u64).to_le_bytes().to_vec(),
        header.to_vec(),
        vec![0; 4],
    ]
    .concat();
    let (r, most) = largest(|| SafeTensors::parse(&file));
    assert!(r.is_err(), "a 2^40-value tensor in 4 bytes was taken");
    assert!(
        most < MIB,
        "a 2^40-value tensor claimed: an allocation of {most} bytes"
    );

    // IDX (the CLI's MNIST files): a header's claim, and a gzip bomb
    let idx = |dims: &[u32], body: &[u8]| data::encode_idx(dims, body);
    let (r, most) = largest(|| data::parse_idx(&idx(&[60_000, 60_000, 1], &[]), 3, "claim"));
    refused("3.6e9 values claimed by an empty file", r, "values");
    assert!(
        most < MIB,
        "3.6e9 IDX values claimed: an allocation of {most} bytes"
    );
    let (r, most) =
        largest(|| data::parse_idx(&gz(&idx(&[60_000, 60_000, 1], &[])), 3, "claim.gz"));
    refused("3.6e9 values claimed, gzipped", r, "more than the 1024 MiB");
    assert!(
        most < MIB,
        "3.6e9 gzipped IDX values claimed: an allocation of {most} bytes"
    );
    // 100 images of 28 × 28 claimed, 64 MiB unpacked: read no further than the claim
    let bomb = gz(&idx(&[100, 28, 28], &vec![0; 64 * MIB]));
    assert!(bomb.len() < MIB / 2, "the bomb is {} bytes", bomb.len());
    let (r, most) = largest(|| data::parse_idx(&bomb, 3, "bomb.gz"));
    refused("a gzip bomb", r, "the file holds more");
    assert!(most < MIB, "a gzip bomb: an allocation of {most} bytes");
    let ok = gz(&idx(&[100, 28, 28], &vec![7; 100 * 28 * 28]));
    assert_eq!(
        data::parse_idx(&ok, 3, "ok.gz").unwrap().1.len(),
        100 * 28 * 28
    );

    // an image folder (.tar.gz): a file's size, from its tar header, before it is read
    let tar_gz = |size: u64| {
        let mut h = tar::Header::new_gnu();
        h.set_path("set/train/cat/1.png").unwrap();
        h.set_size(size);
        h.set_mode(0o644);
        h.set_cksum();
        let mut raw = h.as_bytes().to_vec();
        raw.extend(vec![0; 512]);
        gz(&raw)
    };
    let over = |what: &str, tgz: Vec<u8>| {
        let (r, most) =
            largest(|| data::read_image_folder_tar_gz_from(tgz.as_slice(), "over.tar.gz", "train"));
        refused(what, r.map(|i| i.len()), "more than the 64 MiB");
        assert!(most < MIB, "{what}: an allocation of {most} bytes");
    };
    over(
        "an image file over 64 MiB",
        tar_gz(data::MAX_IMAGE_FILE_BYTES + 1),
    );
    // the same claim in a PAX extended header (which the reader takes over the plain one's 0)
    let pax = {
        let record = b"17 size=67108865\n";
        let mut x = tar::Header::new_ustar();
        x.set_path("PaxHeader").unwrap();
        x.set_entry_type(tar::EntryType::XHeader);
        x.set_size(record.len() as u64);
        x.set_mode(0o644);
        x.set_cksum();
        let mut h = tar::Header::new_gnu();
        h.set_path("set/train/cat/1.png").unwrap();
        h.set_size(0);
        h.set_mode(0o644);
        h.set_cksum();
        let mut raw = x.as_bytes().to_vec();
        raw.extend(record);
        raw.resize(1024, 0);
        raw.extend(h.as_bytes());
        raw.extend(vec![0; 1024]);
        gz(&raw)
    };
    over("a PAX size over 64 MiB", pax);
    // at the limit the file is read (here it is cut short: a tar error, not the limit's)
    let r = data::read_image_folder_tar_gz_from(
        tar_gz(data::MAX_IMAGE_FILE_BYTES).as_slice(),
        "cut.tar.gz",
        "train",
    );
    assert!(r.is_err_and(|e| !e.to_string().contains("more than the")));
}
