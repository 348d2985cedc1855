//! The IP Insights hyperparameters: SageMaker's names, ranges and defaults, checked once in linfa's style.
//!
//! [`IpInsightsParams`] is what a user writes, unchecked: the two required values, then a setter per optional one.
//! [`IpInsightsParams::check`] validates everything once and returns [`HyperParameters`], the only type training
//! accepts; its values read as fields (`hp.epochs`). SageMaker's string map (`HyperParameters` of
//! CreateTrainingJob) is parsed by [`IpInsightsParams::from_map`] and produced by
//! [`HyperParameters::to_request_map`] (what was given, as the SDK sends it) and [`HyperParameterValues::to_map`]
//! (all ten values).
//!
//! ```
//! use ipinsights_sagemaker_facts::IpInsightsParams;
//!
//! let hp = IpInsightsParams::new(20_000, 128)
//!     .random_negative_sampling_rate(5)
//!     .mini_batch_size(1000)
//!     .epochs(5)
//!     .learning_rate(0.01)
//!     .check()?;
//! assert_eq!((hp.epochs, hp.shuffled_negative_sampling_rate), (5, 1)); // the second is SageMaker's default
//! assert_eq!(hp.to_request_map()["learning_rate"], "0.01");
//! assert_eq!(hp.to_request_map().len(), 6); // only what was given, like the SDK's request
//! # Ok::<(), ipinsights_sagemaker_facts::HyperParameterError>(())
//! ```
//!
//! Invariants: each hyperparameter's name, type, range and default are written once, in the table at the
//! `hyperparameters!` invocation below; a [`HyperParameters`] value always holds in-range values whose
//! negative-sampling rates sum to 1..=500 and whose dense tables fit SageMaker's model-size limit.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Deref;

use crate::limits::MAX_MODEL_BYTES;

/// Our bound on `epochs` (SageMaker states only ≥ 1): far above any real job, low enough that no epoch arithmetic
/// overflows.
pub const MAX_EPOCHS: u32 = 100_000;

/// An invalid, unknown or missing hyperparameter, with the parameter, the value and what is accepted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HyperParameterError {
    /// A value outside its valid range or of the wrong type.
    #[error("hyperparameter {name}={value:?} is invalid: expected {expected}")]
    Invalid {
        /// Parameter name.
        name: String,
        /// The value given.
        value: String,
        /// What is accepted, e.g. "an integer in 4..=4096".
        expected: String,
    },
    /// A name SageMaker does not know.
    #[error("unknown hyperparameter {name:?} (known: {known})")]
    Unknown {
        /// The unknown name.
        name: String,
        /// The known names, comma-separated.
        known: String,
    },
    /// A required parameter that was not given.
    #[error("missing required hyperparameter {name} ({expected})")]
    Missing {
        /// Parameter name.
        name: String,
        /// What is accepted.
        expected: String,
    },
    /// random_negative_sampling_rate + shuffled_negative_sampling_rate outside 1..=500.
    #[error(
        "random_negative_sampling_rate + shuffled_negative_sampling_rate = {random} + {shuffled} = {} is invalid: \
         the sum must be in 1..=500",
        random + shuffled
    )]
    NegativeSum {
        /// random_negative_sampling_rate.
        random: u32,
        /// shuffled_negative_sampling_rate.
        shuffled: u32,
    },
    /// The entity table and encoder layers alone exceed SageMaker's model-size limit.
    #[error(
        "num_entity_vectors × vector_dim (plus the encoder layers) make a model of at least {} GiB, over \
         SageMaker's limit of {} GiB: lower num_entity_vectors or vector_dim",
        gib(*bytes),
        gib(*limit)
    )]
    ModelTooLarge {
        /// The lower bound of the model's size, in bytes.
        bytes: u64,
        /// SageMaker's limit, in bytes.
        limit: u64,
    },
}

fn gib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / f64::from(1u32 << 30))
}

