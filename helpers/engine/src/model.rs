//! The IP Insights model: entity embeddings, the IP encoder and the `dot_product` score.
//!
//! * Entity vector `e` = row `entity_row(entity)` of the entity table (`num_entity_vectors × vector_dim`).
//! * IP encoder input `h₀` = sum of the address's feature rows of the IP table (see [`crate::ip`]).
//! * `num_ip_encoder_layers` fully connected layers of width `vector_dim`, ReLU between them (none after the last):
//!   `ip_vector = W_L · relu(… relu(W_1 · h₀ + b_1) …) + b_L`; with 0 layers `ip_vector = h₀`.
//! * `dot_product = e · ip_vector` (higher = more normal; a log-odds, `sigmoid(dot_product)` is a probability).
//!
//! Bulk scoring uses `e · (W_L z + b_L) = (W_Lᵀ e) · z + e · b_L`, computing `W_Lᵀ e` once per entity group.

use crate::hash::entity_row;
use crate::hyperparams::HyperParameters;
use crate::ip::{IpLayout, FEATURES_PER_IP, OCTET_ROWS};
use crate::linalg::{axpy, dot, prefetch_row, written_zeros};
use rand::Rng;
use std::net::IpAddr;

/// SageMaker's limit on a model's size (the fact lives in `ipinsights_sagemaker_facts::limits`): the parameters
/// (entity table, IP table and layers, 4 bytes a value) of every model the engine builds, trains or loads stay
/// within it.
pub use ipinsights_sagemaker_facts::limits::MAX_MODEL_BYTES;

/// A model whose parameters would exceed [`MAX_MODEL_BYTES`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a model of {bytes} bytes ({entity_rows} entity rows and {ip_rows} IP-table rows of {vector_dim} values, \
     {layers} layers) exceeds SageMaker's 8 GB model-size limit ({MAX_MODEL_BYTES} bytes): lower num_entity_vectors \
     or vector_dim"
)]
pub struct ModelSizeError {
    /// The model's parameter bytes.
    pub bytes: u128,
    /// `num_entity_vectors`.
    pub entity_rows: u32,
    /// Rows of the IP table.
    pub ip_rows: u32,
    /// `vector_dim`.
    pub vector_dim: u32,
    /// `num_ip_encoder_layers`.
    pub layers: u32,
}

/// The parameter bytes of a model with these hyperparameters and IP layout: entity table, IP table and layers, 4
/// bytes a value (computed without overflow).
pub fn parameter_bytes(hyperparameters: &HyperParameters, layout: &IpLayout) -> u128 {
    let dim = u128::from(hyperparameters.vector_dim);
    let rows = u128::from(hyperparameters.num_entity_vectors) + u128::from(layout.rows());
    let layers = u128::from(hyperparameters.num_ip_encoder_layers) * (dim * dim + dim);
    4 * (rows * dim + layers)
}

/// Checks a model's size against [`MAX_MODEL_BYTES`].
pub fn check_size(hyperparameters: &HyperParameters, layout: &IpLayout) -> Result<(), ModelSizeError> {
    let bytes = parameter_bytes(hyperparameters, layout);
    if bytes <= u128::from(MAX_MODEL_BYTES) {
        return Ok(());
    }
    Err(ModelSizeError {
        bytes,
        entity_rows: hyperparameters.num_entity_vectors,
        ip_rows: layout.rows(),
        vector_dim: hyperparameters.vector_dim,
        layers: hyperparameters.num_ip_encoder_layers,
    })
}

/// A fully connected layer `y = W x + b`, `W` row-major `out × in` (square: `vector_dim × vector_dim`).
#[derive(Debug, Clone, PartialEq)]
pub struct Dense {
    /// Weights, `dim × dim`, row `o` holds the weights into output `o`.
    pub w: Vec<f32>,
    /// Bias, `dim`.
    pub b: Vec<f32>,
}

/// A trained (or freshly initialised) IP Insights model.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// The hyperparameters it was built with.
    pub hyperparameters: HyperParameters,
    /// Seed of the entity and prefix hashes.
    pub hash_seed: u64,
    /// IP table layout.
    pub layout: IpLayout,
    /// Entity table, `num_entity_vectors × vector_dim`.
    pub entity: Vec<f32>,
    /// IP feature table, `layout.rows() × vector_dim`.
    pub ip_table: Vec<f32>,
    /// The encoder's fully connected layers, first to last.
    pub layers: Vec<Dense>,
}

