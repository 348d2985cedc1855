//! The live detector in the account: an SNS topic for alerts (optionally with an e-mail subscription), an IAM role
//! for the function with the least privilege it needs, the Lambda function (the packaged `bootstrap`), an
//! EventBridge rule sending every GuardDuty finding to it, the function's log group with a retention, the alert-state
//! table (one alert per finding), the on-failure queue and the alarm on the function's errors ([`crate::alerting`]);
//! every piece tagged [`WORKSHOP_TAG_KEY`] = the detector's name; and the teardown removing every piece.
//!
//! GuardDuty and EventBridge are regional: the detector sees the findings of the region it is deployed in only.
//! Deploy it in each region, or forward the other regions' findings to its event bus: docs/AWS.md.
//! `deploy/detector.yaml` is the same stack as a CloudFormation template (its test checks they agree).

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_sdk_lambda::client::Waiters as _;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Architecture, Environment, FunctionCode, Runtime};
use aws_sdk_lambda::waiters::function_updated_v2::WaitUntilFunctionUpdatedV2Error as WaitError;
use ipinsights_aws::AwsConfig;
use ipinsights_detect::lambda::env as lambda_env;
use ipinsights_sagemaker::WORKSHOP_TAG_KEY;
use ipinsights_security_logs::FindingScope;
use serde_json::{json, Value};

use crate::alerting::{self, alarm_name, failure_queue_name, table_name};
use crate::clients::{run, Clients};
use crate::error::{AccountError, Result};

/// The EventBridge pattern of the rule: every GuardDuty finding.
pub fn event_pattern() -> Value {
    json!({ "source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"] })
}

/// The actions the function's role allows (writing to its own log group, InvokeEndpoint on the endpoint, Publish on
/// the topic, PutItem and DeleteItem on its alert-state table, SendMessage to its on-failure queue), each with the
/// resource it applies to. The partition, region and account come from the topic's ARN (the one SNS gave), so the
/// policy is right in every partition.
pub fn role_policy(topic_arn: &str, function: &str, endpoint: &str) -> Result<Value> {
    let partition = partition_of(topic_arn)?;
    let mut fields = topic_arn.split(':').skip(3);
    let (region, account) = (fields.next().unwrap_or_default(), fields.next().unwrap_or_default());
    Ok(json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                // The log group is made by the deploy (with its retention), never by the function.
                "Sid": "WriteItsLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": format!("arn:{partition}:logs:{region}:{account}:log-group:{}:*", log_group_name(function)),
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
            {
                // The conditional write before each alert, and its removal when the alert could not be sent.
                "Sid": "RememberAlerts",
                "Effect": "Allow",
                "Action": ["dynamodb:PutItem", "dynamodb:DeleteItem"],
                "Resource": format!("arn:{partition}:dynamodb:{region}:{account}:table/{}", table_name(function)),
            },
            {
                // Lambda sends the events the function failed on with the function's role.
                "Sid": "KeepFailedEvents",
                "Effect": "Allow",
                "Action": ["sqs:SendMessage"],
                "Resource": format!("arn:{partition}:sqs:{region}:{account}:{}", failure_queue_name(function)),
            },
        ],
    }))
}

