//! Whether SageMaker can assume a role, read from the role's trust policy (IAM GetRole's
//! `AssumeRolePolicyDocument`, URL-encoded JSON): an `Allow` of `sts:AssumeRole` to the service principal
//! `sagemaker.amazonaws.com`. Deliberately simple: what it cannot evaluate (conditions, `NotPrincipal`,
//! `NotAction`, a conditional `Deny`) is reported as unclear, never guessed.

use serde_json::Value;

/// The service principal SageMaker assumes execution roles as.
pub const SAGEMAKER_PRINCIPAL: &str = "sagemaker.amazonaws.com";

/// What a trust policy says about SageMaker assuming the role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SageMakerTrust {
    /// A statement allows `sts:AssumeRole` to `sagemaker.amazonaws.com`, unconditionally, and none denies it.
    Allowed,
    /// SageMaker cannot assume the role; why, in words.
    Refused(String),
    /// The policy may or may not allow it (a condition, `NotPrincipal`, …); why, in words.
    Unclear(String),
}

/// Reads a trust policy document, URL-encoded (as IAM returns it) or plain JSON.
pub fn sagemaker_trust(document: &str) -> SageMakerTrust {
    let text = if document.trim_start().starts_with('{') { document.to_string() } else { percent_decode(document) };
    let policy: Value = match serde_json::from_str(&text) {
        Ok(policy) => policy,
        Err(e) => return SageMakerTrust::Unclear(format!("its trust policy is not JSON ({e})")),
    };
    let statements = match policy.get("Statement") {
        Some(Value::Array(list)) => list.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        _ => return SageMakerTrust::Refused("its trust policy has no statements".into()),
    };
    let mut allowed = false;
    let mut unclear = Vec::new();
    for statement in &statements {
        if statement.get("NotPrincipal").is_some() || statement.get("NotAction").is_some() {
            unclear.push("a statement uses NotPrincipal or NotAction".to_string());
            continue;
        }
        if !names_sagemaker(statement.get("Principal")) || !allows_assume_role(statement.get("Action")) {
            continue;
        }
        let conditional = statement.get("Condition").is_some();
        match statement.get("Effect").and_then(Value::as_str) {
            Some("Deny") if conditional => unclear.push("a statement denies it under a condition".into()),
            Some("Deny") => {
                return SageMakerTrust::Refused(format!(
                    "its trust policy denies sts:AssumeRole to {SAGEMAKER_PRINCIPAL}"
                ))
            }
            Some("Allow") if conditional => unclear.push("the statement allowing it has a condition".into()),
            Some("Allow") => allowed = true,
            _ => {}
        }
    }
    match (allowed, unclear.is_empty()) {
        (_, false) => SageMakerTrust::Unclear(unclear.join("; ")),
        (true, true) => SageMakerTrust::Allowed,
        (false, true) => SageMakerTrust::Refused(format!(
            "its trust policy does not allow sts:AssumeRole to the service principal {SAGEMAKER_PRINCIPAL}"
        )),
    }
}

/// Whether a `Principal` is `*` or has `sagemaker.amazonaws.com` among its `Service` values.
fn names_sagemaker(principal: Option<&Value>) -> bool {
    match principal {
        Some(Value::String(any)) => any == "*",
        Some(Value::Object(map)) => map.get("Service").is_some_and(|s| strings(s).any(|s| s == SAGEMAKER_PRINCIPAL)),
        _ => false,
    }
}

/// Whether an `Action` covers `sts:AssumeRole` (`sts:AssumeRole`, `sts:*` or `*`, in any case).
fn allows_assume_role(action: Option<&Value>) -> bool {
    action.is_some_and(|a| {
        strings(a).any(|a| ["sts:assumerole", "sts:*", "*"].contains(&a.to_ascii_lowercase().as_str()))
    })
}

/// A string, or the strings of a list.
fn strings(value: &Value) -> impl Iterator<Item = &str> {
    let list: Vec<&str> = match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    list.into_iter()
}

/// RFC 3986 percent-decoding (IAM's encoding of policy documents); a malformed escape is kept as it is.
fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAGEMAKER: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sagemaker.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    /// The trust policy of an IAM Identity Center permission set's role.
    const SSO: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/AWSSSO_0123456789abcdef_DO_NOT_DELETE"},"Action":["sts:AssumeRoleWithSAML","sts:TagSession"],"Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]}"#;

    fn encoded(text: &str) -> String {
        percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
    }

    #[test]
    fn sagemaker_is_allowed_as_a_string_or_in_a_list_encoded_or_not() {
        let listed = r#"{"Statement":{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","sagemaker.amazonaws.com"]},"Action":["sts:AssumeRole","sts:SetSourceIdentity"]}}"#;
        for policy in [SAGEMAKER, listed] {
            assert_eq!(sagemaker_trust(policy), SageMakerTrust::Allowed, "{policy}");
            assert_eq!(sagemaker_trust(&encoded(policy)), SageMakerTrust::Allowed, "{policy}");
        }
    }

    #[test]
    fn roles_without_sagemaker_are_refused() {
        let ec2 = SAGEMAKER.replace("sagemaker.amazonaws.com", "ec2.amazonaws.com");
        let saml_action = SAGEMAKER.replace("sts:AssumeRole\"", "sts:AssumeRoleWithSAML\"");
        let denied = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"sagemaker.amazonaws.com"},"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"Service":"sagemaker.amazonaws.com"},"Action":"sts:*"}]}"#;
        for policy in [SSO, ec2.as_str(), saml_action.as_str(), denied, r#"{"Statement":[]}"#] {
            let verdict = sagemaker_trust(&encoded(policy));
            assert!(matches!(verdict, SageMakerTrust::Refused(_)), "{policy}: {verdict:?}");
        }
    }

    #[test]
    fn conditions_and_negations_are_unclear_not_guessed() {
        let conditional = SAGEMAKER.replace(
            r#""Action":"sts:AssumeRole""#,
            r#""Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}"#,
        );
        let not_principal = r#"{"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::1:root"},"Action":"sts:AssumeRole"}]}"#;
        for policy in [conditional.as_str(), not_principal, "not json"] {
            let verdict = sagemaker_trust(policy);
            assert!(matches!(verdict, SageMakerTrust::Unclear(_)), "{policy}: {verdict:?}");
        }
    }

    #[test]
    fn percent_decoding_keeps_malformed_escapes() {
        assert_eq!(percent_decode("%7B%22a%22%3A1%7D"), r#"{"a":1}"#);
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }
}