/// The valid values of one hyperparameter.
#[derive(Debug, Clone, Copy)]
enum Range {
    Int { min: u32, max: u32 },
    Float { min: f64, max: f64 },
}

impl Range {
    fn expected(self) -> String {
        match self {
            Range::Int { min, max: u32::MAX } => format!("an integer ≥ {min}"),
            Range::Int { min, max } => format!("an integer in {min}..={max}"),
            Range::Float { min, max } => format!("a number in {min}..={max}"),
        }
    }
}

/// A hyperparameter's value type.
trait Value: Copy + fmt::Display {
    /// Parses SageMaker's string form (types only; ranges are checked later).
    fn parse(text: &str) -> Option<Self>;
    /// Whether the value is valid for `range`.
    fn within(self, range: Range) -> bool;
}

impl Value for u32 {
    fn parse(text: &str) -> Option<u32> {
        // SageMaker's strings sometimes carry "5.0" for integers: accept exact integral floats.
        text.parse::<u32>().ok().or_else(|| {
            text.parse::<f64>()
                .ok()
                .filter(|f| f.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(f))
                .map(|f| f as u32)
        })
    }

    fn within(self, range: Range) -> bool {
        matches!(range, Range::Int { min, max } if (min..=max).contains(&self))
    }
}

impl Value for f64 {
    fn parse(text: &str) -> Option<f64> {
        text.parse::<f64>().ok()
    }

    fn within(self, range: Range) -> bool {
        matches!(range, Range::Float { min, max } if self.is_finite() && (min..=max).contains(&self))
    }
}

fn invalid(name: &str, value: impl fmt::Display, range: Range) -> HyperParameterError {
    HyperParameterError::Invalid { name: name.into(), value: value.to_string(), expected: range.expected() }
}

fn parse_value<T: Value>(name: &str, text: &str, range: Range) -> Result<T, HyperParameterError> {
    T::parse(text.trim()).ok_or_else(|| invalid(name, text, range))
}

fn check_range<T: Value>(name: &str, value: T, range: Range) -> Result<(), HyperParameterError> {
    if value.within(range) {
        Ok(())
    } else {
        Err(invalid(name, value, range))
    }
}

