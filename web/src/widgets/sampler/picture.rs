//! An image file opened (or dropped on the editing pad) read as the model's image: the browser
//! decodes it (`createImageBitmap`: PNG, JPEG, WebP, …), it is drawn at the model's size, and
//! its pixels become [C·H·W] values in [−1, 1] (grey for one channel). A file that is not an
//! image, or too large to read, is a sentence; one of another size is scaled, and said so.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{CanvasRenderingContext2d, Element, HtmlInputElement};

/// Files above this are refused before they are read.
const MAX_BYTES: f64 = 20e6;

/// The picked file as the model's image, with a note when it was scaled; `None` when no file
/// was picked.
pub async fn open(
    input: &Element,
    [c, h, w]: [usize; 3],
) -> Result<Option<(Vec<f32>, Option<String>)>, String> {
    let input: &HtmlInputElement = input.dyn_ref().ok_or("not a file input")?;
    let Some(file) = input.files().and_then(|l| l.get(0)) else {
        return Ok(None);
    };
    input.set_value("");
    let name = file.name();
    if file.size() > MAX_BYTES {
        return Err(format!(
            "{name} is {:.0} MB: open an image under {:.0} MB.",
            file.size() / 1e6,
            MAX_BYTES / 1e6
        ));
    }
    let not_image = || format!("{name} is not an image this browser can read (open a PNG or a JPEG).");
    let window = crate::dom::window();
    let make = js_sys::Reflect::get(&window, &"createImageBitmap".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or("This browser cannot decode images here.")?;
    let promise = make
        .call1(&window, &file)
        .map_err(|_| not_image())?
        .dyn_into::<js_sys::Promise>()
        .map_err(|_| not_image())?;
    let bitmap = JsFuture::from(promise).await.map_err(|_| not_image())?;
    let size = |key: &str| {
        js_sys::Reflect::get(&bitmap, &key.into())
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0) as usize
    };
    let (bw, bh) = (size("width"), size("height"));
    let canvas = crate::dom::canvas(w as u32, h as u32).map_err(|_| not_image())?;
    let ctx = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
        .ok_or("The browser gave no canvas to read the image with.")?;
    ctx.set_fill_style_str("black");
    ctx.fill_rect(0.0, 0.0, w as f64, h as f64);
    let draw = js_sys::Reflect::get(&ctx, &"drawImage".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or("The browser's canvas cannot draw images.")?;
    let args = js_sys::Array::of5(
        &bitmap,
        &0.into(),
        &0.into(),
        &(w as u32).into(),
        &(h as u32).into(),
    );
    draw.apply(&ctx, &args).map_err(|_| not_image())?;
    let rgba = ctx
        .get_image_data(0.0, 0.0, w as f64, h as f64)
        .map_err(|_| not_image())?
        .data()
        .0;
    let to = |v: u8| v as f32 / 127.5 - 1.0;
    let image: Vec<f32> = match c {
        1 => rgba
            .chunks(4)
            .map(|p| {
                if p[0] == p[1] && p[1] == p[2] {
                    return to(p[0]);
                }
                let grey = 0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32;
                grey / 127.5 - 1.0
            })
            .collect(),
        _ => (0..c)
            .flat_map(|ch| rgba.chunks(4).map(move |p| to(p[ch.min(2)])).collect::<Vec<_>>())
            .collect(),
    };
    let note = ((bw, bh) != (w, h)).then(|| {
        format!("{name} is {bw}×{bh}: scaled to {w}×{h}, this model's size.")
    });
    Ok(Some((image, note)))
}
