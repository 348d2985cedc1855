//! The live detector in the account: an SNS topic for alerts (optionally with an e-mail subscription), an IAM role
//! for the function with the least privilege it needs, the Lambda function (the packaged `bootstrap`), an
//! EventBridge rule sending every GuardDuty finding to it; and the teardown removing every piece.
//! `deploy/detector.yaml` is the same stack as a CloudFormation template (its test checks they agree).

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Architecture, Environment, FunctionCode, Runtime};
use ipinsights_aws::AwsConfig;
use ipinsights_detect::lambda::env as lambda_env;
use serde_json::{json, Value};

use crate::clients::{run, Clients};
use crate::error::{AccountError, Result};

/// The EventBridge pattern of the rule: every GuardDuty finding.
pub fn event_pattern() -> Value {
    json!({ "source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"] })
}

/// The actions the function's role allows (logs on its own log group, InvokeEndpoint on the endpoint, Publish on the
/// topic), each with the resource it applies to.
pub fn role_policy(region: &str, account: &str, function: &str, endpoint: &str, topic_arn: &str) -> Value {
    let partition = partition_of(region);
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteItsLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": format!("arn:{partition}:logs:{region}:{account}:log-group:/aws/lambda/{function}:*"),
            },
            {
                "Sid": "ScoreOnTheEndpoint",
                "Effect": "Allow",
                "Action": ["sagemaker:InvokeEndpoint"],
                // SageMaker ARNs carry the endpoint name in lower case.
                "Resource": format!("arn:{partition}:sagemaker:{region}:{account}:endpoint/{}", endpoint.to_lowercase()),
            },
            {
                "Sid": "PublishAlerts",
                "Effect": "Allow",
                "Action": ["sns:Publish"],
                "Resource": topic_arn,
            },
        ],
    })
}

/// Lets Lambda assume the role.
pub fn assume_role_policy() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    })
}

/// Asynchronous invocations retried at most this often by Lambda after a function error (endpoint down, SNS
/// refused): a bounded retry, never a storm; bad findings are never errors.
pub const MAX_RETRY_ATTEMPTS: i32 = 2;
/// Events older than this are dropped by Lambda rather than retried (seconds).
pub const MAX_EVENT_AGE_SECS: i32 = 3_600;
/// Lambda runtime of the packaged `bootstrap` (Amazon Linux 2023, glibc 2.34).
pub const LAMBDA_RUNTIME: &str = "provided.al2023";
/// The name of every piece unless the spec says otherwise.
pub const DEFAULT_NAME: &str = "ipinsights-detector";
/// The inline policy's name on the role.
pub const POLICY_NAME: &str = "ipinsights-detector";
/// The rule's target id and the function's permission statement id.
const TARGET_ID: &str = "ipinsights-detector";
const PERMISSION_ID: &str = "eventbridge-guardduty-findings";

/// What to deploy.
#[derive(Clone, Debug, PartialEq)]
pub struct DetectorSpec {
    /// Name of every piece (role, function, rule, topic): letters, digits, `-`, `_`; at most 64.
    pub name: String,
    /// The SageMaker endpoint the function scores on.
    pub endpoint_name: String,
    /// Anomaly-score threshold (`−dot_product > threshold` alerts).
    pub threshold: f64,
    /// The Lambda package (`scripts/package-lambda` writes `target/lambda/ipinsights-detector.zip`).
    pub zip: PathBuf,
    /// An address to subscribe to the alert topic (SNS sends it a confirmation e-mail first).
    pub email: Option<String>,
    /// Function memory (MB).
    pub memory_mb: i32,
    /// Function timeout (seconds).
    pub timeout_secs: i32,
}

impl DetectorSpec {
    /// A detector named `ipinsights-detector` with 256 MB and 30 s.
    pub fn new(endpoint_name: &str, threshold: f64, zip: &Path) -> DetectorSpec {
        DetectorSpec {
            name: DEFAULT_NAME.into(),
            endpoint_name: endpoint_name.into(),
            threshold,
            zip: zip.into(),
            email: None,
            memory_mb: 256,
            timeout_secs: 30,
        }
    }

