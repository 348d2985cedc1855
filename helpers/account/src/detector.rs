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
use aws_sdk_lambda::operation::get_function_configuration::GetFunctionConfigurationOutput as FunctionConfiguration;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Architecture, Environment, FunctionCode, Runtime};
use aws_sdk_lambda::waiters::function_updated_v2::WaitUntilFunctionUpdatedV2Error as WaitError;
use ipinsights_aws_calls::AwsConfig;
use ipinsights_detect::lambda::env as lambda_env;
use ipinsights_sagemaker_facts::WORKSHOP_TAG_KEY;
use ipinsights_security_logs::FindingScope;
use serde_json::{json, Value};

use crate::alerting::{self, alarm_name, failure_queue_name, table_name};
use crate::clients::{run, Clients};
use crate::error::{found_or_none, AccountError, Result};
use crate::refusals::{lambda_refusal, until_accepted};

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
        ipinsights_sagemaker_facts::validate_resource_name("endpoint", &self.endpoint_name)
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
pub fn deploy(cfg: &AwsConfig, spec: &DetectorSpec, log: &mut dyn FnMut(&str)) -> Result<Deployment> {
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
        deploy_with(&clients, spec, zip, log).await
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

async fn deploy_with(
    clients: &Clients,
    spec: &DetectorSpec,
    zip: Vec<u8>,
    log: &mut dyn FnMut(&str),
) -> Result<Deployment> {
    let mut at = Deploy { steps: Steps::new(clients, &spec.name, log), spec };
    // Read-only first: an existing function must have finished its last change before anything else is touched.
    let previous = at.previous_function().await?;
    let topic_arn = at.topic().await?;
    let policy = role_policy(&topic_arn, &spec.name, &spec.endpoint_name)
        .map_err(at.steps.failed(format!("reading the ARN SNS gave topic {}", spec.name)))?;
    at.log_group().await?;
    let queue_arn = at.queue().await?;
    let alert_table = at.table(&queue_arn).await?;
    let role_arn = at.role().await?;
    let function_arn = at.function(previous, zip, &role_arn, &topic_arn, &alert_table).await?;
    // The policy follows the function: until here, the running function kept the permissions its configuration needs.
    at.policy(&policy, &role_arn).await?;
    at.retries(&queue_arn, &function_arn).await?;
    let alarm = at.alarm(&topic_arn).await?;
    let rule_arn = at.rule().await?;
    at.target(&function_arn).await?;
    at.permission(&rule_arn).await?;
    let subscription = at.subscription(&topic_arn).await?;
    Ok(Deployment { topic_arn, subscription, role_arn, function_arn, rule_arn, alert_table, queue_arn, alarm })
}

/// A deploy or a teardown in progress: the clients, the detector's name, what was changed so far, and the log.
struct Steps<'a> {
    clients: &'a Clients,
    name: &'a str,
    changes: Changes,
    log: &'a mut dyn FnMut(&str),
}

impl<'a> Steps<'a> {
    fn new(clients: &'a Clients, name: &'a str, log: &'a mut dyn FnMut(&str)) -> Steps<'a> {
        Steps { clients, name, changes: Changes::default(), log }
    }

    /// Wraps the error of `step` with what was changed before it.
    fn failed(&self, step: String) -> impl FnOnce(AccountError) -> AccountError {
        self.changes.failed(step)
    }

    /// Notes a change made in the account.
    fn note(&mut self, what: String) {
        self.changes.note(what);
    }

    /// One line to the log.
    fn log(&mut self, line: &str) {
        (self.log)(line);
    }

    /// Notes and logs the removal of `what` (`removed` false: it was not there); returns `removed`.
    fn removed(&mut self, what: &str, removed: bool) -> bool {
        if removed {
            self.note(format!("deleted {what}"));
        }
        self.log(&format!("{what}: {}", if removed { "deleted" } else { "not found" }));
        removed
    }
}

/// The workshop tag ([`WORKSHOP_TAG_KEY`] = the detector's name) in the `Tag` type of the SDK crate `$krate`.
macro_rules! workshop_tag {
    ($krate:ident, $name:expr) => {
        $krate::types::Tag::builder()
            .key(WORKSHOP_TAG_KEY)
            .value($name)
            .build()
            .map_err(|e| AccountError::InvalidInput(e.to_string()))
    };
}

/// A deploy in progress: one method per piece of the detector, in the order [`deploy`] calls them.
struct Deploy<'a> {
    steps: Steps<'a>,
    spec: &'a DetectorSpec,
}