/// The function's CloudWatch log group, where Lambda writes its logs: `/aws/lambda/FUNCTION`.
pub fn log_group_name(function: &str) -> String {
    format!("/aws/lambda/{function}")
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
/// How long the function's logs are kept unless the spec says otherwise (days).
pub const DEFAULT_LOG_RETENTION_DAYS: i32 = 30;
/// The retention periods CloudWatch Logs accepts (days).
pub const LOG_RETENTION_DAYS: [i32; 22] =
    [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
/// How long each Lambda change may take to be applied before a deploy gives up, unless the spec says otherwise
/// (usually a few seconds; minutes for a function in a VPC).
pub const DEFAULT_UPDATE_WAIT: Duration = Duration::from_secs(300);
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
    /// How long the function's log group keeps its logs (days; one of [`LOG_RETENTION_DAYS`]).
    pub log_retention_days: i32,
    /// How long to wait for Lambda to apply each change (create, new code, new configuration) before giving up.
    pub update_wait: Duration,
    /// Whether the function scores archived and sample findings too (by default it skips and counts them).
    pub scope: FindingScope,
}

impl DetectorSpec {
    /// A detector named `ipinsights-detector` with 256 MB and 30 s, logs kept 30 days, 5 minutes for each Lambda
    /// change.
    pub fn new(endpoint_name: &str, threshold: f64, zip: &Path) -> DetectorSpec {
        DetectorSpec {
            name: DEFAULT_NAME.into(),
            endpoint_name: endpoint_name.into(),
            threshold,
            zip: zip.into(),
            email: None,
            memory_mb: 256,
            timeout_secs: 30,
            log_retention_days: DEFAULT_LOG_RETENTION_DAYS,
            update_wait: DEFAULT_UPDATE_WAIT,
            scope: FindingScope::default(),
        }
    }

    fn validate(&self) -> Result<()> {
        validate_name(&self.name)?;
        if !self.threshold.is_finite() {
            return Err(AccountError::InvalidInput(format!("threshold {} is not a finite number", self.threshold)));
        }
        ipinsights_sagemaker::validate_resource_name("endpoint", &self.endpoint_name)
            .map_err(|e| AccountError::InvalidInput(e.to_string()))?;
        if !LOG_RETENTION_DAYS.contains(&self.log_retention_days) {
            return Err(AccountError::InvalidInput(format!(
                "log retention of {} days: CloudWatch Logs keeps logs for one of {LOG_RETENTION_DAYS:?} days",
                self.log_retention_days
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
    /// The alert-state table (DynamoDB).
    pub alert_table: String,
    /// The on-failure queue (SQS) keeping the events the function failed on.
    pub queue_arn: String,
    /// The CloudWatch alarm on the function's errors.
    pub alarm: String,
}

impl fmt::Display for Deployment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "alert topic:   {}", self.topic_arn)?;
        if let Some(s) = &self.subscription {
            writeln!(f, "subscription:  {s}")?;
        }
        writeln!(f, "role:          {}", self.role_arn)?;
        writeln!(f, "function:      {}", self.function_arn)?;
        writeln!(f, "rule:          {}", self.rule_arn)?;
        writeln!(f, "alert state:   DynamoDB table {}", self.alert_table)?;
        writeln!(f, "failed events: {}", self.queue_arn)?;
        write!(f, "error alarm:   {}", self.alarm)
    }
}

/// Deploys (or updates) the detector; `log` gets one line per step.
///
/// Safe to run again at once (a rerun notebook cell): Lambda refuses a change to a function while the previous one is
/// still being applied (`State: Pending` after CreateFunction, `LastUpdateStatus: InProgress` after an update, a few
/// seconds), so every Lambda change is followed by the SDK's waiter, for at most [`DetectorSpec::update_wait`]. The
/// steps run in an order where nothing the running detector depends on changes before the function's own update (the
/// step most likely to fail): the role's policy is replaced after it. A failed step's error names the step and lists
/// what was already changed (`AccountError::Deploy`).
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

/// What a deploy or a teardown has changed so far, for the error of a later step.
#[derive(Default)]
struct Changes(Vec<String>);

impl Changes {
    fn note(&mut self, what: String) {
        self.0.push(what);
    }

    /// Replaces the last note (a piece changed again, e.g. a function's configuration after its code).
    fn amend(&mut self, what: String) {
        self.0.pop();
        self.0.push(what);
    }

    /// Wraps the error of `step` with what was changed before it.
    fn failed(&self, step: String) -> impl FnOnce(AccountError) -> AccountError {
        let changed = self.0.clone();
        move |e| AccountError::Deploy { step, changed, source: Box::new(e) }
    }
}

async fn deploy(clients: &Clients, spec: &DetectorSpec, zip: Vec<u8>, log: &mut dyn FnMut(&str)) -> Result<Deployment> {
    let name = spec.name.as_str();
    let (sns, iam, lambda, events, logs) =
        (clients.sns(), clients.iam(), clients.lambda(), clients.eventbridge(), clients.logs());
    let mut changes = Changes::default();

    // Read-only first: an existing function must have finished its last change before anything else is touched.
    let previous = match lambda.get_function_configuration().function_name(name).send().await {
        Ok(conf) => Some(conf),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => None,
        Err(e) => {
            return Err(changes.failed(format!("reading Lambda function {name}"))(AccountError::sdk(
                "GetFunctionConfiguration",
                e,
            )))
        }
    };
    if previous.is_some() {
        wait_until_applied(&lambda, name, spec.update_wait)
            .await
            .map_err(changes.failed(format!("waiting for Lambda function {name} to finish its previous change")))?;
    }

    let topic_arn = match find_topic(&sns, name).await.map_err(changes.failed("listing SNS topics".into()))? {
        Some(arn) => arn,
        None => {
            let tag = aws_sdk_sns::types::Tag::builder()
                .key(WORKSHOP_TAG_KEY)
                .value(name)
                .build()
                .map_err(|e| AccountError::InvalidInput(e.to_string()))?;
            let arn = sns
                .create_topic()
                .name(name)
                .tags(tag)
                .send()
                .await
                .map_err(|e| AccountError::sdk("CreateTopic", e))
                .map_err(changes.failed(format!("creating SNS topic {name}")))?
                .topic_arn()
                .unwrap_or_default()
                .to_string();
            changes.note(format!("created SNS topic {arn}"));
            arn
        }
    };
    log(&format!("SNS topic {topic_arn}"));
    let policy = role_policy(&topic_arn, name, &spec.endpoint_name)
        .map_err(changes.failed(format!("reading the ARN SNS gave topic {name}")))?;

    let group = log_group_name(name);
    ensure_log_group(&logs, &group, spec.log_retention_days, name, &mut changes).await.map_err(
        changes.failed(format!("creating log group {group} with a retention of {} days", spec.log_retention_days)),
    )?;
    log(&format!("log group {group} (kept {} days)", spec.log_retention_days));

    let tags = [(WORKSHOP_TAG_KEY.to_string(), name.to_string())];
    let queue = failure_queue_name(name);
    let queue_arn = alerting::ensure_queue(&clients.sqs(), &queue, &tags, log)
        .await
        .map_err(changes.failed(format!("creating SQS queue {queue} for failed events")))?;
    let table = table_name(name);
    if alerting::ensure_table(&clients.dynamodb(), &table, &tags, spec.update_wait)
        .await
        .map_err(changes.failed(format!("creating DynamoDB table {table} for the alert state")))?
    {
        changes.note(format!("created DynamoDB table {table}"));
    }
    log(&format!(
        "alert state in DynamoDB table {table} (one alert per finding, kept {} days); failed events to {queue_arn}",
        ipinsights_detect::lambda::alert_state::KEEP_DAYS
    ));

    let role_arn = match iam
        .create_role()
        .role_name(name)
        .assume_role_policy_document(assume_role_policy().to_string())
        .description("IP Insights detector: scores GuardDuty findings and publishes alerts")
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key(WORKSHOP_TAG_KEY)
                .value(name)
                .build()
                .map_err(|e| AccountError::InvalidInput(e.to_string()))?,
        )
        .send()
        .await
    {
        Ok(out) => {
            let arn = out.role().map(|r| r.arn().to_string()).unwrap_or_default();
            changes.note(format!("created IAM role {arn} (no policy yet)"));
            arn
        }
        Err(e) if e.as_service_error().is_some_and(|s| s.is_entity_already_exists_exception()) => iam
            .get_role()
            .role_name(name)
            .send()
            .await
            .map_err(|e| AccountError::sdk("GetRole", e))
            .map_err(changes.failed(format!("reading IAM role {name}")))?
            .role()
            .map(|r| r.arn().to_string())
            .unwrap_or_default(),
        Err(e) => return Err(changes.failed(format!("creating IAM role {name}"))(AccountError::sdk("CreateRole", e))),
    };

    let environment = Environment::builder()
        .variables(lambda_env::THRESHOLD, spec.threshold.to_string())
        .variables(lambda_env::ENDPOINT_NAME, &spec.endpoint_name)
        .variables(lambda_env::ALERT_TOPIC_ARN, &topic_arn)
        .variables(lambda_env::ALERT_TABLE, &table)
        .variables(lambda_env::INCLUDE_ARCHIVED, spec.scope.include_archived.to_string())
        .variables(lambda_env::INCLUDE_SAMPLES, spec.scope.include_samples.to_string())
        .build();
    let function_arn = match previous {
        None => create_function(&lambda, spec, &role_arn, zip, environment, &mut changes).await?,
        Some(previous) => update_function(&lambda, spec, &role_arn, zip, environment, &previous, &mut changes).await?,
    };

    // The policy follows the function: until here, the running function kept the permissions its configuration needs.
    iam.put_role_policy()
        .role_name(name)
        .policy_name(POLICY_NAME)
        .policy_document(policy.to_string())
        .send()
        .await
        .map_err(|e| AccountError::sdk("PutRolePolicy", e))
        .map_err(changes.failed(format!("attaching policy {POLICY_NAME} to role {name}")))?;
    changes.note(format!("set policy {POLICY_NAME} of role {name} (InvokeEndpoint on {})", spec.endpoint_name));
    log(&format!(
        "IAM role {role_arn} (InvokeEndpoint on {}, Publish on the topic, its logs, alert state, failed events)",
        spec.endpoint_name
    ));

    put_retries(&lambda, name, &queue_arn)
        .await
        .map_err(changes.failed(format!("limiting retries of function {name} and keeping its failed events")))?;
    changes.note(format!("set the retries of Lambda function {name} ({MAX_RETRY_ATTEMPTS}, then queue {queue})"));
    log(&format!("Lambda function {function_arn} ({LAMBDA_RUNTIME}, threshold {})", spec.threshold));

    let alarm = alarm_name(name);
    alerting::put_alarm(&clients.cloudwatch(), &alarm, name, &topic_arn, &tags)
        .await
        .map_err(changes.failed(format!("putting CloudWatch alarm {alarm} on the function's errors")))?;
    changes.note(format!("put CloudWatch alarm {alarm}"));
    log(&format!("CloudWatch alarm {alarm}: any error of the function notifies the alert topic"));

    let rule_arn = events
        .put_rule()
        .name(name)
        .event_pattern(event_pattern().to_string())
        .description("GuardDuty findings to the IP Insights detector")
        .state(aws_sdk_eventbridge::types::RuleState::Enabled)
        .tags(
            aws_sdk_eventbridge::types::Tag::builder()
                .key(WORKSHOP_TAG_KEY)
                .value(name)
                .build()
                .map_err(|e| AccountError::InvalidInput(e.to_string()))?,
        )
        .send()
        .await
        .map_err(|e| AccountError::sdk("PutRule", e))
        .map_err(changes.failed(format!("creating EventBridge rule {name}")))?
        .rule_arn()
        .unwrap_or_default()
        .to_string();
    changes.note(format!("put EventBridge rule {rule_arn}"));
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
        .map_err(changes.failed(format!("pointing rule {name} at the function")))?;
    if put.failed_entry_count() > 0 {
        let why: Vec<String> = put.failed_entries().iter().map(|e| format!("{:?}", e.error_message())).collect();
        return Err(changes.failed(format!("pointing rule {name} at the function"))(AccountError::InvalidInput(
            format!("PutTargets refused the function: {}", why.join(", ")),
        )));
    }
    changes.note(format!("pointed rule {name} at the function"));
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
        Ok(_) => changes.note(format!("let rule {name} invoke the function")),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_conflict_exception()) => {}
        Err(e) => {
            return Err(changes.failed(format!("letting rule {name} invoke the function"))(AccountError::sdk(
                "AddPermission",
                e,
            )))
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
                .map_err(changes.failed(format!("subscribing {email} to the alerts")))?;
            log(&format!("subscribed {email}: confirm with the link SNS e-mails you"));
            Some(out.subscription_arn().unwrap_or("pending confirmation").to_string())
        }
    };
    Ok(Deployment { topic_arn, subscription, role_arn, function_arn, rule_arn, alert_table: table, queue_arn, alarm })
}

