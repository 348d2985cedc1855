//! Who made a call → its entity: the one rule CloudTrail, GuardDuty and the Lambda share, so their tuples match.
//!
//! **The entity rule.** A principal id (surrounding whitespace trimmed, [`normalize_entity`]) is one entity, whole,
//! with one exception: a *role session* — `AROA…:session` (role ids start with `AROA`), or any principal id of
//! identity type `AssumedRole` — counts as its role, the part before the first ':' (the workshop's rule: a service
//! role's sessions are one behaviour), unless the role is an IAM Identity Center role (named `AWSReservedSSO_…`, path
//! `/aws-reserved/sso.amazonaws.com/`), whose session name is the person signed in, so `AROA…:alice@example.com` is
//! its own entity. Hence, as CloudTrail's `userIdentity.type` / GuardDuty's `accessKeyDetails.userType` name them:
//!
//! | identity | principal id | entity |
//! |---|---|---|
//! | `IAMUser` | `AIDA…` | `AIDA…` |
//! | `Root` | the account id | the account id |
//! | `FederatedUser` (GetFederationToken) | `ACCOUNT:bob` | `ACCOUNT:bob` (each federated user apart, and apart from root) |
//! | `WebIdentityUser`, `SAMLUser` (the AssumeRoleWith… calls) | `PROVIDER:APP:SUBJECT`, `ID:NAME` | the whole id (each subject apart) |
//! | `AssumedRole`, IAM Identity Center role | `AROA…:alice@example.com` | the whole id (each person apart) |
//! | `AssumedRole`, any other role | `AROA…:session` | `AROA…` (counted as a session folded into its role) |
//!
//! A missing or empty principal id has no entity ([`NoEntity::Missing`]); a blank one — only whitespace, or nothing
//! before the first ':' — neither ([`NoEntity::Blank`]).
//!
//! **CloudTrail and GuardDuty alike.** GuardDuty's `accessKeyDetails` has four fields (`accessKeyId`,
//! `principalId`, `userName`, `userType`; its API reference says no more): the principal id and identity type are
//! CloudTrail's, and in GuardDuty's findings (its sample findings too) a role session's `userName` is the role's
//! name, not the session's. So the Identity Center test reads the role name from GuardDuty's `userName` and from
//! CloudTrail's session `arn` (`…:assumed-role/NAME/SESSION`) or issuer ARN, and the same person gets the same entity
//! from both. Should a finding carry the session's name in `userName` instead, an Identity Center session would
//! count as its role in GuardDuty while it stays apart in CloudTrail. What cannot be told apart, in either: people who reach an IAM role straight from a SAML or web-identity provider (not through
//! Identity Center) act as role sessions whose name the application chose, so they count as the role; only
//! CloudTrail's `sessionContext.webIdFederationData` says who they are, and GuardDuty does not carry it, so the
//! readers do not use it (the two would no longer match).

use ipinsights_engine::tuples::normalize_entity;

/// The names IAM Identity Center gives the roles of its permission sets.
pub const IDENTITY_CENTER_ROLE_PREFIX: &str = "AWSReservedSSO_";
/// The IAM path of IAM Identity Center's roles (in a role's ARN).
pub const IDENTITY_CENTER_ROLE_PATH: &str = "/aws-reserved/sso.amazonaws.com/";
/// The prefix of IAM role ids (a role session's principal id is `ROLEID:session`).
const ROLE_ID_PREFIX: &str = "AROA";

/// Who made a call, as CloudTrail's `userIdentity` or GuardDuty's `accessKeyDetails` describe it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Identity<'a> {
    /// The identity type: CloudTrail `userIdentity.type`, GuardDuty `accessKeyDetails.userType` (`IAMUser`, `Root`,
    /// `AssumedRole`, `FederatedUser`, …).
    pub kind: Option<&'a str>,
    /// `principalId`: `AIDA…`, an account id, `AROA…:session`, `ACCOUNT:name`, `PROVIDER:APP:SUBJECT`.
    pub principal_id: Option<&'a str>,
    /// A role session's role name: from CloudTrail's session `arn` ([`role_name_of_session_arn`]) or GuardDuty's
    /// `userName`.
    pub role_name: Option<&'a str>,
    /// A role session's role ARN (CloudTrail's `sessionContext.sessionIssuer.arn`), whose path marks Identity
    /// Center roles.
    pub role_arn: Option<&'a str>,
}

/// The entity of an identity, and whether a role session was folded into its role to get it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entity<'a> {
    /// The entity, under the rule of this module.
    pub name: &'a str,
    /// True when the identity is a role session counted as its role (`AROA…:session` → `AROA…`).
    pub session_folded: bool,
}

/// Why a principal id yields no entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoEntity {
    /// The principal id is absent or the empty string (AWS services, anonymous callers).
    Missing,
    /// The principal id is present, but its entity is blank: only whitespace, or nothing before the first ':'.
    Blank,
}