impl Deploy<'_> {
    /// The function's configuration if it exists, once its previous change is applied.
    async fn previous_function(&mut self) -> Result<Option<FunctionConfiguration>> {
        let (lambda, name) = (self.steps.clients.lambda(), self.steps.name);
        let previous = found_or_none(
            "GetFunctionConfiguration",
            lambda.get_function_configuration().function_name(name).send().await,
            |s| s.is_resource_not_found_exception(),
        )
        .map_err(self.steps.failed(format!("reading Lambda function {name}")))?;
        if previous.is_some() {
            wait_until_applied(&lambda, name, self.spec.update_wait).await.map_err(
                self.steps.failed(format!("waiting for Lambda function {name} to finish its previous change")),
            )?;
        }
        Ok(previous)
    }

    /// The alert topic: found by name, else created.
    async fn topic(&mut self) -> Result<String> {
        let (sns, name) = (self.steps.clients.sns(), self.steps.name);
        let found = find_topic(&sns, name).await.map_err(self.steps.failed("listing SNS topics".into()))?;
        let arn = match found {
            Some(arn) => arn,
            None => {
                let arn = sns
                    .create_topic()
                    .name(name)
                    .tags(workshop_tag!(aws_sdk_sns, name)?)
                    .send()
                    .await
                    .map_err(|e| AccountError::sdk("CreateTopic", e))
                    .map_err(self.steps.failed(format!("creating SNS topic {name}")))?
                    .topic_arn()
                    .unwrap_or_default()
                    .to_string();
                self.steps.note(format!("created SNS topic {arn}"));
                arn
            }
        };
        self.steps.log(&format!("SNS topic {arn}"));
        Ok(arn)
    }

    /// The function's log group, with the spec's retention.
    async fn log_group(&mut self) -> Result<()> {
        let (group, days) = (log_group_name(self.steps.name), self.spec.log_retention_days);
        let logs = self.steps.clients.logs();
        ensure_log_group(&logs, &group, days, self.steps.name, &mut self.steps.changes)
            .await
            .map_err(self.steps.failed(format!("creating log group {group} with a retention of {days} days")))?;
        self.steps.log(&format!("log group {group} (kept {days} days)"));
        Ok(())
    }

    /// The on-failure queue; returns its ARN.
    async fn queue(&mut self) -> Result<String> {
        let queue = failure_queue_name(self.steps.name);
        let (sqs, tags) = (self.steps.clients.sqs(), self.tags());
        alerting::ensure_queue(&sqs, &queue, &tags, self.steps.log)
            .await
            .map_err(self.steps.failed(format!("creating SQS queue {queue} for failed events")))
    }

    /// The alert-state table; returns its name.
    async fn table(&mut self, queue_arn: &str) -> Result<String> {
        let table = table_name(self.steps.name);
        let created =
            alerting::ensure_table(&self.steps.clients.dynamodb(), &table, &self.tags(), self.spec.update_wait)
                .await
                .map_err(self.steps.failed(format!("creating DynamoDB table {table} for the alert state")))?;
        if created {
            self.steps.note(format!("created DynamoDB table {table}"));
        }
        self.steps.log(&format!(
            "alert state in DynamoDB table {table} (one alert per finding, kept {} days); failed events to {queue_arn}",
            ipinsights_detect::lambda::alert_state::KEEP_DAYS
        ));
        Ok(table)
    }

    /// The function's role (without its policy yet): created, else the existing one; returns its ARN.
    async fn role(&mut self) -> Result<String> {
        let (iam, name) = (self.steps.clients.iam(), self.steps.name);
        let created = iam
            .create_role()
            .role_name(name)
            .assume_role_policy_document(assume_role_policy().to_string())
            .description("IP Insights detector: scores GuardDuty findings and publishes alerts")
            .tags(workshop_tag!(aws_sdk_iam, name)?)
            .send()
            .await;
        let created = found_or_none("CreateRole", created, |s| s.is_entity_already_exists_exception())
            .map_err(self.steps.failed(format!("creating IAM role {name}")))?;
        if let Some(out) = created {
            let arn = out.role().map(|r| r.arn().to_string()).unwrap_or_default();
            self.steps.note(format!("created IAM role {arn} (no policy yet)"));
            return Ok(arn);
        }
        let existing = iam
            .get_role()
            .role_name(name)
            .send()
            .await
            .map_err(|e| AccountError::sdk("GetRole", e))
            .map_err(self.steps.failed(format!("reading IAM role {name}")))?;
        Ok(existing.role().map(|r| r.arn().to_string()).unwrap_or_default())
    }

    /// The function with the spec's code and configuration: created, or the `previous` one updated; returns its ARN.
    async fn function(
        &mut self,
        previous: Option<FunctionConfiguration>,
        zip: Vec<u8>,
        role_arn: &str,
        topic_arn: &str,
        table: &str,
    ) -> Result<String> {
        let spec = self.spec;
        let environment = Environment::builder()
            .variables(lambda_env::THRESHOLD, spec.threshold.to_string())
            .variables(lambda_env::ENDPOINT_NAME, &spec.endpoint_name)
            .variables(lambda_env::ALERT_TOPIC_ARN, topic_arn)
            .variables(lambda_env::ALERT_TABLE, table)
            .variables(lambda_env::INCLUDE_ARCHIVED, spec.scope.include_archived.to_string())
            .variables(lambda_env::INCLUDE_SAMPLES, spec.scope.include_samples.to_string())
            .build();
        let (lambda, changes) = (self.steps.clients.lambda(), &mut self.steps.changes);
        match previous {
            None => create_function(&lambda, spec, role_arn, zip, environment, changes).await,
            Some(previous) => update_function(&lambda, spec, role_arn, zip, environment, &previous, changes).await,
        }
    }

    /// The role's inline policy.
    async fn policy(&mut self, policy: &Value, role_arn: &str) -> Result<()> {
        let (name, endpoint) = (self.steps.name, &self.spec.endpoint_name);
        self.steps
            .clients
            .iam()
            .put_role_policy()
            .role_name(name)
            .policy_name(POLICY_NAME)
            .policy_document(policy.to_string())
            .send()
            .await
            .map_err(|e| AccountError::sdk("PutRolePolicy", e))
            .map_err(self.steps.failed(format!("attaching policy {POLICY_NAME} to role {name}")))?;
        self.steps.note(format!("set policy {POLICY_NAME} of role {name} (InvokeEndpoint on {endpoint})"));
        self.steps.log(&format!(
            "IAM role {role_arn} (InvokeEndpoint on {endpoint}, Publish on the topic, its logs, alert state, failed \
             events)"
        ));
        Ok(())
    }

    /// The function's bounded retries and its on-failure destination, the queue.
    async fn retries(&mut self, queue_arn: &str, function_arn: &str) -> Result<()> {
        let name = self.steps.name;
        put_retries(&self.steps.clients.lambda(), name, queue_arn)
            .await
            .map_err(self.steps.failed(format!("limiting retries of function {name} and keeping its failed events")))?;
        let queue = failure_queue_name(name);
        self.steps
            .note(format!("set the retries of Lambda function {name} ({MAX_RETRY_ATTEMPTS}, then queue {queue})"));
        self.steps
            .log(&format!("Lambda function {function_arn} ({LAMBDA_RUNTIME}, threshold {})", self.spec.threshold));
        Ok(())
    }

    /// The alarm on the function's errors, notifying the topic; returns its name.
    async fn alarm(&mut self, topic_arn: &str) -> Result<String> {
        let (name, alarm) = (self.steps.name, alarm_name(self.steps.name));
        alerting::put_alarm(&self.steps.clients.cloudwatch(), &alarm, name, topic_arn, &self.tags())
            .await
            .map_err(self.steps.failed(format!("putting CloudWatch alarm {alarm} on the function's errors")))?;
        self.steps.note(format!("put CloudWatch alarm {alarm}"));
        self.steps.log(&format!("CloudWatch alarm {alarm}: any error of the function notifies the alert topic"));
        Ok(alarm)
    }

    /// The EventBridge rule matching every GuardDuty finding; returns its ARN.
    async fn rule(&mut self) -> Result<String> {
        let name = self.steps.name;
        let arn = self
            .steps
            .clients
            .eventbridge()
            .put_rule()
            .name(name)
            .event_pattern(event_pattern().to_string())
            .description("GuardDuty findings to the IP Insights detector")
            .state(aws_sdk_eventbridge::types::RuleState::Enabled)
            .tags(workshop_tag!(aws_sdk_eventbridge, name)?)
            .send()
            .await
            .map_err(|e| AccountError::sdk("PutRule", e))
            .map_err(self.steps.failed(format!("creating EventBridge rule {name}")))?
            .rule_arn()
            .unwrap_or_default()
            .to_string();
        self.steps.note(format!("put EventBridge rule {arn}"));
        Ok(arn)
    }

    /// The rule's target: the function.
    async fn target(&mut self, function_arn: &str) -> Result<()> {
        let name = self.steps.name;
        let step = format!("pointing rule {name} at the function");
        let target = aws_sdk_eventbridge::types::Target::builder()
            .id(TARGET_ID)
            .arn(function_arn)
            .build()
            .map_err(|e| AccountError::InvalidInput(e.to_string()))?;
        let put = self
            .steps
            .clients
            .eventbridge()
            .put_targets()
            .rule(name)
            .targets(target)
            .send()
            .await
            .map_err(|e| AccountError::sdk("PutTargets", e))
            .map_err(self.steps.failed(step.clone()))?;
        if put.failed_entry_count() > 0 {
            let why: Vec<String> = put.failed_entries().iter().map(|e| format!("{:?}", e.error_message())).collect();
            let refused = format!("PutTargets refused the function: {}", why.join(", "));
            return Err(self.steps.failed(step)(AccountError::InvalidInput(refused)));
        }
        self.steps.note(format!("pointed rule {name} at the function"));
        Ok(())
    }

    /// The function's permission letting the rule invoke it (kept when it is already there).
    async fn permission(&mut self, rule_arn: &str) -> Result<()> {
        let name = self.steps.name;
        let added = self
            .steps
            .clients
            .lambda()
            .add_permission()
            .function_name(name)
            .statement_id(PERMISSION_ID)
            .action("lambda:InvokeFunction")
            .principal("events.amazonaws.com")
            .source_arn(rule_arn)
            .send()
            .await;
        let added = found_or_none("AddPermission", added, |s| s.is_resource_conflict_exception())
            .map_err(self.steps.failed(format!("letting rule {name} invoke the function")))?;
        if added.is_some() {
            self.steps.note(format!("let rule {name} invoke the function"));
        }
        self.steps.log(&format!("EventBridge rule {rule_arn} (every GuardDuty finding)"));
        Ok(())
    }

    /// The spec's e-mail subscription to the topic, if any; returns its ARN (`pending confirmation` until confirmed).
    async fn subscription(&mut self, topic_arn: &str) -> Result<Option<String>> {
        let Some(email) = &self.spec.email else { return Ok(None) };
        let out = self
            .steps
            .clients
            .sns()
            .subscribe()
            .topic_arn(topic_arn)
            .protocol("email")
            .endpoint(email)
            .send()
            .await
            .map_err(|e| AccountError::sdk("Subscribe", e))
            .map_err(self.steps.failed(format!("subscribing {email} to the alerts")))?;
        self.steps.log(&format!("subscribed {email}: confirm with the link SNS e-mails you"));
        Ok(Some(out.subscription_arn().unwrap_or("pending confirmation").to_string()))
    }

    /// The tags of every piece.
    fn tags(&self) -> [(String, String); 1] {
        [(WORKSHOP_TAG_KEY.to_string(), self.steps.name.to_string())]
    }
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
    let put = until_accepted(
        || {
            lambda
                .put_function_event_invoke_config()
                .function_name(name)
                .maximum_retry_attempts(MAX_RETRY_ATTEMPTS)
                .maximum_event_age_in_seconds(MAX_EVENT_AGE_SECS)
                .destination_config(on_failure.clone())
                .send()
        },
        lambda_refusal("does not have permissions"),
        |_| {},
    );
    put.await.map_err(|e| AccountError::sdk("PutFunctionEventInvokeConfig", e))?;
    Ok(())
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
    let created = until_accepted(
        || {
            lambda
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
                .description(
                    "IP Insights: scores GuardDuty findings on a SageMaker endpoint and publishes alerts to SNS",
                )
                .tags(WORKSHOP_TAG_KEY, name)
                .send()
        },
        lambda_refusal("cannot be assumed"),
        |_| {},
    );
    let arn = created
        .await
        .map_err(|e| AccountError::sdk("CreateFunction", e))
        .map_err(changes.failed(format!("creating Lambda function {name}")))?
        .function_arn()
        .unwrap_or_default()
        .to_string();
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
    previous: &FunctionConfiguration,
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