/// The ARN of the account's topic named `name` in the client's region, if there is one (SNS has no lookup by name).
async fn find_topic(sns: &aws_sdk_sns::Client, name: &str) -> Result<Option<String>> {
    let mut pages = sns.list_topics().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AccountError::sdk("ListTopics", e))?;
        let found = page.topics().iter().filter_map(|t| t.topic_arn()).find(|arn| arn.rsplit(':').next() == Some(name));
        if let Some(arn) = found {
            return Ok(Some(arn.to_string()));
        }
    }
    Ok(None)
}

/// Creates the function's log group unless it exists (Lambda makes one without retention when the function first
/// logs) and gives it `days` of retention.
async fn ensure_log_group(
    logs: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    days: i32,
    tag: &str,
    changes: &mut Changes,
) -> Result<()> {
    let found = logs
        .describe_log_groups()
        .log_group_name_prefix(group)
        .send()
        .await
        .map_err(|e| AccountError::sdk("DescribeLogGroups", e))?;
    let existing = found.log_groups().iter().find(|g| g.log_group_name() == Some(group));
    match existing {
        Some(g) if g.retention_in_days() == Some(days) => return Ok(()),
        Some(_) => {}
        None => {
            logs.create_log_group()
                .log_group_name(group)
                .tags(WORKSHOP_TAG_KEY, tag)
                .send()
                .await
                .map_err(|e| AccountError::sdk("CreateLogGroup", e))?;
            changes.note(format!("created log group {group}"));
        }
    }
    logs.put_retention_policy()
        .log_group_name(group)
        .retention_in_days(days)
        .send()
        .await
        .map_err(|e| AccountError::sdk("PutRetentionPolicy", e))?;
    changes.note(format!("set the retention of log group {group} to {days} days"));
    Ok(())
}

