//! Principal ids → entities: the rule CloudTrail and GuardDuty share, so their tuples match.
//!
//! The entity of a principal id is the part before the first ':' (an assumed-role session `AROA…:session` is its
//! role `AROA…`), then the engine's entity rule ([`normalize_entity`]: surrounding whitespace is not part of it).

use ipinsights_engine::tuples::normalize_entity;

/// Why a principal id yields no entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoEntity {
    /// The principal id is absent or the empty string (AWS services, anonymous callers).
    Missing,
    /// The principal id is present, but its entity is blank: only whitespace, or nothing before the first ':'.
    Blank,
}

/// The entity of a principal id: the part before the first ':', under the entity rule.
pub fn entity_of(principal_id: Option<&str>) -> Result<&str, NoEntity> {
    let id = principal_id.filter(|id| !id.is_empty()).ok_or(NoEntity::Missing)?;
    let head = id.split(':').next().unwrap_or_default();
    Some(normalize_entity(head)).filter(|entity| !entity.is_empty()).ok_or(NoEntity::Blank)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities() {
        assert_eq!(entity_of(Some("AROAEXAMPLE:session-1")), Ok("AROAEXAMPLE"));
        assert_eq!(entity_of(Some("AIDAEXAMPLE")), Ok("AIDAEXAMPLE"));
        assert_eq!(entity_of(Some(" alice")), Ok("alice"));
        assert_eq!(entity_of(Some("\u{a0}AROAEXAMPLE :session")), Ok("AROAEXAMPLE"));
        assert_eq!(entity_of(Some("a b:c")), Ok("a b"), "inner whitespace stays");
        assert_eq!(entity_of(None), Err(NoEntity::Missing));
        assert_eq!(entity_of(Some("")), Err(NoEntity::Missing));
        assert_eq!(entity_of(Some("  ")), Err(NoEntity::Blank));
        assert_eq!(entity_of(Some(":x")), Err(NoEntity::Blank));
        assert_eq!(entity_of(Some(" \t:x")), Err(NoEntity::Blank));
    }
}