    fn validate(&self) -> Result<()> {
        validate_name(&self.name)?;
        if !self.threshold.is_finite() {
            return Err(AccountError::InvalidInput(format!("threshold {} is not a finite number", self.threshold)));
        }
        if self.endpoint_name.is_empty() || self.endpoint_name.len() > 63 {
            return Err(AccountError::InvalidInput(format!(
                "{:?} is not a SageMaker endpoint name",
                self.endpoint_name
            )));
        }
        if let Some(email) = &self.email {
            if !email.contains('@') || email.chars().any(char::is_whitespace) {
                return Err(AccountError::InvalidInput(format!("{email:?} is not an e-mail address")));
            }
        }
        Ok(())
    }
}

/// Checks a detector name (it names the role, function, rule and topic).
pub fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(AccountError::InvalidInput(format!(
            "{name:?} cannot name the detector: use 1 to 64 letters, digits, '-' or '_'"
        )))
    }
}

/// What was deployed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deployment {
    /// The alert topic.
    pub topic_arn: String,
    /// The e-mail subscription (`pending confirmation` until the address confirms).
    pub subscription: Option<String>,
    /// The function's role.
    pub role_arn: String,
    /// The function.
    pub function_arn: String,
    /// The rule.
    pub rule_arn: String,
}

impl fmt::Display for Deployment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "alert topic:   {}", self.topic_arn)?;
        if let Some(s) = &self.subscription {
            writeln!(f, "subscription:  {s}")?;
        }
        writeln!(f, "role:          {}", self.role_arn)?;
        writeln!(f, "function:      {}", self.function_arn)?;
        write!(f, "rule:          {}", self.rule_arn)
    }
}

/// Deploys (or updates) the detector; `log` gets one line per step.
pub fn deploy_detector(cfg: &AwsConfig, spec: &DetectorSpec, log: &mut dyn FnMut(&str)) -> Result<Deployment> {
    spec.validate()?;
    let zip = std::fs::read(&spec.zip).map_err(|source| AccountError::Io {
        action: "read the Lambda package",
        path: spec.zip.clone(),
        source,
    })?;
    if zip.len() > 50 << 20 {
        return Err(AccountError::InvalidInput(format!(
            "{} is {} bytes; a Lambda package uploaded directly may have at most 50 MB",
            spec.zip.display(),
            zip.len()
        )));
    }
    run(async {
        let clients = Clients::load(cfg).await?;
        deploy(&clients, spec, zip, log).await
    })
}

fn step(what: String) -> impl FnOnce(AccountError) -> AccountError {
    move |e| AccountError::Deploy { step: what, source: Box::new(e) }
}