/// Sets the function's asynchronous retries and its on-failure destination, the queue. Lambda checks that the
/// function's role may send to the queue, and the policy saying so was put a moment ago (IAM is eventually
/// consistent): that refusal is retried for up to a minute.
async fn put_retries(lambda: &aws_sdk_lambda::Client, name: &str, queue_arn: &str) -> Result<()> {
    let on_failure = aws_sdk_lambda::types::DestinationConfig::builder()
        .on_failure(aws_sdk_lambda::types::OnFailure::builder().destination(queue_arn).build())
        .build();
    let mut wait = Duration::from_secs(2);
    loop {
        let put = lambda
            .put_function_event_invoke_config()
            .function_name(name)
            .maximum_retry_attempts(MAX_RETRY_ATTEMPTS)
            .maximum_event_age_in_seconds(MAX_EVENT_AGE_SECS)
            .destination_config(on_failure.clone())
            .send()
            .await;
        match put {
            Ok(_) => return Ok(()),
            Err(e)
                if wait <= Duration::from_secs(32)
                    && e.as_service_error().is_some_and(|s| {
                        s.is_invalid_parameter_value_exception()
                            && s.meta().message().is_some_and(|m| m.contains("does not have permissions"))
                    }) =>
            {
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            Err(e) => return Err(AccountError::sdk("PutFunctionEventInvokeConfig", e)),
        }
    }
}

/// Creates the function and waits until it is `Active`. A role created a moment ago is not yet assumable by Lambda
/// (IAM is eventually consistent): that refusal is retried for up to a minute.
async fn create_function(
    lambda: &aws_sdk_lambda::Client,
    spec: &DetectorSpec,
    role_arn: &str,
    zip: Vec<u8>,
    environment: Environment,
    changes: &mut Changes,
) -> Result<String> {
    let name = spec.name.as_str();
    let mut wait = Duration::from_secs(2);
    let arn = loop {
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
            .tags(WORKSHOP_TAG_KEY, name)
            .send()
            .await;
        match created {
            Ok(out) => break out.function_arn().unwrap_or_default().to_string(),
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
            Err(e) => {
                return Err(changes.failed(format!("creating Lambda function {name}"))(AccountError::sdk(
                    "CreateFunction",
                    e,
                )))
            }
        }
    };
    changes.note(format!("created Lambda function {arn} (threshold {})", spec.threshold));
    wait_until_applied(lambda, name, spec.update_wait)
        .await
        .map_err(changes.failed(format!("waiting for the new Lambda function {name} to become Active")))?;
    Ok(arn)
}

/// Updates the code, then the configuration, of an existing function, waiting for Lambda to apply each change
/// before the next (Lambda refuses a change while `LastUpdateStatus` is `InProgress`).
async fn update_function(
    lambda: &aws_sdk_lambda::Client,
    spec: &DetectorSpec,
    role_arn: &str,
    zip: Vec<u8>,
    environment: Environment,
    previous: &aws_sdk_lambda::operation::get_function_configuration::GetFunctionConfigurationOutput,
    changes: &mut Changes,
) -> Result<String> {
    let name = spec.name.as_str();
    let previous_var = |key: &str| {
        previous.environment().and_then(|e| e.variables()).and_then(|v| v.get(key)).cloned().unwrap_or_default()
    };
    let (old_threshold, old_endpoint) = (previous_var(lambda_env::THRESHOLD), previous_var(lambda_env::ENDPOINT_NAME));
    lambda
        .update_function_code()
        .function_name(name)
        .zip_file(Blob::new(zip))
        .send()
        .await
        .map_err(|e| AccountError::sdk("UpdateFunctionCode", e))
        .map_err(changes.failed(format!("updating the code of Lambda function {name}")))?;
    changes.note(format!(
        "new code for Lambda function {name}, still with its previous configuration (threshold {old_threshold}, \
         endpoint {old_endpoint})"
    ));
    wait_until_applied(lambda, name, spec.update_wait)
        .await
        .map_err(changes.failed(format!("waiting for Lambda function {name} to apply its new code")))?;
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
        .map_err(changes.failed(format!("updating the configuration of Lambda function {name}")))?;
    changes.amend(format!(
        "new code and configuration for Lambda function {name} (threshold {}, endpoint {}; was {old_threshold}, \
         {old_endpoint})",
        spec.threshold, spec.endpoint_name
    ));
    wait_until_applied(lambda, name, spec.update_wait)
        .await
        .map_err(changes.failed(format!("waiting for Lambda function {name} to apply its new configuration")))?;
    Ok(out.function_arn().unwrap_or_default().to_string())
}

/// Waits, with the SDK's waiters, until the function has applied its last change: `State` `Active` (it is `Pending`
/// just after CreateFunction), then `LastUpdateStatus` `Successful` (`InProgress` just after an update); each wait
/// at most `bound`.
async fn wait_until_applied(lambda: &aws_sdk_lambda::Client, name: &str, bound: Duration) -> Result<()> {
    lambda
        .wait_until_function_active_v2()
        .function_name(name)
        .wait(bound)
        .await
        .map_err(|e| wait_error(name, "State", "Active", bound, e))?;
    lambda
        .wait_until_function_updated_v2()
        .function_name(name)
        .wait(bound)
        .await
        .map_err(|e| wait_error(name, "LastUpdateStatus", "Successful", bound, e))?;
    Ok(())
}

/// The error of a Lambda waiter: the bound passed, the function in a failed state (with Lambda's reason), or GetFunction
/// refused.
fn wait_error(name: &str, field: &str, wanted: &str, bound: Duration, err: WaitError) -> AccountError {
    match err {
        WaitError::ExceededMaxWait(_) => AccountError::NotReady(format!(
            "Lambda function {name} did not reach {field} {wanted} within {} s (GetFunction polled by the SDK's \
             waiter); Lambda may still be applying the change: deploy again in a minute, or give \
             DetectorSpec::update_wait more time",
            bound.as_secs_f64()
        )),
        WaitError::FailureState(failure) => {
            let conf = failure.final_poll().as_result().ok().and_then(|out| out.configuration());
            let (status, reason) = match conf {
                Some(c) if field == "State" => {
                    (c.state().map(|s| s.as_str().to_string()), c.state_reason().map(String::from))
                }
                Some(c) => (
                    c.last_update_status().map(|s| s.as_str().to_string()),
                    c.last_update_status_reason().map(String::from),
                ),
                None => (None, None),
            };
            AccountError::NotReady(format!(
                "Lambda function {name} ended with {field} {}: {}",
                status.as_deref().unwrap_or("Failed"),
                reason.as_deref().unwrap_or("Lambda gave no reason")
            ))
        }
        WaitError::OperationFailed(failed) => AccountError::sdk("GetFunction", failed.into_error()),
        other => AccountError::NotReady(format!(
            "waiting for Lambda function {name}: {}",
            aws_sdk_lambda::error::DisplayErrorContext(&other)
        )),
    }
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
    /// The function's log group (`/aws/lambda/NAME`, and the logs in it).
    pub log_group: bool,
    /// The alert-state table.
    pub table: bool,
    /// The on-failure queue (and the failed events in it).
    pub queue: bool,
    /// The alarm on the function's errors.
    pub alarm: bool,
}

impl fmt::Display for Teardown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let say = |done: bool| if done { "deleted" } else { "not found" };
        write!(
            f,
            "EventBridge rule {}, Lambda function {}, IAM role {}, SNS topic {}, log group {}, alert-state table {}, \
             failed-event queue {}, error alarm {}",
            say(self.rule),
            say(self.function),
            say(self.role),
            say(self.topic),
            say(self.log_group),
            say(self.table),
            say(self.queue),
            say(self.alarm)
        )
    }
}

