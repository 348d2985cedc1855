//! The training job's memory, counted before anything is allocated: the model's parameters, Adam's two moments per
//! parameter, the encoded training pairs and one mini-batch's working set (plan, activations, gradients), checked
//! against a budget.
//!
//! The default budget is 3/4 of the smaller of the machine's physical memory and the process's address-space limit
//! (`RLIMIT_AS`), leaving the rest to the program, its threads, the training data as read and the allocator; a job
//! may set another ([`MemoryBudget::bytes`], `ipinsights train --memory-budget-mib`).

use crate::hyperparams::HyperParameters;
use crate::ip::{IpLayout, FEATURES_PER_IP};
use crate::model::parameter_bytes;

/// The most memory a training job may plan to use, and where that figure comes from (for error messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryBudget {
    /// Bytes.
    pub bytes: u64,
    /// Where the figure comes from, e.g. "3/4 of the 4096 MiB address-space limit".
    pub source: String,
}

impl MemoryBudget {
    /// A budget of `mib` MiB set by the job (`source` says by what).
    pub fn mib(mib: u64, source: &str) -> MemoryBudget {
        MemoryBudget { bytes: mib.saturating_mul(1 << 20), source: source.to_string() }
    }

    /// 3/4 of the smaller of physical memory and the address-space limit (see the module docs); 16 GiB when
    /// neither can be read.
    pub fn for_this_machine() -> MemoryBudget {
        let (bytes, what) = match (physical_memory(), address_space_limit()) {
            (Some(ram), Some(limit)) if limit < ram => (limit, "address-space limit"),
            (Some(ram), _) => (ram, "physical memory"),
            (None, Some(limit)) => (limit, "address-space limit"),
            (None, None) => {
                return MemoryBudget { bytes: 16 << 30, source: "the default when memory is unknown".into() }
            }
        };
        MemoryBudget { bytes: bytes / 4 * 3, source: format!("3/4 of the {} MiB {what}", bytes >> 20) }
    }
}

/// The machine's physical memory in bytes.
#[cfg(target_os = "linux")]
fn physical_memory() -> Option<u64> {
    // SAFETY: sysconf only reads configuration values.
    let (pages, page) = unsafe { (libc::sysconf(libc::_SC_PHYS_PAGES), libc::sysconf(libc::_SC_PAGESIZE)) };
    (pages > 0 && page > 0).then(|| (pages as u64).saturating_mul(page as u64))
}

/// The soft address-space limit (`RLIMIT_AS`) in bytes, if one is set.
#[cfg(target_os = "linux")]
fn address_space_limit() -> Option<u64> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes one rlimit owned by this frame.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut limit) } == 0;
    (ok && limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur)
}

/// The machine's physical memory (unknown off Linux).
#[cfg(not(target_os = "linux"))]
fn physical_memory() -> Option<u64> {
    None
}

/// The address-space limit (unknown off Linux).
#[cfg(not(target_os = "linux"))]
fn address_space_limit() -> Option<u64> {
    None
}

/// What a training job holds at its peak, in bytes (upper bounds of the buffers that grow with the hyperparameters
/// and the data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkingSet {
    /// The model's parameters.
    pub parameters: u128,
    /// Adam's first and second moments (two values per parameter) and its row bitmaps.
    pub optimiser: u128,
    /// The training pairs encoded for the trainer, and their shuffled order.
    pub positives: u128,
    /// One mini-batch: its plan, activations, gradients and the layers' gradients.
    pub batch: u128,
}

impl WorkingSet {
    /// The whole.
    pub fn total(&self) -> u128 {
        self.parameters + self.optimiser + self.positives + self.batch
    }
}

