//! The best any model can do on the synthetic data: the Bayes-optimal anomaly score, computed from the generator's
//! own parameters.
//!
//! A test pair `(user, ip)` is normal (one of the user's own test-period events) or an attack (a uniformly drawn
//! known user with an address from a uniformly random range). The optimal ranking of pairs orders them by the
//! likelihood ratio
//!
//! ```text
//! p(user, ip | normal) / p(user, ip | attack)
//!     ∝ events(user) · [travel(user) + (1 − travel(user)) · N · p_loc(user, row(ip))]
//! ```
//!
//! where `N` is the number of ranges (an attack or travel address is a uniformly random range, then a uniformly
//! random address in it, so the address-within-range factor cancels), `events(user)` is the user's activity (normal
//! test events are drawn in proportion to it, attack users uniformly) and `p_loc` is the probability that a
//! non-travel event lands in that range: `home_share · φ(row; home) + (1 − home_share) · φ(row; work)`, with
//! `φ(row; base) = P(trunc(base + Normal(0, σ)) mod N = row)`, exactly as the generator draws it.
//!
//! No model can beat the AUC of this score in expectation: it is a Monte Carlo estimate, on the test set at hand,
//! of the generator's Bayes-optimal AUC. (Travelling users' normal events look like attacks by address alone, but
//! heavy users make most normal events while attack users are drawn uniformly, so identity still carries signal,
//! and an estimate that ignores it is not a bound.)

use super::events::{UserProfile, LOCALITY_SIGMA};
use super::AsnTable;
use std::net::Ipv4Addr;

/// The generator's hidden truth: the ASN table and every user's parameters.
#[derive(Debug, Clone)]
pub struct GeneratorTruth {
    /// The synthesised ASN table.
    pub table: AsnTable,
    /// Per user id: the parameters the generator drew.
    pub profiles: Vec<UserProfile>,
}

impl GeneratorTruth {
    /// The Bayes-optimal anomaly score of `(user, ip)`: `−ln` of the likelihood ratio above (higher = more
    /// anomalous; `+∞` for an address outside the table or an unknown user, which no normal event has).
    pub fn anomaly_score(&self, user: u32, ip: Ipv4Addr) -> f64 {
        let (Some(profile), Some(row)) = (self.profiles.get(user as usize), self.table.row_of(ip)) else {
            return f64::INFINITY;
        };
        let n = self.table.len();
        let local = profile.home_share * row_probability(row, profile.home, n)
            + (1.0 - profile.home_share) * row_probability(row, profile.work, n);
        let address = profile.travel + (1.0 - profile.travel) * n as f64 * local;
        -((profile.events as f64).ln() + address.ln())
    }
}

/// `P(trunc(base + Normal(0, σ)) mod n = row)`: the probability that a non-travel event around range `base` lands in
/// range `row` (truncation towards zero and a non-negative remainder, as the generator draws it).
pub(crate) fn row_probability(row: usize, base: usize, n: usize) -> f64 {
    let (row, base, n) = (row as f64, base as f64, n as f64);
    // The integers t with t mod n = row near base: row − n, row, row + n (base and row are in 0..n).
    [row - n, row, row + n]
        .into_iter()
        .filter(|t| (t - base).abs() <= 40.0 * LOCALITY_SIGMA + 1.0)
        .map(|t| {
            // trunc(v) = t for v in [t, t + 1) when t > 0, (−1, 1) when t = 0, (t − 1, t] when t < 0.
            let (lo, hi) = if t > 0.0 {
                (t, t + 1.0)
            } else if t == 0.0 {
                (-1.0, 1.0)
            } else {
                (t - 1.0, t)
            };
            normal_mass((lo - base) / LOCALITY_SIGMA, (hi - base) / LOCALITY_SIGMA)
        })
        .sum()
}

/// `P(a < Z < b)` for a standard normal `Z`, accurate to a small relative error in both tails.
fn normal_mass(a: f64, b: f64) -> f64 {
    // Upper tail Q(z) = P(Z > z) = erfc(z / √2) / 2.
    let q = |z: f64| erfc(z / std::f64::consts::SQRT_2) / 2.0;
    if a >= 0.0 {
        q(a) - q(b)
    } else if b <= 0.0 {
        q(-b) - q(-a)
    } else {
        1.0 - q(-a) - q(b)
    }
}

/// The complementary error function, with a fractional error below 1.2·10⁻⁷ everywhere (the Chebyshev fit of
/// Press et al., *Numerical Recipes*, §6.2).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let value = t * poly.exp();
    if x >= 0.0 {
        value
    } else {
        2.0 - value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erfc_matches_reference_values() {
        // Reference values of erfc (Abramowitz & Stegun, table 7.1, and mpmath).
        for (x, expected) in [
            (0.0, 1.0),
            (0.5, 0.479_500_122_186_953_5),
            (1.0, 0.157_299_207_050_285_13),
            (3.0, 2.209_049_699_858_544e-5),
            (6.0, 2.151_973_671_249_891e-17),
            (-1.0, 1.842_700_792_949_715),
        ] {
            let got = erfc(x);
            assert!(((got - expected) / expected).abs() < 2e-7, "erfc({x}) = {got}, expected {expected}");
        }
    }

    #[test]
    fn row_probabilities_follow_the_generators_draws() {
        let n = 1000;
        // Over every row, the probabilities sum to one.
        for base in [0, 3, 500, 999] {
            let total: f64 = (0..n).map(|row| row_probability(row, base, n)).sum();
            assert!((total - 1.0).abs() < 1e-6, "base {base}: {total}");
        }
        // Compare with the generator's own draw, by simulation.
        use rand_distr::{Distribution, Normal};
        let mut rng = rand_pcg::Pcg64Mcg::new(3);
        let locality = Normal::new(0.0, LOCALITY_SIGMA).unwrap();
        for base in [0usize, 2, 500, 998] {
            let mut counts = vec![0u32; n];
            let draws = 400_000;
            for _ in 0..draws {
                let row = ((base as f64 + locality.sample(&mut rng)).trunc() as i64).rem_euclid(n as i64);
                counts[row as usize] += 1;
            }
            for row in [base, (base + 1) % n, (base + n - 1) % n, (base + 10) % n, (base + n - 25) % n] {
                let p = row_probability(row, base, n);
                let observed = f64::from(counts[row]) / draws as f64;
                let sd = (p * (1.0 - p) / draws as f64).sqrt();
                assert!((observed - p).abs() < 5.0 * sd + 1e-6, "base {base}, row {row}: {observed} vs {p}");
            }
        }
        // Row 0 collects truncations from (−1, 1): twice the mass of its neighbours.
        assert!(row_probability(0, 0, n) > 1.9 * row_probability(1, 0, n));
    }
}