/// Removes every piece [`deploy_detector`] creates under `name`, the function's log group included; pieces already
/// gone are reported, not errors.
pub fn teardown_detector(cfg: &AwsConfig, name: &str, log: &mut dyn FnMut(&str)) -> Result<Teardown> {
    validate_name(name)?;
    run(async {
        let clients = Clients::load(cfg).await?;
        teardown(&clients, name, log).await
    })
}

async fn teardown(clients: &Clients, name: &str, log: &mut dyn FnMut(&str)) -> Result<Teardown> {
    let (sns, iam, lambda, events, logs) =
        (clients.sns(), clients.iam(), clients.lambda(), clients.eventbridge(), clients.logs());
    let mut done = Teardown::default();
    let mut changes = Changes::default();
    let say = |done: bool| if done { "deleted" } else { "not found" };

    match events.remove_targets().rule(name).ids(TARGET_ID).send().await {
        Ok(_) => {}
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => {}
        Err(e) => {
            return Err(changes.failed(format!("removing the target of rule {name}"))(AccountError::sdk(
                "RemoveTargets",
                e,
            )))
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
                .map_err(changes.failed(format!("deleting rule {name}")))?;
            done.rule = true;
            changes.note(format!("deleted EventBridge rule {name}"));
        }
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => {}
        Err(e) => return Err(changes.failed(format!("reading rule {name}"))(AccountError::sdk("DescribeRule", e))),
    }
    log(&format!("EventBridge rule {name}: {}", say(done.rule)));

    match lambda.delete_function().function_name(name).send().await {
        Ok(_) => {
            done.function = true;
            changes.note(format!("deleted Lambda function {name}"));
        }
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => {}
        Err(e) => {
            return Err(changes.failed(format!("deleting function {name}"))(AccountError::sdk("DeleteFunction", e)))
        }
    }
    log(&format!("Lambda function {name}: {}", say(done.function)));

    let group = log_group_name(name);
    match logs.delete_log_group().log_group_name(&group).send().await {
        Ok(_) => {
            done.log_group = true;
            changes.note(format!("deleted log group {group}"));
        }
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => {}
        Err(e) => {
            return Err(changes.failed(format!("deleting log group {group}"))(AccountError::sdk("DeleteLogGroup", e)))
        }
    }
    log(&format!("log group {group}: {}", say(done.log_group)));

    let alarm = alarm_name(name);
    done.alarm = alerting::remove_alarm(&clients.cloudwatch(), &alarm)
        .await
        .map_err(changes.failed(format!("deleting CloudWatch alarm {alarm}")))?;
    if done.alarm {
        changes.note(format!("deleted CloudWatch alarm {alarm}"));
    }
    log(&format!("CloudWatch alarm {alarm}: {}", say(done.alarm)));
    let queue = failure_queue_name(name);
    done.queue = alerting::remove_queue(&clients.sqs(), &queue)
        .await
        .map_err(changes.failed(format!("deleting SQS queue {queue}")))?;
    if done.queue {
        changes.note(format!("deleted SQS queue {queue}"));
    }
    log(&format!("SQS queue {queue}: {}", say(done.queue)));
    let table = table_name(name);
    done.table = alerting::remove_table(&clients.dynamodb(), &table)
        .await
        .map_err(changes.failed(format!("deleting DynamoDB table {table}")))?;
    if done.table {
        changes.note(format!("deleted DynamoDB table {table}"));
    }
    log(&format!("DynamoDB table {table}: {}", say(done.table)));

    match iam.delete_role_policy().role_name(name).policy_name(POLICY_NAME).send().await {
        Ok(_) => changes.note(format!("deleted policy {POLICY_NAME} of role {name}")),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_entity_exception()) => {}
        Err(e) => {
            return Err(changes.failed(format!("deleting the policy of role {name}"))(AccountError::sdk(
                "DeleteRolePolicy",
                e,
            )))
        }
    }
    match iam.delete_role().role_name(name).send().await {
        Ok(_) => {
            done.role = true;
            changes.note(format!("deleted IAM role {name}"));
        }
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_entity_exception()) => {}
        Err(e) => return Err(changes.failed(format!("deleting role {name}"))(AccountError::sdk("DeleteRole", e))),
    }
    log(&format!("IAM role {name}: {}", say(done.role)));

    if let Some(arn) = find_topic(&sns, name).await.map_err(changes.failed("listing SNS topics".into()))? {
        sns.delete_topic()
            .topic_arn(&arn)
            .send()
            .await
            .map_err(|e| AccountError::sdk("DeleteTopic", e))
            .map_err(changes.failed(format!("deleting topic {arn}")))?;
        done.topic = true;
    }
    log(&format!("SNS topic {name}: {}", if done.topic { "deleted (with its subscriptions)" } else { "not found" }));
    Ok(done)
}

