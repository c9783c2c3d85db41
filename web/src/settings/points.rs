//! Hand-drawn points in the URL hash (`pts=`): 4 URL-safe characters a point.

/// Drawn points live in [−EXTENT, EXTENT]² (the plot's extent).
pub const EXTENT: f64 = 3.0;
/// Most points a drawing may hold (the hash stays under ~8 kB).
pub const MAX_DRAWN: usize = 2000;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const LEVELS: f64 = 4095.0;

/// Points in [−EXTENT, EXTENT]² as 4 URL-safe characters each (12 bits per coordinate: a step of
/// 0.0015, far below a pixel).
pub fn encode_points(pts: &[f32]) -> String {
    let mut out = String::with_capacity(pts.len() * 2);
    for &v in pts {
        let q = (((v as f64 / EXTENT).clamp(-1.0, 1.0) + 1.0) * 0.5 * LEVELS).round() as usize;
        out.push(ALPHABET[q >> 6] as char);
        out.push(ALPHABET[q & 63] as char);
    }
    out
}

/// The inverse of [`encode_points`].
pub fn decode_points(s: &str) -> Result<Vec<f32>, String> {
    if !s.len().is_multiple_of(4) {
        return Err(format!(
            "{} characters, not a multiple of 4 (4 per point)",
            s.len()
        ));
    }
    if s.len() / 4 > MAX_DRAWN {
        return Err(format!(
            "{} points, more than the {MAX_DRAWN} a drawing may hold",
            s.len() / 4
        ));
    }
    let digit = |c: u8| {
        ALPHABET
            .iter()
            .position(|&a| a == c)
            .ok_or_else(|| format!("“{}” is not a point character", c as char))
    };
    s.as_bytes()
        .chunks_exact(2)
        .map(|pair| {
            let q = digit(pair[0])? * 64 + digit(pair[1])?;
            Ok(((q as f64 / LEVELS) * 2.0 - 1.0) as f32 * EXTENT as f32)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_codec_is_compact_and_rejects_garbage() {
        let pts = [-3.0f32, 3.0, 0.0, 1.234, 5.0, -9.0];
        let s = encode_points(&pts);
        assert_eq!(s.len(), 12);
        let back = decode_points(&s).unwrap();
        assert_eq!(back[0], -3.0);
        assert_eq!(back[1], 3.0);
        assert!((back[3] - 1.234).abs() < 1e-3);
        assert_eq!((back[4], back[5]), (3.0, -3.0), "clamped to the extent");
        assert!(decode_points("AB").is_err());
        assert!(decode_points("AB*D").unwrap_err().contains('*'));
        assert!(decode_points(&"AAAA".repeat(MAX_DRAWN + 1)).is_err());
    }
}
