//! SageMaker IP Insights hyperparameters: names, types, ranges and defaults, from a typed builder or a string map.

use std::collections::BTreeMap;
use std::fmt;

/// An invalid, unknown or missing hyperparameter, with the parameter, the value and the valid range.
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
}

/// The ten IP Insights hyperparameters (SageMaker names and defaults).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HyperParameters {
    /// Entity embedding rows (entities are hashed into them); required, 1..=250,000,000.
    pub num_entity_vectors: u32,
    /// Embedding width; required, 4..=4096.
    pub vector_dim: u32,
    /// Batches between per-batch metric log lines; ≥ 1, default 1000.
    pub batch_metrics_publish_interval: u32,
    /// Passes over the training data; ≥ 1, default 10.
    pub epochs: u32,
    /// Adam learning rate; 1e-6..=10.0, default 0.001.
    pub learning_rate: f64,
    /// Positive pairs per mini-batch; 1..=500,000, default 10,000.
    pub mini_batch_size: u32,
    /// Fully connected layers after the IP embedding; 0..=100, default 1.
    pub num_ip_encoder_layers: u32,
    /// Random-IP negatives per positive; 0..=500, default 1.
    pub random_negative_sampling_rate: u32,
    /// Shuffled negatives per positive; 0..=500, default 1.
    pub shuffled_negative_sampling_rate: u32,
    /// L2 regularisation factor; 0.0..=10.0, default 0.00001.
    pub weight_decay: f64,
}

/// How one hyperparameter is checked.
struct Spec {
    name: &'static str,
    kind: Kind,
}

enum Kind {
    Int { min: u64, max: Option<u64> },
    Float { min: f64, max: f64 },
}

impl Spec {
    fn expected(&self) -> String {
        match self.kind {
            Kind::Int { min, max: Some(max) } => format!("an integer in {min}..={max}"),
            Kind::Int { min, max: None } => format!("an integer ≥ {min}"),
            Kind::Float { min, max } => format!("a number in {min}..={max}"),
        }
    }

    fn invalid(&self, value: &str) -> HyperParameterError {
        HyperParameterError::Invalid { name: self.name.into(), value: value.into(), expected: self.expected() }
    }

    fn parse_int(&self, value: &str) -> Result<u32, HyperParameterError> {
        let Kind::Int { min, max } = self.kind else { unreachable!("{} is not an integer", self.name) };
        let text = value.trim();
        // SageMaker's JSON-ish strings sometimes carry "5.0" for integers: accept exact integral floats.
        let parsed = text.parse::<u64>().ok().or_else(|| {
            text.parse::<f64>().ok().filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1e18).map(|f| f as u64)
        });
        match parsed {
            Some(v) if v >= min && max.is_none_or(|m| v <= m) && v <= u64::from(u32::MAX) => Ok(v as u32),
            _ => Err(self.invalid(value)),
        }
    }

    fn parse_float(&self, value: &str) -> Result<f64, HyperParameterError> {
        let Kind::Float { min, max } = self.kind else { unreachable!("{} is not a number", self.name) };
        match value.trim().parse::<f64>() {
            Ok(v) if v.is_finite() && (min..=max).contains(&v) => Ok(v),
            _ => Err(self.invalid(value)),
        }
    }
}

const SPECS: [Spec; 10] = [
    Spec { name: "num_entity_vectors", kind: Kind::Int { min: 1, max: Some(250_000_000) } },
    Spec { name: "vector_dim", kind: Kind::Int { min: 4, max: Some(4096) } },
    Spec { name: "batch_metrics_publish_interval", kind: Kind::Int { min: 1, max: None } },
    Spec { name: "epochs", kind: Kind::Int { min: 1, max: None } },
    Spec { name: "learning_rate", kind: Kind::Float { min: 1e-6, max: 10.0 } },
    Spec { name: "mini_batch_size", kind: Kind::Int { min: 1, max: Some(500_000) } },
    Spec { name: "num_ip_encoder_layers", kind: Kind::Int { min: 0, max: Some(100) } },
    Spec { name: "random_negative_sampling_rate", kind: Kind::Int { min: 0, max: Some(500) } },
    Spec { name: "shuffled_negative_sampling_rate", kind: Kind::Int { min: 0, max: Some(500) } },
    Spec { name: "weight_decay", kind: Kind::Float { min: 0.0, max: 10.0 } },
];

fn spec(name: &str) -> &'static Spec {
    SPECS.iter().find(|s| s.name == name).expect("spec table covers every field")
}

/// The SageMaker names of all ten hyperparameters.
pub fn names() -> impl Iterator<Item = &'static str> {
    SPECS.iter().map(|s| s.name)
}

impl HyperParameters {
    /// Starts a builder with the two required values; everything else takes SageMaker's default.
    pub fn builder(num_entity_vectors: u32, vector_dim: u32) -> HyperParametersBuilder {
        HyperParametersBuilder {
            hp: HyperParameters {
                num_entity_vectors,
                vector_dim,
                batch_metrics_publish_interval: 1000,
                epochs: 10,
                learning_rate: 0.001,
                mini_batch_size: 10_000,
                num_ip_encoder_layers: 1,
                random_negative_sampling_rate: 1,
                shuffled_negative_sampling_rate: 1,
                weight_decay: 0.00001,
            },
        }
    }