async fn deploy(clients: &Clients, spec: &DetectorSpec, zip: Vec<u8>, log: &mut dyn FnMut(&str)) -> Result<Deployment> {
    let name = spec.name.as_str();
    let region = clients.region();
    let (sns, iam, lambda, events) = (clients.sns(), clients.iam(), clients.lambda(), clients.eventbridge());

    let topic_arn = sns
        .create_topic()
        .name(name)
        .send()
        .await
        .map_err(|e| AccountError::sdk("CreateTopic", e))
        .map_err(step(format!("creating SNS topic {name}")))?
        .topic_arn()
        .unwrap_or_default()
        .to_string();
    log(&format!("SNS topic {topic_arn}"));
    let account = topic_arn.split(':').nth(4).unwrap_or_default().to_string();

    let role_arn = match iam
        .create_role()
        .role_name(name)
        .assume_role_policy_document(assume_role_policy().to_string())
        .description("IP Insights detector: scores GuardDuty findings and publishes alerts")
        .send()
        .await
    {
        Ok(out) => out.role().map(|r| r.arn().to_string()).unwrap_or_default(),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_entity_already_exists_exception()) => iam
            .get_role()
            .role_name(name)
            .send()
            .await
            .map_err(|e| AccountError::sdk("GetRole", e))
            .map_err(step(format!("reading IAM role {name}")))?
            .role()
            .map(|r| r.arn().to_string())
            .unwrap_or_default(),
        Err(e) => return Err(step(format!("creating IAM role {name}"))(AccountError::sdk("CreateRole", e))),
    };
    let policy = role_policy(&region, &account, name, &spec.endpoint_name, &topic_arn);
    iam.put_role_policy()
        .role_name(name)
        .policy_name(POLICY_NAME)
        .policy_document(policy.to_string())
        .send()
        .await
        .map_err(|e| AccountError::sdk("PutRolePolicy", e))
        .map_err(step(format!("attaching policy {POLICY_NAME} to role {name}")))?;
    log(&format!("IAM role {role_arn} (InvokeEndpoint on {}, Publish on the topic, its logs)", spec.endpoint_name));

    let environment = Environment::builder()
        .variables(lambda_env::THRESHOLD, spec.threshold.to_string())
        .variables(lambda_env::ENDPOINT_NAME, &spec.endpoint_name)
        .variables(lambda_env::ALERT_TOPIC_ARN, &topic_arn)
        .build();
    let function_arn = create_or_update_function(&lambda, spec, &role_arn, zip, environment).await?;
    lambda
        .put_function_event_invoke_config()
        .function_name(name)
        .maximum_retry_attempts(MAX_RETRY_ATTEMPTS)
        .maximum_event_age_in_seconds(MAX_EVENT_AGE_SECS)
        .send()
        .await
        .map_err(|e| AccountError::sdk("PutFunctionEventInvokeConfig", e))
        .map_err(step(format!("limiting retries of function {name}")))?;
    log(&format!("Lambda function {function_arn} ({LAMBDA_RUNTIME}, threshold {})", spec.threshold));

    let rule_arn = events
        .put_rule()
        .name(name)
        .event_pattern(event_pattern().to_string())
        .description("GuardDuty findings to the IP Insights detector")
        .state(aws_sdk_eventbridge::types::RuleState::Enabled)
        .send()
        .await
        .map_err(|e| AccountError::sdk("PutRule", e))
        .map_err(step(format!("creating EventBridge rule {name}")))?
        .rule_arn()
        .unwrap_or_default()
        .to_string();
    let target = aws_sdk_eventbridge::types::Target::builder()
        .id(TARGET_ID)
        .arn(&function_arn)
        .build()
        .map_err(|e| AccountError::InvalidInput(e.to_string()))?;
    let put = events
        .put_targets()
        .rule(name)
        .targets(target)
        .send()
        .await
        .map_err(|e| AccountError::sdk("PutTargets", e))
        .map_err(step(format!("pointing rule {name} at the function")))?;
    if put.failed_entry_count() > 0 {
        let why: Vec<String> = put.failed_entries().iter().map(|e| format!("{:?}", e.error_message())).collect();
        return Err(AccountError::InvalidInput(format!("PutTargets refused the function: {}", why.join(", "))));
    }
    match lambda
        .add_permission()
        .function_name(name)
        .statement_id(PERMISSION_ID)
        .action("lambda:InvokeFunction")
        .principal("events.amazonaws.com")
        .source_arn(&rule_arn)
        .send()
        .await
    {
        Ok(_) => {}
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_conflict_exception()) => {}
        Err(e) => {
            return Err(step(format!("letting rule {name} invoke the function"))(AccountError::sdk("AddPermission", e)))
        }
    }
    log(&format!("EventBridge rule {rule_arn} (every GuardDuty finding)"));

    let subscription = match &spec.email {
        None => None,
        Some(email) => {
            let out = sns
                .subscribe()
                .topic_arn(&topic_arn)
                .protocol("email")
                .endpoint(email)
                .send()
                .await
                .map_err(|e| AccountError::sdk("Subscribe", e))
                .map_err(step(format!("subscribing {email} to the alerts")))?;
            log(&format!("subscribed {email}: confirm with the link SNS e-mails you"));
            Some(out.subscription_arn().unwrap_or("pending confirmation").to_string())
        }
    };
    Ok(Deployment { topic_arn, subscription, role_arn, function_arn, rule_arn })
}

