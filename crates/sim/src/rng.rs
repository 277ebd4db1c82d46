//! A small deterministic PRNG shared by the simulator and the benchmark harness.

/// splitmix64: every implementation of a benchmark case, and every run of a simulation,
/// sees the same arrivals and sizes for the same seed.
///
/// ```
/// use ontime_sim::Rng;
/// let (mut a, mut b) = (Rng::new(7), Rng::new(7));
/// assert_eq!(a.next_u64(), b.next_u64());
/// let u = a.unit();
/// assert!(u > 0.0 && u <= 1.0);
/// ```
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// Seeded generator.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    pub fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    }

    /// Exponential with the given mean.
    pub fn exp(&mut self, mean: f64) -> f64 {
        -mean * self.unit().ln()
    }

    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.unit(), self.unit());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// Reads a seed as written on a command line: decimal, or hexadecimal after `0x` (as the docs
/// write the sim suite's, `0x513eed`); `None` for anything else, negative numbers and values
/// past `u64::MAX` included. `_` separators are allowed in either form.
///
/// ```
/// use ontime_sim::parse_seed;
/// assert_eq!(parse_seed("0x513eed"), Some(5_324_525));
/// assert_eq!(parse_seed("0X51_3EED"), Some(5_324_525));
/// assert_eq!(parse_seed("5324525"), Some(5_324_525));
/// assert_eq!(parse_seed("-1"), None);
/// assert_eq!(parse_seed("0x"), None);
/// assert_eq!(parse_seed("seven"), None);
/// assert_eq!(parse_seed("0x1_0000_0000_0000_0000"), None);
/// ```
pub fn parse_seed(s: &str) -> Option<u64> {
    let s: String = s.trim().chars().filter(|&c| c != '_').collect();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) if !hex.is_empty() => u64::from_str_radix(hex, 16).ok(),
        Some(_) => None,
        None => s.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_deterministic_and_exp_has_its_mean() {
        let (mut a, mut b) = (Rng::new(1), Rng::new(1));
        for _ in 0..10 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        let n = 200_000;
        let mean = (0..n).map(|_| a.exp(3.0)).sum::<f64>() / n as f64;
        assert!((mean - 3.0).abs() < 0.05, "{mean}");
    }
}