    /// Builds and validates from SageMaker's string map (`HyperParameters` of CreateTrainingJob).
    pub fn from_map<K: AsRef<str>, V: AsRef<str>>(
        map: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self, HyperParameterError> {
        let mut values: BTreeMap<String, String> = BTreeMap::new();
        for (k, v) in map {
            let name = k.as_ref().trim();
            if !SPECS.iter().any(|s| s.name == name) {
                let known = names().collect::<Vec<_>>().join(", ");
                return Err(HyperParameterError::Unknown { name: name.into(), known });
            }
            values.insert(name.to_string(), v.as_ref().to_string());
        }
        let required = |name: &str| {
            let s = spec(name);
            values
                .get(name)
                .ok_or_else(|| HyperParameterError::Missing { name: name.into(), expected: s.expected() })
                .and_then(|v| s.parse_int(v))
        };
        let mut builder = Self::builder(required("num_entity_vectors")?, required("vector_dim")?);
        for (name, value) in &values {
            builder.hp.set(name, value)?;
        }
        builder.build()
    }

    /// Sets one parameter from its string form.
    fn set(&mut self, name: &str, value: &str) -> Result<(), HyperParameterError> {
        let s = spec(name);
        match name {
            "num_entity_vectors" => self.num_entity_vectors = s.parse_int(value)?,
            "vector_dim" => self.vector_dim = s.parse_int(value)?,
            "batch_metrics_publish_interval" => self.batch_metrics_publish_interval = s.parse_int(value)?,
            "epochs" => self.epochs = s.parse_int(value)?,
            "learning_rate" => self.learning_rate = s.parse_float(value)?,
            "mini_batch_size" => self.mini_batch_size = s.parse_int(value)?,
            "num_ip_encoder_layers" => self.num_ip_encoder_layers = s.parse_int(value)?,
            "random_negative_sampling_rate" => self.random_negative_sampling_rate = s.parse_int(value)?,
            "shuffled_negative_sampling_rate" => self.shuffled_negative_sampling_rate = s.parse_int(value)?,
            "weight_decay" => self.weight_decay = s.parse_float(value)?,
            _ => unreachable!("names are checked against SPECS"),
        }
        Ok(())
    }

    /// The SageMaker string map of all ten values (what CreateTrainingJob sends).
    pub fn to_map(&self) -> BTreeMap<String, String> {
        let mut map = BTreeMap::new();
        for name in names() {
            map.insert(name.to_string(), self.value_string(name));
        }
        map
    }

    fn value_string(&self, name: &str) -> String {
        match name {
            "num_entity_vectors" => self.num_entity_vectors.to_string(),
            "vector_dim" => self.vector_dim.to_string(),
            "batch_metrics_publish_interval" => self.batch_metrics_publish_interval.to_string(),
            "epochs" => self.epochs.to_string(),
            "learning_rate" => self.learning_rate.to_string(),
            "mini_batch_size" => self.mini_batch_size.to_string(),
            "num_ip_encoder_layers" => self.num_ip_encoder_layers.to_string(),
            "random_negative_sampling_rate" => self.random_negative_sampling_rate.to_string(),
            "shuffled_negative_sampling_rate" => self.shuffled_negative_sampling_rate.to_string(),
            "weight_decay" => self.weight_decay.to_string(),
            _ => unreachable!("names come from SPECS"),
        }
    }

    /// Checks every range and the negative-sampling sum.
    pub fn validate(&self) -> Result<(), HyperParameterError> {
        // Re-parsing each value's string form reuses the one set of range checks.
        let mut copy = self.clone();
        for name in names() {
            copy.set(name, &self.value_string(name))?;
        }
        let (r, s) = (self.random_negative_sampling_rate, self.shuffled_negative_sampling_rate);
        if !(1..=500).contains(&(r + s)) {
            return Err(HyperParameterError::NegativeSum { random: r, shuffled: s });
        }
        Ok(())
    }

    /// Records per positive pair: the positive plus its negatives (how SageMaker counts throughput).
    pub fn records_per_positive(&self) -> u64 {
        1 + u64::from(self.random_negative_sampling_rate) + u64::from(self.shuffled_negative_sampling_rate)
    }
}

impl fmt::Display for HyperParameters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.to_map().into_iter().map(|(k, v)| format!("{k}={v}")).collect();
        f.write_str(&parts.join(", "))
    }
}

/// Typed builder for [`HyperParameters`]; `build` validates.
#[derive(Debug, Clone)]
pub struct HyperParametersBuilder {
    hp: HyperParameters,
}

macro_rules! setters {
    ($($field:ident: $ty:ty),* $(,)?) => {
        impl HyperParametersBuilder {
            $(
                #[doc = concat!("Sets `", stringify!($field), "`.")]
                pub fn $field(mut self, value: $ty) -> Self {
                    self.hp.$field = value;
                    self
                }
            )*
        }
    };
}

setters! {
    batch_metrics_publish_interval: u32,
    epochs: u32,
    learning_rate: f64,
    mini_batch_size: u32,
    num_ip_encoder_layers: u32,
    random_negative_sampling_rate: u32,
    shuffled_negative_sampling_rate: u32,
    weight_decay: f64,
}

impl HyperParametersBuilder {
    /// Validates and returns the hyperparameters.
    pub fn build(self) -> Result<HyperParameters, HyperParameterError> {
        self.hp.validate()?;
        Ok(self.hp)
    }
}

#[cfg(test)]
mod tests;