/// Removes every piece [`deploy`] creates under `name`, the function's log group included; pieces already
/// gone are reported, not errors.
pub fn teardown(cfg: &AwsConfig, name: &str, log: &mut dyn FnMut(&str)) -> Result<Teardown> {
    validate_name(name)?;
    run(async {
        let clients = Clients::load(cfg).await?;
        teardown_with(&clients, name, log).await
    })
}

async fn teardown_with(clients: &Clients, name: &str, log: &mut dyn FnMut(&str)) -> Result<Teardown> {
    let mut at = Steps::new(clients, name, log);
    let (group, alarm, queue, table) =
        (log_group_name(name), alarm_name(name), failure_queue_name(name), table_name(name));
    let mut done = Teardown::default();
    let removed = remove_rule(&at).await?;
    done.rule = at.removed(&format!("EventBridge rule {name}"), removed);
    let removed = remove_function(&at).await?;
    done.function = at.removed(&format!("Lambda function {name}"), removed);
    let removed = remove_log_group(&at, &group).await?;
    done.log_group = at.removed(&format!("log group {group}"), removed);
    let removed = alerting::remove_alarm(&clients.cloudwatch(), &alarm).await;
    let removed = removed.map_err(at.failed(format!("deleting CloudWatch alarm {alarm}")))?;
    done.alarm = at.removed(&format!("CloudWatch alarm {alarm}"), removed);
    let removed = alerting::remove_queue(&clients.sqs(), &queue).await;
    let removed = removed.map_err(at.failed(format!("deleting SQS queue {queue}")))?;
    done.queue = at.removed(&format!("SQS queue {queue}"), removed);
    let removed = alerting::remove_table(&clients.dynamodb(), &table).await;
    let removed = removed.map_err(at.failed(format!("deleting DynamoDB table {table}")))?;
    done.table = at.removed(&format!("DynamoDB table {table}"), removed);
    let removed = remove_role(&mut at).await?;
    done.role = at.removed(&format!("IAM role {name}"), removed);
    done.topic = remove_topic(&at).await?;
    at.log(&format!("SNS topic {name}: {}", if done.topic { "deleted (with its subscriptions)" } else { "not found" }));
    Ok(done)
}

