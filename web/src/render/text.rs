//! How numbers read in the widgets' labels.

/// A diffusion time as a label: a discrete DDPM timestep as the whole number it is ("100"), a
/// continuous time with three decimals ("0.100").
pub fn time(t: f64) -> String {
    if t >= 1.0 && t.fract() == 0.0 {
        format!("{t:.0}")
    } else {
        format!("{t:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timesteps_read_as_whole_numbers_and_continuous_times_keep_three_decimals() {
        assert_eq!(time(100.0), "100");
        assert_eq!(time(999.0), "999");
        assert_eq!(time(1.0), "1");
        assert_eq!(time(0.1), "0.100");
        assert_eq!(time(0.0), "0.000");
        assert_eq!(time(12.5), "12.500");
    }
}
