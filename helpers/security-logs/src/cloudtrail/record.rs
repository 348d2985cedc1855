//! The few CloudTrail record fields the extraction needs, read one record at a time: a log file's other fields,
//! and every record once it is turned into its tuple, are never kept.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// One CloudTrail event, reduced to what the tuples need (every other field is skipped unread).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Record {
    /// Who made the call.
    pub user_identity: Option<UserIdentity>,
    /// ISO-8601 time of the call.
    pub event_time: Option<String>,
    /// An IP address, a service DNS name or `AWS Internal`.
    #[serde(rename = "sourceIPAddress")]
    pub source_ip_address: Option<String>,
}

/// `userIdentity`, reduced to what the entity rule reads.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct UserIdentity {
    /// `IAMUser`, `AssumedRole`, `Root`, `FederatedUser`, `WebIdentityUser`, …
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// `AIDA…` for users, `AROA…:session` for assumed roles, `ACCOUNT:name` for federated users; absent for AWS
    /// services.
    pub principal_id: Option<String>,
    /// The caller's ARN; for a role session `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    pub arn: Option<String>,
    /// A role session's context.
    pub session_context: Option<SessionContext>,
}

/// `userIdentity.sessionContext`, reduced to its issuer.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct SessionContext {
    /// The role (or user) that issued the session.
    pub session_issuer: Option<SessionIssuer>,
}

/// `sessionContext.sessionIssuer`, reduced to its ARN.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct SessionIssuer {
    /// The role's ARN, with its path (`arn:aws:iam::ACCOUNT:role/PATH/NAME`).
    pub arn: Option<String>,
}

/// Streams the records of one log file `{"Records": [...]}` into `each`, one at a time; other top-level fields are
/// skipped unread. The same errors as deserialising the whole file: not an object, no `Records`, a record of the
/// wrong shape.
pub(crate) fn for_each_record<'de, D: Deserializer<'de>>(de: D, each: &mut dyn FnMut(Record)) -> Result<(), D::Error> {
    de.deserialize_map(LogFileVisitor { each })
}

struct LogFileVisitor<'f> {
    each: &'f mut dyn FnMut(Record),
}

impl<'de> Visitor<'de> for LogFileVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a CloudTrail log file {\"Records\": [...]}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = false;
        while let Some(key) = map.next_key::<String>()? {
            if key != "Records" {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            if seen {
                return Err(de::Error::duplicate_field("Records"));
            }
            seen = true;
            map.next_value_seed(RecordsSeed { each: &mut *self.each })?;
        }
        if seen {
            Ok(())
        } else {
            Err(de::Error::missing_field("Records"))
        }
    }
}

struct RecordsSeed<'f> {
    each: &'f mut dyn FnMut(Record),
}

impl<'de> DeserializeSeed<'de> for RecordsSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RecordsSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of CloudTrail records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(record) = seq.next_element::<Record>()? {
            (self.each)(record);
        }
        Ok(())
    }
}