/// Removes the rule's target, then the rule; false when the rule was not there.
async fn remove_rule(at: &Steps<'_>) -> Result<bool> {
    let (events, name) = (at.clients.eventbridge(), at.name);
    let removed = events.remove_targets().rule(name).ids(TARGET_ID).send().await;
    found_or_none("RemoveTargets", removed, |s| s.is_resource_not_found_exception())
        .map_err(at.failed(format!("removing the target of rule {name}")))?;
    let found = events.describe_rule().name(name).send().await;
    let found = found_or_none("DescribeRule", found, |s| s.is_resource_not_found_exception())
        .map_err(at.failed(format!("reading rule {name}")))?;
    if found.is_some() {
        events
            .delete_rule()
            .name(name)
            .send()
            .await
            .map_err(|e| AccountError::sdk("DeleteRule", e))
            .map_err(at.failed(format!("deleting rule {name}")))?;
    }
    Ok(found.is_some())
}

/// Removes the function; false when it was not there.
async fn remove_function(at: &Steps<'_>) -> Result<bool> {
    let deleted = at.clients.lambda().delete_function().function_name(at.name).send().await;
    let deleted = found_or_none("DeleteFunction", deleted, |s| s.is_resource_not_found_exception())
        .map_err(at.failed(format!("deleting function {}", at.name)))?;
    Ok(deleted.is_some())
}

