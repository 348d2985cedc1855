//! Simulated anomalies for threshold choice when no labelled attacks exist.

use ipinsights_engine::ip::random_v4;
use ipinsights_engine::tuples::Tuple;
use rand::{Rng, SeedableRng};

/// `count` simulated anomalies: each pairs the entity of a uniformly drawn tuple of `normal` (so
/// principals appear as often as they act) with a uniformly random IPv4 address (each octet uniform
/// over 0–255), as the tutorial and SageMaker's random negatives do. The same seed gives the same
/// pairs. A random address may, rarely, be one the principal really uses; it is not filtered out.
/// Empty when `normal` is empty.
pub fn random_ip_anomalies(normal: &[Tuple], count: usize, seed: u64) -> Vec<Tuple> {
    if normal.is_empty() {
        return Vec::new();
    }
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
    (0..count)
        .map(|_| {
            let entity = &normal[rng.gen_range(0..normal.len())].entity;
            Tuple::new(entity.clone(), random_v4(&mut rng))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_known_entities_random_addresses() {
        let normal = vec![Tuple::new("a", "10.0.0.1".parse().unwrap()), Tuple::new("b", "10.0.0.2".parse().unwrap())];
        let x = random_ip_anomalies(&normal, 500, 1);
        assert_eq!(x.len(), 500);
        assert_eq!(x, random_ip_anomalies(&normal, 500, 1));
        assert_ne!(x, random_ip_anomalies(&normal, 500, 2));
        assert!(x.iter().all(|t| (t.entity == "a" || t.entity == "b") && t.ip.is_ipv4()));
        let a = x.iter().filter(|t| t.entity == "a").count();
        assert!((200..300).contains(&a), "{a}");
        let first_octets: std::collections::HashSet<u8> = x
            .iter()
            .map(|t| match t.ip {
                std::net::IpAddr::V4(v4) => v4.octets()[0],
                _ => unreachable!(),
            })
            .collect();
        assert!(first_octets.len() > 100, "{}", first_octets.len());
        assert!(random_ip_anomalies(&[], 5, 1).is_empty());
    }
}
