//! A drawing as the page records it (strokes of points on the canvas, a round brush) turned into
//! an image: each pixel covered by how far its centre is from the nearest stroke, with a soft
//! one-pixel edge, so a drawn digit looks like MNIST's anti-aliased ones. Shared by the editing
//! tests (`tests/fixtures/drawings`) and the page's drawing canvas.

/// `strokes` (each a polyline of (x, y) in pixels, 0 at the top left) drawn with a round brush
/// of `radius` pixels on a `size` × `size` canvas: row-major values in [0, 1] (1 = ink).
pub fn rasterize(strokes: &[Vec<[f32; 2]>], size: usize, radius: f32) -> Vec<f32> {
    let mut out = vec![0.0f32; size * size];
    for (i, v) in out.iter_mut().enumerate() {
        let p = [(i % size) as f32 + 0.5, (i / size) as f32 + 0.5];
        let d = strokes
            .iter()
            .flat_map(|s| {
                // a single point is a dot
                let pairs: Vec<([f32; 2], [f32; 2])> = if s.len() == 1 {
                    vec![(s[0], s[0])]
                } else {
                    s.windows(2).map(|w| (w[0], w[1])).collect()
                };
                pairs
            })
            .map(|(a, b)| distance(p, a, b))
            .fold(f32::INFINITY, f32::min);
        *v = (radius + 0.5 - d).clamp(0.0, 1.0);
    }
    out
}

/// Distance from `p` to the segment `a`–`b`.
fn distance(p: [f32; 2], a: [f32; 2], b: [f32; 2]) -> f32 {
    let (ab, ap) = ([b[0] - a[0], b[1] - a[1]], [p[0] - a[0], p[1] - a[1]]);
    let len2 = ab[0] * ab[0] + ab[1] * ab[1];
    let t = if len2 > 0.0 {
        ((ap[0] * ab[0] + ap[1] * ab[1]) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (dx, dy) = (ap[0] - t * ab[0], ap[1] - t * ab[1]);
    (dx * dx + dy * dy).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stroke_inks_the_pixels_under_the_brush_and_nothing_far_from_it() {
        let img = rasterize(&[vec![[4.0, 10.8], [24.0, 10.8]]], 28, 1.5);
        // on the line: full ink; two rows away: a soft edge; five rows away: nothing
        assert_eq!(img[10 * 28 + 14], 1.0);
        assert!(img[12 * 28 + 14] > 0.0 && img[12 * 28 + 14] < 1.0);
        assert_eq!(img[15 * 28 + 14], 0.0);
        // past the ends the brush is round
        assert_eq!(img[10 * 28], 0.0);
        assert!(rasterize(&[], 28, 1.5).iter().all(|v| *v == 0.0));
        let dot = rasterize(&[vec![[14.0, 14.0]]], 28, 1.0);
        assert_eq!(dot.iter().filter(|v| **v > 0.5).count(), 4);
    }
}
