//! Where `dot_product`s come from: a model in this process ([`ipinsights_engine::Model`]) or an endpoint
//! ([`ipinsights_client::EndpointClient`]), through the one scoring trait that the server uses too (it lives in
//! `ipinsights-protocol`, beside the pair type it scores).

pub use ipinsights_protocol::{borrow_pairs, Pair, ScoreError, Scorer};