impl Model {
    /// A new model with seeded random initial weights, after checking its size against [`MAX_MODEL_BYTES`] (nothing
    /// is allocated for a model that is too large).
    ///
    /// Entity rows and the octet rows of the IP table are uniform in ±1/√dim, prefix rows start at zero (so
    /// untouched prefixes add nothing), layers use Glorot-uniform weights and zero biases.
    pub fn try_new(hyperparameters: &HyperParameters, hash_seed: u64, init_seed: u64) -> Result<Model, ModelSizeError> {
        let layout = IpLayout::new(hash_seed);
        check_size(hyperparameters, &layout)?;
        let dim = hyperparameters.vector_dim as usize;
        let mut rng = rand_pcg::Pcg64Mcg::new(u128::from(init_seed) | 1 << 100);
        let scale = 1.0 / (dim as f32).sqrt();
        let entity =
            (0..hyperparameters.num_entity_vectors as usize * dim).map(|_| rng.gen_range(-scale..scale)).collect();
        // Written zeros: training updates the prefix rows in random order from several threads.
        let mut ip_table = written_zeros(layout.rows() as usize * dim);
        for x in &mut ip_table[..1024 * dim] {
            *x = rng.gen_range(-scale..scale);
        }
        let glorot = (6.0 / (2.0 * dim as f32)).sqrt();
        let layers = (0..hyperparameters.num_ip_encoder_layers)
            .map(|_| Dense { w: (0..dim * dim).map(|_| rng.gen_range(-glorot..glorot)).collect(), b: vec![0.0; dim] })
            .collect();
        Ok(Model { hyperparameters: hyperparameters.clone(), hash_seed, layout, entity, ip_table, layers })
    }

    /// [`Model::try_new`] for shapes known to fit (tests, examples, the seed notebook's model).
    ///
    /// # Panics
    /// If the model would exceed [`MAX_MODEL_BYTES`].
    pub fn new(hyperparameters: &HyperParameters, hash_seed: u64, init_seed: u64) -> Model {
        Model::try_new(hyperparameters, hash_seed, init_seed).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Embedding width.
    pub fn vector_dim(&self) -> usize {
        self.hyperparameters.vector_dim as usize
    }

    /// The entity table row an entity maps to.
    pub fn entity_row(&self, entity: &str) -> u32 {
        entity_row(entity, self.hash_seed, self.hyperparameters.num_entity_vectors)
    }

    fn entity_vector(&self, row: u32) -> &[f32] {
        let dim = self.vector_dim();
        &self.entity[row as usize * dim..(row as usize + 1) * dim]
    }

    /// The entity embedding (as SageMaker's verbose output).
    pub fn entity_embedding(&self, entity: &str) -> Vec<f32> {
        self.entity_vector(self.entity_row(entity)).to_vec()
    }

    /// Writes the encoder input `h₀` (sum of feature rows) into `out`.
    pub(crate) fn encoder_input(&self, features: &[u32; FEATURES_PER_IP], out: &mut [f32]) {
        let dim = self.vector_dim();
        out.fill(0.0);
        for &row in features {
            axpy(1.0, &self.ip_table[row as usize * dim..(row as usize + 1) * dim], out);
        }
    }

    /// Starts loading the IP-table rows of an address's features except the octet rows (1,024 rows that stay
    /// cached anyway): a performance hint only.
    #[inline]
    pub(crate) fn prefetch_prefix_rows(&self, features: &[u32; FEATURES_PER_IP]) {
        let dim = self.vector_dim();
        for &r in features.iter().filter(|&&r| r >= OCTET_ROWS) {
            prefetch_row(&self.ip_table, dim, r);
        }
    }

    /// Applies every layer but the last (with ReLU) to `h` in place, using `tmp` as scratch.
    fn hidden_forward(&self, h: &mut Vec<f32>, tmp: &mut Vec<f32>) {
        let count = self.layers.len().saturating_sub(1);
        for layer in &self.layers[..count] {
            dense_forward(layer, h, tmp);
            tmp.iter_mut().for_each(|x| *x = x.max(0.0));
            std::mem::swap(h, tmp);
        }
    }

    /// The IP embedding (the encoder's output, as SageMaker's verbose output).
    pub fn ip_embedding(&self, ip: IpAddr) -> Vec<f32> {
        let dim = self.vector_dim();
        let (mut h, mut tmp) = (vec![0.0; dim], vec![0.0; dim]);
        self.encoder_input(&self.layout.features(ip), &mut h);
        self.hidden_forward(&mut h, &mut tmp);
        match self.layers.last() {
            Some(last) => {
                dense_forward(last, &h, &mut tmp);
                tmp
            }
            None => h,
        }
    }

    /// The score of one pair (same value as [`Model::score_pairs`]).
    pub fn score(&self, entity: &str, ip: IpAddr) -> f32 {
        self.score_pairs(&[(entity, ip)])[0]
    }

    /// `dot_product` for every pair, in order, using all cores for large inputs.
    pub fn score_pairs<S: AsRef<str> + Sync>(&self, pairs: &[(S, IpAddr)]) -> Vec<f32> {
        score::score_pairs(self, pairs)
    }
}

/// `out = W · x + b`.
fn dense_forward(layer: &Dense, x: &[f32], out: &mut Vec<f32>) {
    let dim = x.len();
    out.resize(dim, 0.0);
    for (o, slot) in out.iter_mut().enumerate() {
        *slot = dot(&layer.w[o * dim..(o + 1) * dim], x) + layer.b[o];
    }
}

mod bound;
mod score;

pub use bound::{check_score_bound, score_bound, ScoreBoundError, MAX_SCORE_BOUND};

#[cfg(test)]
mod tests;
