//! The bound on scores that every model the engine loads or trains satisfies, so every score it produces is finite.
//!
//! With `d = vector_dim`, `E`, `T`, `Wₖ`, `Bₖ` the largest magnitudes in the entity table, the IP table and layer
//! `k`'s weights and bias, every value the scorer computes is bounded by:
//!
//! * the encoder input `h₀`, a sum of [`FEATURES_PER_IP`] (8) IP-table rows: `x₀ = 8·T`;
//! * layer `k`'s output, `d`-term sums plus a bias (the ReLU only shrinks it): `xₖ = d·Wₖ·xₖ₋₁ + Bₖ`;
//! * the bulk scorer's `u = W_Lᵀ e`: `d·W_L·E`;
//! * `dot_product`, a `d`-term sum: `d·E·x_L` (also the bound of every partial sum).
//!
//! A model is accepted when all of these are at most [`MAX_SCORE_BOUND`] (`10³⁰`), far below `f32::MAX`
//! (≈ `3.4·10³⁸`): float rounding cannot reach it (a sum of `d ≤ 4096` terms rounds up by a factor under 1.001), and
//! downstream sums of up to `10⁸` scores stay finite too. For a model whose weights are all at most `w` in magnitude
//! that means `8·d^(L+1)·w^(L+2) ≲ 10³⁰` (e.g. `|w| ≤ 10⁶` with `vector_dim` 4096 and one layer); trained weights
//! are a few units at most.

use super::Model;
use crate::ip::FEATURES_PER_IP;

/// The most any value computed while scoring may reach in magnitude (see the module docs).
pub const MAX_SCORE_BOUND: f64 = 1e30;

/// A model whose weights could make a score or an embedding overflow.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "weights too large: with vector_dim {vector_dim}, {layers} layers and |weights| up to {largest:e} (tensor \
     {tensor}), scores could reach {bound:e}, over the limit of {MAX_SCORE_BOUND:e} that keeps every score finite"
)]
pub struct ScoreBoundError {
    /// The bound the weights give (may be infinite).
    pub bound: f64,
    /// The largest weight's magnitude.
    pub largest: f32,
    /// The tensor holding it.
    pub tensor: String,
    /// `vector_dim`.
    pub vector_dim: usize,
    /// Encoder layers.
    pub layers: usize,
}

/// The largest magnitude in `values` (0 when empty).
fn max_abs(values: &[f32]) -> f32 {
    values.iter().fold(0.0f32, |m, v| m.max(v.abs()))
}

/// The largest magnitude any value computed while scoring `model` can reach (see the module docs); infinite or NaN
/// for weights that are not finite.
pub fn score_bound(model: &Model) -> f64 {
    let d = model.vector_dim() as f64;
    let entity = f64::from(max_abs(&model.entity));
    let mut x = FEATURES_PER_IP as f64 * f64::from(max_abs(&model.ip_table));
    let mut bound = x;
    for layer in &model.layers {
        let w = f64::from(max_abs(&layer.w));
        bound = bound.max(d * w * entity);
        x = d * w * x + f64::from(max_abs(&layer.b));
        bound = bound.max(x);
    }
    bound.max(d * entity * x)
}

/// Checks that every score `model` can produce is finite: [`score_bound`] at most [`MAX_SCORE_BOUND`].
pub fn check_score_bound(model: &Model) -> Result<(), ScoreBoundError> {
    let bound = score_bound(model);
    if bound <= MAX_SCORE_BOUND {
        return Ok(());
    }
    let mut tensors =
        vec![("entity".to_string(), max_abs(&model.entity)), ("ip_table".into(), max_abs(&model.ip_table))];
    for (i, layer) in model.layers.iter().enumerate() {
        tensors.push((format!("layer{i}.weight"), max_abs(&layer.w)));
        tensors.push((format!("layer{i}.bias"), max_abs(&layer.b)));
    }
    let (tensor, largest) = tensors.into_iter().fold((String::new(), -1.0), |a, b| if b.1 > a.1 { b } else { a });
    Err(ScoreBoundError { bound, largest, tensor, vector_dim: model.vector_dim(), layers: model.layers.len() })
}