/// The partition (`aws`, `aws-cn`, `aws-us-gov`, `aws-iso`, `aws-iso-b`, `aws-eusc`, …) of an ARN
/// (`arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`): every ARN carries it, so no table of regions goes stale.
pub fn partition_of(arn: &str) -> Result<&str> {
    let mut parts = arn.splitn(6, ':');
    let (prefix, partition) = (parts.next(), parts.next());
    let well_formed = prefix == Some("arn")
        && parts.count() == 4
        && partition.is_some_and(|p| {
            p.starts_with("aws") && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
    match partition {
        Some(p) if well_formed => Ok(p),
        _ => Err(AccountError::InvalidInput(format!("{arn:?} is not an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:…)"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_scopes_each_action_to_its_resource() {
        let p = role_policy("arn:aws:sns:us-east-1:123456789012:det", "det", "IPInsights-EP").unwrap();
        let s = &p["Statement"];
        assert_eq!(s[1]["Resource"], "arn:aws:sagemaker:us-east-1:123456789012:endpoint/ipinsights-ep");
        assert_eq!(s[2]["Resource"], "arn:aws:sns:us-east-1:123456789012:det");
        assert_eq!(s[0]["Resource"], "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/det:*");
        assert_eq!(s[0]["Action"], json!(["logs:CreateLogStream", "logs:PutLogEvents"]), "the deploy makes the group");
        assert_eq!(s[3]["Action"], json!(["dynamodb:PutItem", "dynamodb:DeleteItem"]));
        assert_eq!(s[3]["Resource"], "arn:aws:dynamodb:us-east-1:123456789012:table/det");
        assert_eq!(s[4]["Action"], json!(["sqs:SendMessage"]));
        assert_eq!(s[4]["Resource"], "arn:aws:sqs:us-east-1:123456789012:det-failed");
        assert_eq!(s.as_array().unwrap().len(), 5, "nothing else");
    }

    #[test]
    fn the_partition_comes_from_the_arn_in_every_partition() {
        for (arn, partition) in [
            ("arn:aws:sns:us-east-1:123456789012:det", "aws"),
            ("arn:aws-cn:sns:cn-north-1:123456789012:det", "aws-cn"),
            ("arn:aws-us-gov:sns:us-gov-west-1:123456789012:det", "aws-us-gov"),
            ("arn:aws-iso:sns:us-iso-east-1:123456789012:det", "aws-iso"),
            ("arn:aws-iso-b:sns:us-isob-east-1:123456789012:det", "aws-iso-b"),
            ("arn:aws-iso-f:sns:us-isof-south-1:123456789012:det", "aws-iso-f"),
            ("arn:aws-eusc:sns:eusc-de-east-1:123456789012:det", "aws-eusc"),
            ("arn:aws:iam::123456789012:role/service-role/x", "aws"),
        ] {
            assert_eq!(partition_of(arn).unwrap(), partition, "{arn}");
        }
        for bad in ["", "arn", "arn:aws:sns", "urn:aws:sns:r:a:t", "arn::sns:r:a:t", "arn:AWS:sns:r:a:t"] {
            let err = partition_of(bad).unwrap_err().to_string();
            assert!(err.contains("is not an ARN"), "{bad:?}: {err}");
        }
        // Every resource of the policy is in the topic's partition, region and account.
        for (topic, partition, region) in [
            ("arn:aws-iso-b:sns:us-isob-east-1:111122223333:det", "aws-iso-b", "us-isob-east-1"),
            ("arn:aws-eusc:sns:eusc-de-east-1:111122223333:det", "aws-eusc", "eusc-de-east-1"),
        ] {
            let policy = role_policy(topic, "det", "ep").unwrap();
            for statement in policy["Statement"].as_array().unwrap() {
                let resource = statement["Resource"].as_str().unwrap();
                let fields: Vec<&str> = resource.split(':').collect();
                assert_eq!((fields[1], fields[3], fields[4]), (partition, region, "111122223333"), "{resource}");
            }
        }
        assert!(role_policy("not-an-arn", "det", "ep").is_err());
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
        spec.email = None;
        spec.log_retention_days = 31;
        assert!(spec.validate().unwrap_err().to_string().contains("log retention of 31 days"));
        spec.log_retention_days = 30;
        for bad in ["-ep", "ep-", "e_p", &"e".repeat(64)] {
            spec.endpoint_name = bad.into();
            assert!(spec.validate().is_err(), "{bad:?}");
        }
    }
}
