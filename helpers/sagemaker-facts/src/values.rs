//! The values SageMaker's request options take, as enums spelled as the SDK spells them: attendees type the SDK's
//! strings (`"FullyReplicated"`, `"text/csv"`, `"Line"`), parsed once with [`std::str::FromStr`]; an unknown value
//! is a [`ValueError`] naming the parameter and the values it takes.

use std::fmt;
use std::str::FromStr;

/// A value an option does not take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {parameter} {value:?}: use one of {}", allowed.join(", "))]
pub struct ValueError {
    /// The parameter (the SDK's name, e.g. `split_type`).
    pub parameter: &'static str,
    /// The value as given.
    pub value: String,
    /// The values the parameter takes.
    pub allowed: &'static [&'static str],
}

/// Defines an enum of SDK strings with `as_str`, `ALL`, `Display` and `FromStr`.
macro_rules! sdk_values {
    ($(#[$doc:meta])* $name:ident, $parameter:literal, { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in the SDK's spelling.
            pub const ALL: &'static [&'static str] = &[$($text),+];

            /// The value as the SDK spells it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = ValueError;

            fn from_str(value: &str) -> Result<Self, ValueError> {
                match value {
                    $($text => Ok($name::$variant),)+
                    _ => Err(ValueError { parameter: $parameter, value: value.into(), allowed: $name::ALL }),
                }
            }
        }
    };
}

pub(crate) use sdk_values;

sdk_values!(
    /// A channel's `S3DataDistributionType` (`TrainingInput(distribution=…)`).
    S3DataDistribution, "distribution", {
        /// Every instance reads all the data.
        FullyReplicated => "FullyReplicated",
        /// Each instance reads its share of the objects.
        ShardedByS3Key => "ShardedByS3Key",
    }
);

sdk_values!(
    /// The media type of the data IP Insights reads (`content_type`).
    ContentType, "content_type", {
        /// Headerless `entity,ip` rows.
        Csv => "text/csv",
        /// `{"instances": [{"data": {"features": {"values": [entity, ip]}}}]}`.
        Json => "application/json",
        /// One JSON object a line.
        JsonLines => "application/jsonlines",
    }
);

sdk_values!(
    /// Batch transform's `SplitType` IP Insights can read.
    SplitType, "split_type", {
        /// One record per line (CSV or JSON Lines).
        Line => "Line",
        /// Each object is one request.
        None => "None",
    }
);

sdk_values!(
    /// Batch transform's `AssembleWith`.
    AssemblyType, "assemble_with", {
        /// One answer line per input line.
        Line => "Line",
        /// The answers as they come.
        None => "None",
    }
);

sdk_values!(
    /// Batch transform's `BatchStrategy`.
    BatchStrategy, "strategy", {
        /// As many records per request as fit `max_payload`.
        MultiRecord => "MultiRecord",
        /// One record per request.
        SingleRecord => "SingleRecord",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value of `T` (`all`) parses from its spelling and prints it back; `bad` is refused as `expected`.
    fn round_trip<T>(all: &[&str], bad: &str, expected: &str)
    where
        T: FromStr<Err = ValueError> + fmt::Display,
    {
        for text in all {
            assert_eq!(text.parse::<T>().unwrap().to_string(), *text);
        }
        assert_eq!(bad.parse::<T>().err().unwrap().to_string(), expected);
    }

    #[test]
    fn values_round_trip_in_the_sdks_spelling() {
        round_trip::<S3DataDistribution>(
            S3DataDistribution::ALL,
            "Sharded",
            "invalid distribution \"Sharded\": use one of FullyReplicated, ShardedByS3Key",
        );
        round_trip::<ContentType>(
            ContentType::ALL,
            "text/plain",
            "invalid content_type \"text/plain\": use one of text/csv, application/json, application/jsonlines",
        );
        round_trip::<SplitType>(SplitType::ALL, "RecordIO", "invalid split_type \"RecordIO\": use one of Line, None");
        round_trip::<AssemblyType>(AssemblyType::ALL, "line", "invalid assemble_with \"line\": use one of Line, None");
        round_trip::<BatchStrategy>(
            BatchStrategy::ALL,
            "Multi",
            "invalid strategy \"Multi\": use one of MultiRecord, SingleRecord",
        );
    }

    #[test]
    fn spellings_are_the_sdks() {
        assert_eq!(S3DataDistribution::ShardedByS3Key.as_str(), "ShardedByS3Key");
        assert_eq!(ContentType::JsonLines.as_str(), "application/jsonlines");
        assert_eq!(SplitType::None.to_string(), "None");
        assert_eq!(AssemblyType::Line.to_string(), "Line");
        assert_eq!(BatchStrategy::SingleRecord.to_string(), "SingleRecord");
    }
}