/// Creates the function, or updates the code and configuration of an existing one. A role created a moment ago is
/// not yet assumable by Lambda (IAM is eventually consistent): that refusal is retried for up to a minute.
async fn create_or_update_function(
    lambda: &aws_sdk_lambda::Client,
    spec: &DetectorSpec,
    role_arn: &str,
    zip: Vec<u8>,
    environment: Environment,
) -> Result<String> {
    let name = spec.name.as_str();
    let fail = |op: &'static str| step(format!("{op} for Lambda function {name}"));
    let mut wait = Duration::from_secs(2);
    loop {
        let created = lambda
            .create_function()
            .function_name(name)
            .runtime(Runtime::from(LAMBDA_RUNTIME))
            .handler("bootstrap")
            .architectures(Architecture::X8664)
            .role(role_arn)
            .code(FunctionCode::builder().zip_file(Blob::new(zip.clone())).build())
            .environment(environment.clone())
            .memory_size(spec.memory_mb)
            .timeout(spec.timeout_secs)
            .description("IP Insights: scores GuardDuty findings on a SageMaker endpoint and publishes alerts to SNS")
            .send()
            .await;
        match created {
            Ok(out) => return Ok(out.function_arn().unwrap_or_default().to_string()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_conflict_exception()) => break,
            Err(e)
                if wait <= Duration::from_secs(32)
                    && e.as_service_error().is_some_and(|s| {
                        s.is_invalid_parameter_value_exception()
                            && s.meta().message().is_some_and(|m| m.contains("cannot be assumed"))
                    }) =>
            {
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            Err(e) => return Err(fail("CreateFunction")(AccountError::sdk("CreateFunction", e))),
        }
    }
    lambda
        .update_function_code()
        .function_name(name)
        .zip_file(Blob::new(zip))
        .send()
        .await
        .map_err(|e| AccountError::sdk("UpdateFunctionCode", e))
        .map_err(fail("UpdateFunctionCode"))?;
    let out = lambda
        .update_function_configuration()
        .function_name(name)
        .role(role_arn)
        .environment(environment)
        .memory_size(spec.memory_mb)
        .timeout(spec.timeout_secs)
        .send()
        .await
        .map_err(|e| AccountError::sdk("UpdateFunctionConfiguration", e))
        .map_err(fail("UpdateFunctionConfiguration"))?;
    Ok(out.function_arn().unwrap_or_default().to_string())
}

/// What a teardown removed, piece by piece (`false`: it was not there).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Teardown {
    /// The rule (and its target).
    pub rule: bool,
    /// The function.
    pub function: bool,
    /// The role (and its inline policy).
    pub role: bool,
    /// The topic (and its subscriptions).
    pub topic: bool,
}

impl fmt::Display for Teardown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let say = |done: bool| if done { "deleted" } else { "not found" };
        write!(
            f,
            "EventBridge rule {}, Lambda function {}, IAM role {}, SNS topic {}",
            say(self.rule),
            say(self.function),
            say(self.role),
            say(self.topic)
        )
    }
}

/// Removes every piece [`deploy_detector`] creates under `name`; pieces already gone are reported, not errors.
/// The function's CloudWatch log group (`/aws/lambda/NAME`, made by Lambda when it first runs) is kept.
pub fn teardown_detector(cfg: &AwsConfig, name: &str, log: &mut dyn FnMut(&str)) -> Result<Teardown> {
    validate_name(name)?;
    run(async {
        let clients = Clients::load(cfg).await?;
        teardown(&clients, name, log).await
    })
}

