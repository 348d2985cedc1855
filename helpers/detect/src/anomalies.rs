//! Simulated anomalies for threshold choice when no labelled attacks exist.
//!
//! Each anomaly pairs the entity of a uniformly drawn normal tuple with a uniformly random IPv4 address. The count
//! is bounded ([`MAX_RANDOM_ANOMALIES`]) and so is the entity ([`MAX_ENTITY_BYTES`]), both checked before anything
//! is allocated; [`random_ip_anomaly_pairs`] borrows the entities instead of copying one per anomaly, so its memory
//! is a few dozen bytes an anomaly whatever the entities' length.

use std::net::IpAddr;

use ipinsights_engine::ip::random_v4;
use ipinsights_engine::tuples::Tuple;
use ipinsights_protocol::{Pair, MAX_BODY_BYTES};
use rand::{Rng, SeedableRng};
use thiserror::Error;

/// The most anomalies simulated at once: a million, recall steps of one in a million (finer than any threshold
/// choice needs), about 50 MB of pairs and scores.
pub const MAX_RANDOM_ANOMALIES: usize = 1_000_000;

/// The longest entity anomalies are simulated for: SageMaker's 6 MiB invocation limit (`MAX_BODY_BYTES`), since
/// no endpoint can score a record longer than one request.
pub const MAX_ENTITY_BYTES: usize = MAX_BODY_BYTES;

/// Why anomalies cannot be simulated.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AnomalyError {
    /// More anomalies than [`MAX_RANDOM_ANOMALIES`], or none.
    #[error("{count} anomalies: simulate 1 to {MAX_RANDOM_ANOMALIES}")]
    Count {
        /// The count asked for.
        count: usize,
    },
    /// A normal tuple's entity is longer than [`MAX_ENTITY_BYTES`].
    #[error(
        "normal tuple {number}: its entity is {bytes} bytes, longer than the {MAX_ENTITY_BYTES} bytes of one \
         inference request (SageMaker's 6 MiB limit), so no endpoint could score it"
    )]
    EntityTooLong {
        /// 1-based position of the tuple among the normal ones.
        number: usize,
        /// The entity's length.
        bytes: usize,
    },
}

/// The simulated anomalies, lazily: `count` draws of (a normal tuple's entity, a random IPv4 address).
fn draws(normal: &[Tuple], count: usize, seed: u64) -> impl Iterator<Item = (&str, IpAddr)> {
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
    let count = if normal.is_empty() { 0 } else { count };
    (0..count).map(move |_| {
        let entity = normal[rng.gen_range(0..normal.len())].entity.as_str();
        (entity, random_v4(&mut rng))
    })
}

/// `count` simulated anomalies: each pairs the entity of a uniformly drawn tuple of `normal` (so
/// principals appear as often as they act) with a uniformly random IPv4 address (each octet uniform
/// over 0–255), as the tutorial and SageMaker's random negatives do. The same seed gives the same
/// pairs. A random address may, rarely, be one the principal really uses; it is not filtered out.
/// Empty when `normal` is empty. Each anomaly owns a copy of its entity: for many anomalies or long
/// entities use [`random_ip_anomaly_pairs`] (the same pairs, bounded, borrowed).
pub fn random_ip_anomalies(normal: &[Tuple], count: usize, seed: u64) -> Vec<Tuple> {
    draws(normal, count, seed).map(|(entity, ip)| Tuple::new(entity, ip)).collect()
}

/// The anomalies of [`random_ip_anomalies`] as scorer pairs borrowing their entities from `normal`, after checking
/// `count` (1 to [`MAX_RANDOM_ANOMALIES`]) and every entity's length ([`MAX_ENTITY_BYTES`]) before allocating.
pub fn random_ip_anomaly_pairs(normal: &[Tuple], count: usize, seed: u64) -> Result<Vec<Pair<'_>>, AnomalyError> {
    if !(1..=MAX_RANDOM_ANOMALIES).contains(&count) {
        return Err(AnomalyError::Count { count });
    }
    if let Some(index) = normal.iter().position(|t| t.entity.len() > MAX_ENTITY_BYTES) {
        return Err(AnomalyError::EntityTooLong { number: index + 1, bytes: normal[index].entity.len() });
    }
    Ok(draws(normal, count, seed).map(|(entity, ip)| (entity.into(), ip)).collect())
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

    #[test]
    fn borrowed_pairs_are_the_same_anomalies_bounded_before_allocating() {
        let normal = vec![Tuple::new("a", "10.0.0.1".parse().unwrap()), Tuple::new("b", "10.0.0.2".parse().unwrap())];
        let owned = random_ip_anomalies(&normal, 300, 4);
        let borrowed = random_ip_anomaly_pairs(&normal, 300, 4).unwrap();
        let same: Vec<_> = owned.iter().map(|t| (std::borrow::Cow::Borrowed(t.entity.as_str()), t.ip)).collect();
        assert_eq!(borrowed, same);
        assert!(borrowed.iter().all(|(entity, _)| matches!(entity, std::borrow::Cow::Borrowed(_))));
        for count in [0, MAX_RANDOM_ANOMALIES + 1, usize::MAX] {
            assert_eq!(random_ip_anomaly_pairs(&normal, count, 4), Err(AnomalyError::Count { count }));
        }
        let long = vec![normal[0].clone(), Tuple::new("x".repeat(MAX_ENTITY_BYTES + 1), normal[0].ip)];
        let err = random_ip_anomaly_pairs(&long, 10, 4).unwrap_err();
        assert_eq!(err, AnomalyError::EntityTooLong { number: 2, bytes: MAX_ENTITY_BYTES + 1 });
        assert!(err.to_string().contains("6 MiB"), "{err}");
        let exact = vec![Tuple::new("x".repeat(MAX_ENTITY_BYTES), normal[0].ip)];
        assert_eq!(random_ip_anomaly_pairs(&exact, 3, 4).unwrap().len(), 3);
    }
}