/// The entity of `identity` under the entity rule (see the module documentation).
pub fn entity_of<'a>(identity: &Identity<'a>) -> Result<Entity<'a>, NoEntity> {
    let id = identity.principal_id.filter(|id| !id.is_empty()).ok_or(NoEntity::Missing)?;
    let id = normalize_entity(id);
    let (head, has_session) = match id.split_once(':') {
        Some((head, _)) => (normalize_entity(head), true),
        None => (id, false),
    };
    if head.is_empty() {
        return Err(NoEntity::Blank);
    }
    let role_session =
        has_session && (head.starts_with(ROLE_ID_PREFIX) || identity.kind.is_some_and(|k| k.trim() == "AssumedRole"));
    if role_session && !is_identity_center_role(identity) {
        return Ok(Entity { name: head, session_folded: true });
    }
    Ok(Entity { name: id, session_folded: false })
}

/// True when the session's role is one of IAM Identity Center's (by name or by path).
fn is_identity_center_role(identity: &Identity<'_>) -> bool {
    identity.role_name.is_some_and(|name| name.trim().starts_with(IDENTITY_CENTER_ROLE_PREFIX))
        || identity.role_arn.is_some_and(|arn| {
            arn.contains(IDENTITY_CENTER_ROLE_PATH)
                || arn.rsplit('/').next().is_some_and(|name| name.starts_with(IDENTITY_CENTER_ROLE_PREFIX))
        })
}

/// The role name in an assumed-role session ARN, `arn:PARTITION:sts::ACCOUNT:assumed-role/NAME/SESSION`.
pub fn role_name_of_session_arn(arn: &str) -> Option<&str> {
    let resource = arn.trim().splitn(6, ':').nth(5)?;
    resource.strip_prefix("assumed-role/")?.split('/').next().filter(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(principal_id: Option<&str>) -> Result<&str, NoEntity> {
        entity_of(&Identity { principal_id, ..Identity::default() }).map(|e| e.name)
    }

    fn typed<'a>(kind: &'a str, principal_id: &'a str, role_name: Option<&'a str>) -> Result<Entity<'a>, NoEntity> {
        entity_of(&Identity { kind: Some(kind), principal_id: Some(principal_id), role_name, role_arn: None })
    }

    #[test]
    fn whitespace_and_blanks() {
        assert_eq!(of(Some("AROAEXAMPLE:session-1")), Ok("AROAEXAMPLE"));
        assert_eq!(of(Some("AIDAEXAMPLE")), Ok("AIDAEXAMPLE"));
        assert_eq!(of(Some(" alice")), Ok("alice"));
        assert_eq!(of(Some("\u{a0}AROAEXAMPLE :session")), Ok("AROAEXAMPLE"));
        assert_eq!(of(Some("a b:c")), Ok("a b:c"), "not a role session: the whole id, inner whitespace kept");
        assert_eq!(of(None), Err(NoEntity::Missing));
        assert_eq!(of(Some("")), Err(NoEntity::Missing));
        assert_eq!(of(Some("  ")), Err(NoEntity::Blank));
        assert_eq!(of(Some(":x")), Err(NoEntity::Blank));
        assert_eq!(of(Some(" \t:x")), Err(NoEntity::Blank));
    }

    #[test]
    fn people_stay_apart_and_service_role_sessions_fold() {
        let entity = |name, session_folded| Ok(Entity { name, session_folded });
        assert_eq!(typed("Root", "123456789012", None), entity("123456789012", false));
        assert_eq!(typed("FederatedUser", "123456789012:bob", Some("bob")), entity("123456789012:bob", false));
        assert_eq!(
            typed("WebIdentityUser", "accounts.google.com:app.example:1234", None),
            entity("accounts.google.com:app.example:1234", false)
        );
        assert_eq!(typed("AssumedRole", "AROAROLE:i-0abc", Some("app-role")), entity("AROAROLE", true));
        assert_eq!(typed("AssumedRole", "ROLEID:build-7", None), entity("ROLEID", true), "the type says role session");
        assert_eq!(
            typed("AssumedRole", "AROASSO:alice@example.com", Some("AWSReservedSSO_Admin_0123abcd")),
            entity("AROASSO:alice@example.com", false)
        );
        let by_path = Identity {
            kind: Some("AssumedRole"),
            principal_id: Some("AROASSO:bob@example.com"),
            role_name: None,
            role_arn: Some("arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/Custom"),
        };
        assert_eq!(entity_of(&by_path), entity("AROASSO:bob@example.com", false));
    }

    #[test]
    fn role_names_of_session_arns() {
        let arn = "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123/alice@example.com";
        assert_eq!(role_name_of_session_arn(arn), Some("AWSReservedSSO_Admin_0123"));
        assert_eq!(role_name_of_session_arn("arn:aws:iam::123456789012:user/alice"), None);
        assert_eq!(role_name_of_session_arn("garbage"), None);
    }
}