/// Declares the hyperparameters once: the values struct, the unchecked params with their setters, string parsing,
/// range checks and the string maps all come from this one table.
macro_rules! hyperparameters {
    (
        required: [$( $(#[doc = $rdoc:literal])* $req:ident in $rrange:expr, )*]
        optional: [$( $(#[doc = $odoc:literal])* $opt:ident: $oty:ty = $default:expr, in $orange:expr, )*]
    ) => {
        /// The values of all ten hyperparameters, by SageMaker name; read through a checked [`HyperParameters`].
        #[derive(Debug, Clone, PartialEq)]
        pub struct HyperParameterValues {
            $( $(#[doc = $rdoc])* pub $req: u32, )*
            $( $(#[doc = $odoc])* pub $opt: $oty, )*
        }

        /// IP Insights hyperparameters as given, not yet checked (linfa's `Params`): the two required values, then
        /// a setter per optional value; whatever is not set takes SageMaker's default. [`IpInsightsParams::check`]
        /// turns them into [`HyperParameters`].
        #[derive(Debug, Clone, PartialEq)]
        pub struct IpInsightsParams {
            $( $req: u32, )*
            $( $opt: Option<$oty>, )*
        }

        impl IpInsightsParams {
            /// Starts with the two required values; every other value is SageMaker's default until set.
            pub fn new($( $req: u32 ),*) -> Self {
                IpInsightsParams { $( $req, )* $( $opt: None, )* }
            }

            $(
                $(#[doc = $odoc])*
                pub fn $opt(mut self, value: $oty) -> Self {
                    self.$opt = Some(value);
                    self
                }
            )*

            /// All ten values, defaults filled in.
            fn resolve(&self) -> HyperParameterValues {
                HyperParameterValues { $( $req: self.$req, )* $( $opt: self.$opt.unwrap_or($default), )* }
            }

            /// The values that were given, as SageMaker strings.
            fn given(&self) -> BTreeMap<String, String> {
                let mut given = BTreeMap::new();
                $( given.insert(stringify!($req).to_string(), self.$req.to_string()); )*
                $( if let Some(value) = self.$opt { given.insert(stringify!($opt).to_string(), value.to_string()); } )*
                given
            }

            /// Parses SageMaker strings by name (names already known; types checked, ranges not yet).
            fn from_strings(values: &BTreeMap<String, String>) -> Result<Self, HyperParameterError> {
                $(
                    let $req = match values.get(stringify!($req)) {
                        Some(text) => parse_value::<u32>(stringify!($req), text, $rrange)?,
                        None => {
                            let expected = $rrange.expected();
                            return Err(HyperParameterError::Missing { name: stringify!($req).into(), expected });
                        }
                    };
                )*
                Ok(IpInsightsParams {
                    $( $req, )*
                    $(
                        $opt: values
                            .get(stringify!($opt))
                            .map(|text| parse_value::<$oty>(stringify!($opt), text, $orange))
                            .transpose()?,
                    )*
                })
            }
        }

        impl HyperParameterValues {
            fn check_ranges(&self) -> Result<(), HyperParameterError> {
                $( check_range(stringify!($req), self.$req, $rrange)?; )*
                $( check_range(stringify!($opt), self.$opt, $orange)?; )*
                Ok(())
            }

            /// All ten values as SageMaker strings, by name.
            pub fn to_map(&self) -> BTreeMap<String, String> {
                let mut map = BTreeMap::new();
                $( map.insert(stringify!($req).to_string(), self.$req.to_string()); )*
                $( map.insert(stringify!($opt).to_string(), self.$opt.to_string()); )*
                map
            }
        }

        /// The SageMaker names of all ten hyperparameters, in the documentation's order.
        pub const NAMES: &[&str] = &[$( stringify!($req), )* $( stringify!($opt), )*];
    };
}

hyperparameters! {
    required: [
        /// Entity embedding rows (entities are hashed into them); 1..=250,000,000, about twice the distinct entities.
        num_entity_vectors in Range::Int { min: 1, max: 250_000_000 },
        /// Width of the entity and IP embeddings; 4..=4096 (128 recommended).
        vector_dim in Range::Int { min: 4, max: 4096 },
    ]
    optional: [
        /// Batches between per-batch metric log lines; ≥ 1, default 1000.
        batch_metrics_publish_interval: u32 = 1000, in Range::Int { min: 1, max: u32::MAX },
        /// Passes over the training data; 1..=100,000 (the upper bound is ours, see [`MAX_EPOCHS`]), default 10.
        epochs: u32 = 10, in Range::Int { min: 1, max: MAX_EPOCHS },
        /// Adam learning rate; 1e-6..=10.0, default 0.001.
        learning_rate: f64 = 0.001, in Range::Float { min: 1e-6, max: 10.0 },
        /// Positive pairs per mini-batch; 1..=500,000, default 10,000.
        mini_batch_size: u32 = 10_000, in Range::Int { min: 1, max: 500_000 },
        /// Fully connected layers after the IP embedding; 0..=100, default 1.
        num_ip_encoder_layers: u32 = 1, in Range::Int { min: 0, max: 100 },
        /// Random-IP negatives per positive; 0..=500, default 1.
        random_negative_sampling_rate: u32 = 1, in Range::Int { min: 0, max: 500 },
        /// Shuffled negatives per positive; 0..=500, default 1.
        shuffled_negative_sampling_rate: u32 = 1, in Range::Int { min: 0, max: 500 },
        /// L2 regularisation factor; 0.0..=10.0, default 0.00001.
        weight_decay: f64 = 0.00001, in Range::Float { min: 0.0, max: 10.0 },
    ]
}

impl IpInsightsParams {
    /// Parses SageMaker's string map (`HyperParameters` of CreateTrainingJob): every name must be known and both
    /// required values present; values must have their types (ranges are checked by [`IpInsightsParams::check`]).
    pub fn from_map<K: AsRef<str>, V: AsRef<str>>(
        map: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self, HyperParameterError> {
        let mut values = BTreeMap::new();
        for (k, v) in map {
            let name = k.as_ref().trim();
            if !NAMES.contains(&name) {
                return Err(HyperParameterError::Unknown { name: name.into(), known: NAMES.join(", ") });
            }
            values.insert(name.to_string(), v.as_ref().to_string());
        }
        Self::from_strings(&values)
    }

    /// Checks every range, the negative-sampling sum and the model-size limit, once.
    pub fn check(&self) -> Result<HyperParameters, HyperParameterError> {
        let values = self.resolve();
        values.check_ranges()?;
        let (random, shuffled) = (values.random_negative_sampling_rate, values.shuffled_negative_sampling_rate);
        if !(1..=500).contains(&(random + shuffled)) {
            return Err(HyperParameterError::NegativeSum { random, shuffled });
        }
        let bytes = values.min_model_bytes();
        if bytes > MAX_MODEL_BYTES {
            return Err(HyperParameterError::ModelTooLarge { bytes, limit: MAX_MODEL_BYTES });
        }
        Ok(HyperParameters { values, given: self.clone() })
    }
}

impl HyperParameterValues {
    /// Records per positive pair: the positive plus its negatives (how SageMaker counts throughput).
    pub fn records_per_positive(&self) -> u64 {
        1 + u64::from(self.random_negative_sampling_rate) + u64::from(self.shuffled_negative_sampling_rate)
    }

    /// Bytes of the entity table and the encoder layers as 32-bit floats: a lower bound of the model's size,
    /// whatever its IP table holds.
    pub fn min_model_bytes(&self) -> u64 {
        let dim = u64::from(self.vector_dim);
        let layer = dim * dim + dim;
        4 * (u64::from(self.num_entity_vectors) * dim + u64::from(self.num_ip_encoder_layers) * layer)
    }
}

/// Checked IP Insights hyperparameters: every value in range, R + S in 1..=500, the dense tables within
/// SageMaker's model-size limit. Only [`IpInsightsParams::check`] (or [`HyperParameters::from_map`]) makes one,
/// so whatever holds one holds valid values; read them as fields (`hp.vector_dim`). Two are equal when their
/// values are, however they were given.
#[derive(Debug, Clone)]
pub struct HyperParameters {
    values: HyperParameterValues,
    given: IpInsightsParams,
}

impl HyperParameters {
    /// Parses and checks SageMaker's string map (see [`IpInsightsParams::from_map`]).
    pub fn from_map<K: AsRef<str>, V: AsRef<str>>(
        map: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self, HyperParameterError> {
        IpInsightsParams::from_map(map)?.check()
    }

    /// The parameters as given, to change some and check again.
    pub fn to_params(&self) -> IpInsightsParams {
        self.given.clone()
    }

    /// The values that were given, as SageMaker strings: the `HyperParameters` of CreateTrainingJob as the SDK
    /// sends them (defaults left out).
    pub fn to_request_map(&self) -> BTreeMap<String, String> {
        self.given.given()
    }
}

impl Deref for HyperParameters {
    type Target = HyperParameterValues;

    fn deref(&self) -> &HyperParameterValues {
        &self.values
    }
}

impl PartialEq for HyperParameters {
    fn eq(&self, other: &Self) -> bool {
        self.values == other.values
    }
}

impl fmt::Display for HyperParameters {
    /// All ten values, `name=value` by name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.to_map().into_iter().map(|(k, v)| format!("{k}={v}")).collect();
        f.write_str(&parts.join(", "))
    }
}

#[cfg(test)]
mod tests;