/// The memory a job with these hyperparameters needs on `tuples` training pairs with this IP layout (no overflow
/// for any inputs).
pub fn working_set(hp: &HyperParameters, layout: &IpLayout, tuples: usize) -> WorkingSet {
    let parameters = parameter_bytes(hp, layout);
    let table_rows = u128::from(hp.num_entity_vectors) + u128::from(layout.rows());
    let optimiser = 2 * parameters + table_rows / 8;
    // Encoded pairs (entity row, feature rows, family) and the u32 order shuffled each epoch.
    let positives = tuples as u128 * (std::mem::size_of::<super::data::Encoded>() as u128 + 4);
    // A batch never holds more positives than the data.
    let b = u128::from(hp.mini_batch_size).min(tuples as u128);
    let (r, s) = (u128::from(hp.random_negative_sampling_rate), u128::from(hp.shuffled_negative_sampling_rate));
    let (d, layers) = (u128::from(hp.vector_dim), u128::from(hp.num_ip_encoder_layers));
    let slots = b * (1 + r);
    let features = FEATURES_PER_IP as u128;
    let distinct_ip_rows = (features * slots).min(u128::from(layout.rows()));
    let plan = 4 * b * 6 // entity_of, entity_rows, by_entity (offsets, members), the sort's pairs
        + 4 * features * slots // slot_features
        + 4 * 2 * s * b + 4 * 3 * b // shuffled, shuffled_readers, the permutation and cursors
        + 4 * features * slots // ip_rows.members
        + 4 * 3 * distinct_ip_rows // ip_rows.rows, offsets, cursors
        + 4 * 2 * u128::from(layout.rows()); // ip_rows' stamp and local index per table row
    let activations = 4 * layers.max(1) * slots * d + 4 * 2 * b * d + 4 * b;
    let logits = 4 * b * (1 + r + s);
    let scratch = if layers >= 2 { slots * d } else { 0 };
    let backprop = 4 * (slots * d + scratch) + 4 * 2 * b * d + 4 * b;
    let layer_grads = 4 * layers * (d * d + d);
    WorkingSet { parameters, optimiser, positives, batch: plan + activations + logits + backprop + layer_grads }
}

/// A training job whose memory would exceed its budget, refused before anything is allocated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "training would need about {total} MiB (model parameters {parameters} MiB, Adam optimiser state {optimiser} MiB, \
     encoded training pairs {positives} MiB, per-batch working set {batch} MiB for mini_batch_size {mini_batch_size} \
     on {tuples} tuples × (1 + random_negative_sampling_rate {random} + shuffled_negative_sampling_rate {shuffled}) \
     records, vector_dim {vector_dim}, num_ip_encoder_layers {layers}), more than the memory budget of {budget} MiB \
     ({budget_from}): lower mini_batch_size, random_negative_sampling_rate, vector_dim or num_entity_vectors"
)]
pub struct MemoryError {
    /// MiB needed in all.
    pub total: u64,
    /// MiB of parameters.
    pub parameters: u64,
    /// MiB of optimiser state.
    pub optimiser: u64,
    /// MiB of encoded pairs.
    pub positives: u64,
    /// MiB of one batch.
    pub batch: u64,
    /// The budget in MiB.
    pub budget: u64,
    /// Where the budget comes from.
    pub budget_from: String,
    /// `mini_batch_size`.
    pub mini_batch_size: u32,
    /// Training tuples.
    pub tuples: usize,
    /// `random_negative_sampling_rate`.
    pub random: u32,
    /// `shuffled_negative_sampling_rate`.
    pub shuffled: u32,
    /// `vector_dim`.
    pub vector_dim: u32,
    /// `num_ip_encoder_layers`.
    pub layers: u32,
}

/// Checks the job's [`working_set`] against `budget`.
pub fn check_memory(
    hp: &HyperParameters,
    layout: &IpLayout,
    tuples: usize,
    budget: &MemoryBudget,
) -> Result<WorkingSet, MemoryError> {
    let set = working_set(hp, layout, tuples);
    if set.total() <= u128::from(budget.bytes) {
        return Ok(set);
    }
    let mib = |bytes: u128| u64::try_from(bytes.div_ceil(1 << 20)).unwrap_or(u64::MAX);
    Err(MemoryError {
        total: mib(set.total()),
        parameters: mib(set.parameters),
        optimiser: mib(set.optimiser),
        positives: mib(set.positives),
        batch: mib(set.batch),
        budget: budget.bytes >> 20,
        budget_from: budget.source.clone(),
        mini_batch_size: hp.mini_batch_size,
        tuples,
        random: hp.random_negative_sampling_rate,
        shuffled: hp.shuffled_negative_sampling_rate,
        vector_dim: hp.vector_dim,
        layers: hp.num_ip_encoder_layers,
    })
}
