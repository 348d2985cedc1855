//! Training pairs encoded once: entity row and IP feature rows.

use crate::ip::{IpLayout, FEATURES_PER_IP};
use crate::model::Model;
use crate::tuples::Tuple;
use std::net::IpAddr;

/// A positive pair as the trainer uses it.
#[derive(Debug, Clone, Copy)]
pub struct Encoded {
    /// Entity table row.
    pub row: u32,
    /// IP table rows of the address's features.
    pub feats: [u32; FEATURES_PER_IP],
    /// Whether the address is IPv6 (its random negatives are IPv6 too).
    pub v6: bool,
}

/// Encodes tuples for `model`.
pub fn encode(model: &Model, tuples: &[Tuple]) -> Vec<Encoded> {
    let layout: &IpLayout = &model.layout;
    tuples
        .iter()
        .map(|t| Encoded {
            row: model.entity_row(&t.entity),
            feats: layout.features(t.ip),
            v6: matches!(crate::ip::canonical(t.ip), IpAddr::V6(_)),
        })
        .collect()
}