async fn teardown(clients: &Clients, name: &str, log: &mut dyn FnMut(&str)) -> Result<Teardown> {
    let (sns, iam, lambda, events) = (clients.sns(), clients.iam(), clients.lambda(), clients.eventbridge());
    let mut done = Teardown::default();

    match events.remove_targets().rule(name).ids(TARGET_ID).send().await {
        Ok(_) => {}
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => {}
        Err(e) => {
            return Err(step(format!("removing the target of rule {name}"))(AccountError::sdk("RemoveTargets", e)))
        }
    }
    match events.describe_rule().name(name).send().await {
        Ok(_) => {
            events
                .delete_rule()
                .name(name)
                .send()
                .await
                .map_err(|e| AccountError::sdk("DeleteRule", e))
                .map_err(step(format!("deleting rule {name}")))?;
            done.rule = true;
        }
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => {}
        Err(e) => return Err(step(format!("reading rule {name}"))(AccountError::sdk("DescribeRule", e))),
    }
    log(&format!("EventBridge rule {name}: {}", if done.rule { "deleted" } else { "not found" }));

    match lambda.delete_function().function_name(name).send().await {
        Ok(_) => done.function = true,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => {}
        Err(e) => return Err(step(format!("deleting function {name}"))(AccountError::sdk("DeleteFunction", e))),
    }
    log(&format!("Lambda function {name}: {}", if done.function { "deleted" } else { "not found" }));

    match iam.delete_role_policy().role_name(name).policy_name(POLICY_NAME).send().await {
        Ok(_) => {}
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_entity_exception()) => {}
        Err(e) => {
            return Err(step(format!("deleting the policy of role {name}"))(AccountError::sdk("DeleteRolePolicy", e)))
        }
    }
    match iam.delete_role().role_name(name).send().await {
        Ok(_) => done.role = true,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_entity_exception()) => {}
        Err(e) => return Err(step(format!("deleting role {name}"))(AccountError::sdk("DeleteRole", e))),
    }
    log(&format!("IAM role {name}: {}", if done.role { "deleted" } else { "not found" }));

    // SNS has no lookup by name: find the topic among the account's topics in this region.
    let mut topic = None;
    let mut pages = sns.list_topics().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AccountError::sdk("ListTopics", e)).map_err(step("listing SNS topics".into()))?;
        topic = topic.or_else(|| {
            page.topics()
                .iter()
                .filter_map(|t| t.topic_arn())
                .find(|arn| arn.rsplit(':').next() == Some(name))
                .map(String::from)
        });
    }
    if let Some(arn) = topic {
        sns.delete_topic()
            .topic_arn(&arn)
            .send()
            .await
            .map_err(|e| AccountError::sdk("DeleteTopic", e))
            .map_err(step(format!("deleting topic {arn}")))?;
        done.topic = true;
    }
    log(&format!("SNS topic {name}: {}", if done.topic { "deleted (with its subscriptions)" } else { "not found" }));
    Ok(done)
}

/// `aws`, `aws-cn` or `aws-us-gov` for a region.
fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_scopes_each_action_to_its_resource() {
        let p =
            role_policy("us-east-1", "123456789012", "det", "IPInsights-EP", "arn:aws:sns:us-east-1:123456789012:det");
        let s = &p["Statement"];
        assert_eq!(s[1]["Resource"], "arn:aws:sagemaker:us-east-1:123456789012:endpoint/ipinsights-ep");
        assert_eq!(s[2]["Resource"], "arn:aws:sns:us-east-1:123456789012:det");
        assert_eq!(s[0]["Resource"], "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/det:*");
        assert!(role_policy("cn-north-1", "1", "d", "e", "t").to_string().contains("arn:aws-cn:sagemaker"));
    }

    #[test]
    fn names_and_specs_are_checked_before_any_call() {
        assert!(validate_name("ipinsights-detector_2").is_ok());
        for bad in ["", "has space", "a/b", &"x".repeat(65)] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
        let mut spec = DetectorSpec::new("ep", f64::NAN, Path::new("x.zip"));
        assert!(spec.validate().unwrap_err().to_string().contains("not a finite number"));
        spec.threshold = 0.0;
        spec.email = Some("not an address".into());
        assert!(spec.validate().unwrap_err().to_string().contains("not an e-mail address"));
    }
}