/// Removes the function's log group (and the logs in it); false when it was not there.
async fn remove_log_group(at: &Steps<'_>, group: &str) -> Result<bool> {
    let deleted = at.clients.logs().delete_log_group().log_group_name(group).send().await;
    let deleted = found_or_none("DeleteLogGroup", deleted, |s| s.is_resource_not_found_exception())
        .map_err(at.failed(format!("deleting log group {group}")))?;
    Ok(deleted.is_some())
}

/// Removes the role's inline policy, then the role; false when the role was not there.
async fn remove_role(at: &mut Steps<'_>) -> Result<bool> {
    let (iam, name) = (at.clients.iam(), at.name);
    let deleted = iam.delete_role_policy().role_name(name).policy_name(POLICY_NAME).send().await;
    let deleted = found_or_none("DeleteRolePolicy", deleted, |s| s.is_no_such_entity_exception())
        .map_err(at.failed(format!("deleting the policy of role {name}")))?;
    if deleted.is_some() {
        at.note(format!("deleted policy {POLICY_NAME} of role {name}"));
    }
    let deleted = iam.delete_role().role_name(name).send().await;
    let deleted = found_or_none("DeleteRole", deleted, |s| s.is_no_such_entity_exception())
        .map_err(at.failed(format!("deleting role {name}")))?;
    Ok(deleted.is_some())
}

/// Removes the topic (and its subscriptions); false when it was not there.
async fn remove_topic(at: &Steps<'_>) -> Result<bool> {
    let sns = at.clients.sns();
    let Some(arn) = find_topic(&sns, at.name).await.map_err(at.failed("listing SNS topics".into()))? else {
        return Ok(false);
    };
    sns.delete_topic()
        .topic_arn(&arn)
        .send()
        .await
        .map_err(|e| AccountError::sdk("DeleteTopic", e))
        .map_err(at.failed(format!("deleting topic {arn}")))?;
    Ok(true)
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
