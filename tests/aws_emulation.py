"""An AWS account on loopback for the notebooks' AWS variant: moto for S3, SageMaker, SageMaker Runtime and
CloudWatch Logs, plus the one thing moto cannot do, running the algorithm container.

moto records training jobs and endpoints but runs nothing: a job is "Completed" the moment it is created and an
endpoint answers InvokeEndpoint with canned data. SageMaker itself runs the algorithm's container for both, so this
harness does the same with our release-built `ipinsights` binary, wired into moto at the points where SageMaker
would start a container:

- CreateTrainingJob: fetch the job's channels from (moto's) S3, run `ipinsights train` with the job's
  hyperparameters, write its log to CloudWatch Logs (`/aws/sagemaker/TrainingJobs`, stream `<job>/algo-1-<ts>`),
  upload `model.tar.gz` to the job's S3ModelArtifacts and record the status transitions and times; the outcome and
  the FailureReason come from the job's events (`--events`, the process contract of `ipinsights-contract`);
- CreateEndpoint: fetch the model's `ModelDataUrl` from S3 and start `ipinsights serve` on it;
- InvokeEndpoint: forward the body, Content-Type and Accept to that server's `/invocations`, like SageMaker's
  front end does (a container error comes back as ModelError, HTTP 424; an answer over 6 MiB is refused);
- CreateTransformJob: fetch the input objects and the model's artifact, run `ipinsights transform`, upload every
  `<input>.out` under the output path and record the outcome (log in `/aws/sagemaker/TransformJobs`);
- DeleteEndpoint: stop the server.

SageMaker's checks moto leaves out are made too: CreateTrainingJob, CreateModel and CreateTransformJob refuse an
execution role of this account whose trust policy does not let `sagemaker.amazonaws.com` assume it, with
SageMaker's `ValidationException: Could not assume role …`. The account holds two roles: the notebooks' execution
role (`EXECUTION_ROLE_ARN`, trusting SageMaker) and an IAM Identity Center role (`SSO_ROLE_ARN`, trusting SAML
federation only, as `AWSReservedSSO_…` roles do). A role ARN IAM does not know is let through (tests pass made-up
ARNs; real SageMaker would refuse those too).

Service Quotas (moto knows only VPC's) answers ListServiceQuotas and GetServiceQuota for `sagemaker` from
`SAGEMAKER_QUOTAS`: "<type> for training job usage" / "for endpoint usage" / "for transform job usage" for a few
types, ml.m4.xlarge at 0 as in the regions that have no M4 instances; `--quota NAME=VALUE` changes one, and
`--quotas-denied` answers every Service Quotas call with AccessDeniedException, as for a user without
`servicequotas:ListServiceQuotas`. CreateTrainingJob on a type whose training quota is 0 fails with SageMaker's
ResourceLimitExceeded.

Endpoints behave as SageMaker's do while they start: DescribeEndpoint answers ThrottlingException the first
`DESCRIBE_THROTTLES` times it is asked about a new endpoint (SageMaker throttles Describe* calls at a few per second
per account, which a room of attendees polling every few seconds reaches), then `Creating` for `CREATING_POLLS`
more answers, then `InService`. Tags (the workshop's `ipinsights-workshop` on every resource) are moto's: ListTags
answers them for training jobs, models, endpoint configs, endpoints and transform jobs, as SageMaker does.

SageMaker throttles an account that calls an API faster than its rate allows, answering ThrottlingException
("Rate exceeded") until the rate drops; `--throttle OPERATION` (e.g. `ListEndpoints`, repeatable) makes every call of
that SageMaker operation answer so, for as long as the account runs, so the SDK's retries give up and the caller
sees the throttling error.

The algorithm runs as strict as SageMaker's IP Insights container: IPv4 only (`--ipv4-only`), so an IPv6 address in
a training channel fails the job and one in an inference request or a transform record is refused.

Everything else (request parsing, validation, resource bookkeeping, the wire protocols) is moto's.
"""
import json
import logging
import os
import shutil
import subprocess
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone

import boto3
from botocore.config import Config
from moto.iam.models import iam_backends
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse
from moto.core.exceptions import JsonRESTError
from moto.server import ThreadedMotoServer
from moto.servicequotas.responses import ServiceQuotasResponse

REGION = "us-east-1"
ACCOUNT = "123456789012"
LOG_GROUP = "/aws/sagemaker/TrainingJobs"
TRANSFORM_LOG_GROUP = "/aws/sagemaker/TransformJobs"
# SageMaker's InvokeEndpoint response limit (6 MiB).
MAX_RESPONSE_BYTES = 6 * 1024 * 1024
# The notebooks' execution role (trusts SageMaker) and the role of an IAM Identity Center sign-in (does not).
EXECUTION_ROLE = ("/service-role/", "AmazonSageMaker-ExecutionRole-Workshop")
SSO_ROLE = ("/aws-reserved/sso.amazonaws.com/", "AWSReservedSSO_AdministratorAccess_0123456789abcdef")
EXECUTION_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role{EXECUTION_ROLE[0]}{EXECUTION_ROLE[1]}"
SSO_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role{SSO_ROLE[0]}{SSO_ROLE[1]}"
SAGEMAKER_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
SSO_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow",
     "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:saml-provider/AWSSSO_0123456789abcdef_DO_NOT_DELETE"},
     "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
     "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]}
# SageMaker's instance quotas in this account's region, by quota name (0: the type is not available here).
QUOTA_USES = ("training job usage", "endpoint usage", "transform job usage")
SAGEMAKER_QUOTAS = {f"{t} for {use}": (0.0 if t == "ml.m4.xlarge" else 20.0)
                    for t in ("ml.c5.xlarge", "ml.m4.xlarge", "ml.m5.large", "ml.m5.xlarge") for use in QUOTA_USES}
# Whether Service Quotas refuses every call (a user without servicequotas:* permissions).
QUOTAS_DENIED = {"denied": False}
# DescribeEndpoint of a new endpoint: how many answers are ThrottlingException (one more than the SDK's default 3
# attempts can absorb), then how many say Creating before InService.
DESCRIBE_THROTTLES = 3
CREATING_POLLS = 3
# SageMaker operations (e.g. "ListEndpoints") every call of which answers ThrottlingException (`--throttle`).
THROTTLED = set()
# DescribeEndpoint calls so far, by endpoint (reset when it is created again).
DESCRIBES = {}
# The version of the process contract (helpers/contract) whose records and events this harness reads.
CONTRACT_VERSION = 2


def contract_object(text, what):
    """One JSON object of the process contract, refused unless it speaks the version this harness reads."""
    value = json.loads(text)
    if value.get("version") != CONTRACT_VERSION:
        raise RuntimeError(f"{what} speaks version {value.get('version')!r} of the ipinsights process contract, "
                           f"this harness reads version {CONTRACT_VERSION}: rebuild the binary")
    return value


def final_event(path):
    """The last event of a job's events file (`completed` or `failed`), or None if it wrote none."""
    try:
        with open(path) as f:
            lines = [line for line in f if line.strip()]
    except FileNotFoundError:
        return None
    events = [contract_object(line, f"{path}, line {i + 1}") for i, line in enumerate(lines)]
    return events[-1] if events and events[-1]["event"] in ("completed", "failed") else None


def run_algorithm(args, events, lines):
    """Runs the algorithm process `args`, appending its log lines (time, text) to `lines`; raises SageMaker's
    AlgorithmError when it fails or ends without reporting its outcome in the `events` file; else its last event."""
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in process.stdout:
        lines.append((time.time(), line.rstrip("\n")))
    code = process.wait()
    outcome = final_event(events)
    if outcome is None:
        raise RuntimeError(f"AlgorithmError: the algorithm exited with {code} without reporting an outcome")
    if outcome["event"] == "failed" or code != 0:
        raise RuntimeError(f"AlgorithmError: {outcome.get('reason', f'the algorithm exited with {code}')}")
    return outcome


def snake_case(operation):
    """`ListEndpoints` → `list_endpoints`: moto's method name for a SageMaker operation."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")


def throttle(operations):
    """Makes every call of these SageMaker operations answer ThrottlingException; returns what to restore."""
    saved = {}
    for operation in operations:
        method = snake_case(operation)
        if not hasattr(SageMakerResponse, method):
            raise SystemExit(f"--throttle {operation}: not a SageMaker operation moto answers")
        saved[method] = getattr(SageMakerResponse, method)

        def refused(response):
            raise JsonRESTError("ThrottlingException", "Rate exceeded")
        setattr(SageMakerResponse, method, refused)
    return saved


def listed(value):
    return value if isinstance(value, list) else [value]


def check_sagemaker_can_assume(role_arn):
    """SageMaker's check of an execution role: refused with its ValidationException when IAM knows the role and its
    trust policy has no Allow of sts:AssumeRole for sagemaker.amazonaws.com."""
    name = (role_arn or "").rsplit("/", 1)[-1]
    role = next((r for r in iam_backends[ACCOUNT]["aws"].roles.values() if r.name == name), None)
    if role is None:
        return
    policy = role.assume_role_policy_document
    policy = json.loads(urllib.parse.unquote(policy) if isinstance(policy, str) else json.dumps(policy))
    for statement in listed(policy.get("Statement", [])):
        services = listed((statement.get("Principal") or {}).get("Service", []))
        actions = [a.lower() for a in listed(statement.get("Action", []))]
        if statement.get("Effect") == "Allow" and "sagemaker.amazonaws.com" in services and (
                "sts:assumerole" in actions or "sts:*" in actions or "*" in actions):
            return
    raise ValidationError(message=f"Could not assume role {role_arn}. Please ensure that the role exists and allows "
                                  "principal 'sagemaker.amazonaws.com' to assume the role.")


def sagemaker_quota_list():
    """The `sagemaker` quotas as Service Quotas lists them, in name order, with stable codes."""
    return [{"ServiceCode": "sagemaker", "ServiceName": "Amazon SageMaker",
             "QuotaArn": f"arn:aws:servicequotas:{REGION}:{ACCOUNT}:sagemaker/L-{i:08X}", "QuotaCode": f"L-{i:08X}",
             "QuotaName": name, "Value": value, "Unit": "None", "Adjustable": True, "GlobalQuota": False}
            for i, (name, value) in enumerate(sorted(SAGEMAKER_QUOTAS.items()))]


def service_quotas_call(response, answer):
    """A Service Quotas call for `sagemaker`: AccessDenied when so configured, else `answer(quotas, params)`."""
    action = response.headers.get("X-Amz-Target", "").rsplit(".", 1)[-1]
    if QUOTAS_DENIED["denied"]:
        raise JsonRESTError("AccessDeniedException", f"User: arn:aws:iam::{ACCOUNT}:user/moto is not authorized to "
                                                     f"perform: servicequotas:{action}")
    params = json.loads(response.body or "{}")
    if params.get("ServiceCode") != "sagemaker":
        raise JsonRESTError("NoSuchResourceException", f"The emulated account has no quotas of "
                                                       f"{params.get('ServiceCode')!r}")
    return answer(sagemaker_quota_list(), params)


def list_service_quotas(response):
    def page(quotas, params):
        start = int(params.get("NextToken") or 0)
        size = int(params.get("MaxResults") or 5)  # small pages, so the client's paging is exercised
        body = {"Quotas": quotas[start : start + size]}
        if start + size < len(quotas):
            body["NextToken"] = str(start + size)
        return json.dumps(body)
    return service_quotas_call(response, page)


def get_service_quota(response):
    def one(quotas, params):
        for quota in quotas:
            if quota["QuotaCode"] == params.get("QuotaCode"):
                return json.dumps({"Quota": quota})
        raise JsonRESTError("NoSuchResourceException", f"No quota {params.get('QuotaCode')!r} for sagemaker")
    return service_quotas_call(response, one)


def check_training_quota(instance_type):
    """SageMaker's refusal of a training job on a type whose quota is 0 in the region."""
    name = f"{instance_type} for training job usage"
    if SAGEMAKER_QUOTAS.get(name, 1) <= 0:
        raise JsonRESTError("ResourceLimitExceeded", f"The account-level service limit '{name}' is 0 Instances, with "
                            "current utilization of 0 Instances and a request delta of 1 Instances. Please use AWS "
                            "Service Quotas to request an increase for this quota.")


def utc(seconds):
    """A naive UTC datetime, as moto keeps its timestamps."""
    return datetime.fromtimestamp(seconds, timezone.utc).replace(tzinfo=None)


class AlgorithmContainers:
    """Runs training jobs and endpoints for moto with the `ipinsights` binary."""

    def __init__(self, binary, endpoint_url):
        self.binary = binary
        self.endpoint_url = endpoint_url
        self.work = tempfile.mkdtemp(prefix="ipinsights-aws-emulation-")
        self.servers = {}  # endpoint name -> (process, url)
        self.lock = threading.Lock()
        self.trained = []  # job names, for the harness's report

    def client(self, service):
        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(s3={"addressing_style": "path"}),
        )

    # --- training -------------------------------------------------------------------------------------------------

    def download_prefix(self, uri, dest):
        """Copies every object under an s3:// prefix into one file: the algorithm reads every file of a channel,
        so one file holding them all, in key order, is equivalent to SageMaker's File mode."""
        bucket, _, prefix = uri[len("s3://") :].partition("/")
        s3 = self.client("s3")
        keys = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys += [o["Key"] for o in page.get("Contents", []) if not o["Key"].endswith("/")]
        if not keys:
            raise RuntimeError(f"ClientError: no objects under the channel's S3 prefix {uri}")
        with open(dest, "wb") as out:
            for key in sorted(keys):
                body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
                out.write(body if body.endswith(b"\n") or not body else body + b"\n")

    def train(self, job):
        """Runs the job's training in place of SageMaker's container, then records the outcome on moto's job: status
        transitions and log events carry the times they happened, as SageMaker's would."""
        start = time.time()
        job_dir = os.path.join(self.work, job.training_job_name)
        os.makedirs(job_dir)
        transitions = [("Starting", "Preparing the instances for training", start)]
        lines = []  # (unix time, line)
        try:
            transitions.append(("Downloading", "Downloading input data", time.time()))
            events = os.path.join(job_dir, "events.jsonl")
            args = [self.binary, "train", "--model-dir", os.path.join(job_dir, "model"), "--pack", "--ipv4-only",
                    "--events", events]
            for channel in job.input_data_config:
                name = channel["ChannelName"]
                uri = channel["DataSource"]["S3DataSource"]["S3Uri"]
                path = os.path.join(job_dir, f"{name}.csv")
                self.download_prefix(uri, path)
                args += [f"--{name}", path]
            for key, value in sorted(job.hyper_parameters.items()):
                args += ["--hp", f"{key}={value}"]
            transitions.append(("Training", "Training image download completed. Training in progress.", time.time()))
            outcome = run_algorithm(args, events, lines)
            transitions.append(("Uploading", "Uploading generated training model", time.time()))
            artifact = job.model_artifacts["S3ModelArtifacts"]
            bucket, _, key = artifact[len("s3://") :].partition("/")
            with open(outcome["model"], "rb") as f:
                self.client("s3").put_object(Bucket=bucket, Key=key, Body=f.read())
            transitions.append(("Completed", "Training job completed", time.time()))
            job.training_job_status = job.secondary_status = "Completed"
        except Exception as exc:  # the job fails like SageMaker's would, with the reason on DescribeTrainingJob
            transitions.append(("Failed", "Training job failed", time.time()))
            job.training_job_status = job.secondary_status = "Failed"
            job.failure_reason = str(exc)
            lines.append((time.time(), str(exc)))
        self.write_log(job.training_job_name, lines)
        end = time.time()
        job.training_time_in_seconds = job.billable_time_in_seconds = max(1, round(end - start))
        job.training_end_time = job.last_modified_time = utc(end)
        job.secondary_status_transitions = [
            {"Status": status, "StartTime": utc(at), "StatusMessage": message} for status, message, at in transitions
        ]
        self.trained.append(job.training_job_name)

    def write_log(self, job_name, lines, group=LOG_GROUP):
        logs = self.client("logs")
        try:
            logs.create_log_group(logGroupName=group)
        except logs.exceptions.ResourceAlreadyExistsException:
            pass
        stream = f"{job_name}/algo-1-{int(time.time())}"
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        events = [{"timestamp": int(at * 1000), "message": line} for at, line in lines if line.strip()]
        for i in range(0, len(events), 5000):
            logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events[i : i + 5000])

    # --- batch transform ------------------------------------------------------------------------------------------

    def fetch_model(self, backend, model_name, model_dir):
        """Downloads a model's artifact (`ModelDataUrl`) into `model_dir` as `model.tar.gz`."""
        model = backend._models[model_name]
        url = model.primary_container["ModelDataUrl"]
        bucket, _, key = url[len("s3://") :].partition("/")
        os.makedirs(model_dir, exist_ok=True)
        body = self.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        with open(os.path.join(model_dir, "model.tar.gz"), "wb") as f:
            f.write(body)
        with tarfile.open(os.path.join(model_dir, "model.tar.gz")) as tar:
            tar.getmembers()  # a corrupt artifact fails here, like a container failing its health check

    def transform(self, backend, job):
        """Runs a batch transform job in place of SageMaker's: every object under the input prefix is scored by
        `ipinsights transform` and its answers uploaded as `<output path>/<name>.out`, where `<name>` is the object's
        key below the input prefix's folder, as SageMaker names them."""
        start = time.time()
        job_dir = os.path.join(self.work, "transform", job.transform_job_name)
        lines = []
        try:
            source = job.transform_input["DataSource"]["S3DataSource"]
            uri = source["S3Uri"]
            bucket, _, prefix = uri[len("s3://") :].partition("/")
            base = prefix.rsplit("/", 1)[0] + "/" if "/" in prefix else ""
            s3 = self.client("s3")
            input_dir = os.path.join(job_dir, "input")
            keys = []
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                keys += [o["Key"] for o in page.get("Contents", []) if not o["Key"].endswith("/")]
            if not keys:
                raise RuntimeError(f"ClientError: no objects under the input's S3 prefix {uri}")
            for key in keys:
                path = os.path.join(input_dir, key[len(base) :])
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as f:
                    f.write(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
            model_dir = os.path.join(job_dir, "model")
            self.fetch_model(backend, job.model_name, model_dir)
            output_dir = os.path.join(job_dir, "output")
            events = os.path.join(job_dir, "events.jsonl")
            args = [self.binary, "transform", "--model-dir", model_dir, "--input", input_dir,
                    "--output-dir", output_dir, "--ipv4-only", "--events", events,
                    "--content-type", job.transform_input.get("ContentType") or "text/csv",
                    "--split-type", job.transform_input.get("SplitType") or "None",
                    "--accept", job.transform_output.get("Accept") or "application/jsonlines",
                    "--strategy", job.batch_strategy or "MultiRecord",
                    "--max-payload", str(job.max_payload_in_mb or 6)]
            run_algorithm(args, events, lines)
            out_bucket, _, out_prefix = job.transform_output["S3OutputPath"][len("s3://") :].partition("/")
            out_prefix = out_prefix.rstrip("/")
            for root, _, files in os.walk(output_dir):
                for name in sorted(files):
                    path = os.path.join(root, name)
                    relative = os.path.relpath(path, output_dir).replace(os.sep, "/")
                    key = f"{out_prefix}/{relative}" if out_prefix else relative
                    with open(path, "rb") as f:
                        s3.put_object(Bucket=out_bucket, Key=key, Body=f.read())
            job.transform_job_status = "Completed"
        except Exception as exc:  # the job fails like SageMaker's would, with the reason on DescribeTransformJob
            job.transform_job_status = "Failed"
            job.failure_reason = str(exc)
            lines.append((time.time(), str(exc)))
        self.write_log(job.transform_job_name, lines, TRANSFORM_LOG_GROUP)
        job.transform_end_time = job.last_modified_time = utc(time.time())
        job.transform_start_time = utc(start)

    # --- hosting --------------------------------------------------------------------------------------------------

    def start_endpoint(self, backend, endpoint_name, endpoint_config_name):
        config = backend.endpoint_configs[endpoint_config_name]
        model_dir = os.path.join(self.work, "endpoints", endpoint_name)
        self.fetch_model(backend, config.production_variants[0]["ModelName"], model_dir)
        ready = os.path.join(model_dir, "ready.json")
        process = subprocess.Popen(
            [self.binary, "serve", "--model-dir", model_dir, "--port", "0", "--name", endpoint_name,
             "--ready-file", ready, "--exit-with-stdin", "--ipv4-only"],
            stdin=subprocess.PIPE,
        )
        deadline = time.time() + 60
        while not os.path.exists(ready):
            if process.poll() is not None or time.time() > deadline:
                process.kill()
                raise RuntimeError(f"the model server for endpoint {endpoint_name} did not start")
            time.sleep(0.05)
        with open(ready) as f:
            server_url = contract_object(f.read(), ready)["url"]
        with self.lock:
            self.servers[endpoint_name] = (process, server_url)

    def stop_endpoint(self, endpoint_name):
        with self.lock:
            entry = self.servers.pop(endpoint_name, None)
        if entry:
            process, _ = entry
            process.stdin.close()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def invoke(self, endpoint_name, body, content_type, accept):
        with self.lock:
            entry = self.servers.get(endpoint_name)
        if entry is None:
            return 400, {"status": 400, "x-amzn-ErrorType": "ValidationError"}, json.dumps(
                {"message": f"Endpoint {endpoint_name} of account {ACCOUNT} not found."}
            )
        request = urllib.request.Request(entry[1].rstrip("/") + "/invocations", data=body, method="POST")
        if content_type:
            request.add_header("Content-Type", content_type)
        if accept:
            request.add_header("Accept", accept)
        # moto takes the HTTP status from the "status" header of a handler's response.
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                answer = response.read(MAX_RESPONSE_BYTES + 1)
                if len(answer) > MAX_RESPONSE_BYTES:
                    return 424, {"status": 424, "x-amzn-ErrorType": "ModelError"}, json.dumps(
                        {"message": f"Received response from primary with a body over the limit of "
                                    f"{MAX_RESPONSE_BYTES} bytes."}
                    )
                return 200, {"Content-Type": response.headers.get("Content-Type", "")}, answer
        except urllib.error.HTTPError as err:
            message = err.read().decode("utf-8", "replace")
            return 424, {"status": 424, "x-amzn-ErrorType": "ModelError"}, json.dumps(
                {
                    "message": f"Received client error ({err.code}) from primary with message \"{message}\".",
                    "OriginalStatusCode": err.code,
                    "OriginalMessage": message,
                }
            )

    def stop_all(self):
        for name in list(self.servers):
            self.stop_endpoint(name)

    def running_endpoints(self):
        with self.lock:
            return sorted(self.servers)


class EmulatedAws:
    """moto on a free loopback port with the algorithm containers hooked in; a context manager."""

    def __init__(self, binary):
        self.binary = binary
        self.server = None
        self.containers = None
        self.saved = {}

    def __enter__(self):
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log per request
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        self.containers = containers = AlgorithmContainers(self.binary, self.endpoint_url)
        self.saved = {
            "create_training_job": SageMakerModelBackend.create_training_job,
            "create_endpoint": SageMakerModelBackend.create_endpoint,
            "create_transform_job": SageMakerModelBackend.create_transform_job,
            "create_model": SageMakerModelBackend.create_model,
            "delete_endpoint": SageMakerModelBackend.delete_endpoint,
            "invoke_endpoint": SageMakerRuntimeResponse.invoke_endpoint,
            "get_service_quota": ServiceQuotasResponse.get_service_quota,
            "describe_endpoint": SageMakerResponse.describe_endpoint,
        }
        saved = self.saved

        def create_training_job(backend, *args, **kwargs):
            check_sagemaker_can_assume(kwargs.get("role_arn"))
            check_training_quota((kwargs.get("resource_config") or {}).get("InstanceType"))
            job = saved["create_training_job"](backend, *args, **kwargs)
            containers.train(job)
            return job

        def create_endpoint(backend, endpoint_name, endpoint_config_name, tags):
            endpoint = saved["create_endpoint"](backend, endpoint_name, endpoint_config_name, tags)
            DESCRIBES[endpoint_name] = 0
            try:
                containers.start_endpoint(backend, endpoint_name, endpoint_config_name)
                endpoint.endpoint_status = "Creating"
            except Exception as exc:  # the endpoint fails like SageMaker's would, with the reason on DescribeEndpoint
                endpoint.endpoint_status = "Failed"
                endpoint.failure_reason = f"The model server could not start: {exc}"
            return endpoint

        def describe_endpoint(response):
            name = response._get_param("EndpointName")
            calls = DESCRIBES.get(name)
            if calls is not None:
                DESCRIBES[name] = calls + 1
                if calls < DESCRIBE_THROTTLES:
                    raise JsonRESTError("ThrottlingException", "Rate exceeded")
                endpoint = response.sagemaker_backend.endpoints.get(name)
                if endpoint is not None and endpoint.endpoint_status == "Creating" \
                        and calls >= DESCRIBE_THROTTLES + CREATING_POLLS:
                    endpoint.endpoint_status = "InService"
            return saved["describe_endpoint"](response)

        def create_model(backend, *args, **kwargs):
            check_sagemaker_can_assume(kwargs.get("execution_role_arn"))
            return saved["create_model"](backend, *args, **kwargs)

        def create_transform_job(backend, *args, **kwargs):
            job = saved["create_transform_job"](backend, *args, **kwargs)
            job.transform_job_status = "InProgress"
            containers.transform(backend, job)
            return job

        def delete_endpoint(backend, endpoint_name):
            saved["delete_endpoint"](backend, endpoint_name)
            containers.stop_endpoint(endpoint_name)

        def invoke_endpoint(response):
            name = response._get_params().get("EndpointName") or response.path.split("/")[2]
            body = response.body if isinstance(response.body, bytes) else (response.body or "").encode("utf-8")
            return containers.invoke(name, body, response.headers.get("Content-Type"), response.headers.get("Accept"))

        SageMakerModelBackend.create_training_job = create_training_job
        SageMakerModelBackend.create_endpoint = create_endpoint
        SageMakerModelBackend.create_transform_job = create_transform_job
        SageMakerModelBackend.create_model = create_model
        ServiceQuotasResponse.list_service_quotas = list_service_quotas
        ServiceQuotasResponse.get_service_quota = get_service_quota
        SageMakerModelBackend.delete_endpoint = delete_endpoint
        SageMakerRuntimeResponse.invoke_endpoint = invoke_endpoint
        SageMakerResponse.describe_endpoint = describe_endpoint
        iam = containers.client("iam")
        for (path, name), trust in ((EXECUTION_ROLE, SAGEMAKER_TRUST), (SSO_ROLE, SSO_TRUST)):
            # moto keeps its accounts per process: a second emulated account in the same process (the notebook
            # test runs one per notebook) finds the roles the first one made, with the same trust.
            try:
                iam.create_role(Path=path, RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
            except iam.exceptions.EntityAlreadyExistsException:
                iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))
        self.throttled = throttle(sorted(THROTTLED))  # last: a throttled operation answers nothing else
        return self

    def __exit__(self, *exc):
        for method, original in self.throttled.items():
            setattr(SageMakerResponse, method, original)
        self.containers.stop_all()
        shutil.rmtree(self.containers.work, ignore_errors=True)  # channels, models, transform outputs
        SageMakerModelBackend.create_training_job = self.saved["create_training_job"]
        SageMakerModelBackend.create_endpoint = self.saved["create_endpoint"]
        SageMakerModelBackend.create_transform_job = self.saved["create_transform_job"]
        SageMakerModelBackend.create_model = self.saved["create_model"]
        ServiceQuotasResponse.get_service_quota = self.saved["get_service_quota"]
        del ServiceQuotasResponse.list_service_quotas
        SageMakerModelBackend.delete_endpoint = self.saved["delete_endpoint"]
        SageMakerRuntimeResponse.invoke_endpoint = self.saved["invoke_endpoint"]
        SageMakerResponse.describe_endpoint = self.saved["describe_endpoint"]
        self.server.stop()
        return False

    def create_bucket(self, name):
        self.containers.client("s3").create_bucket(Bucket=name)

    def kernel_environment(self, role_arn):
        """Environment for a kernel whose cells should talk to this account (test credentials only)."""
        return {
            "IPINSIGHTS_BACKEND": "aws",
            "IPINSIGHTS_AWS_ENDPOINT_URL": self.endpoint_url,
            "IPINSIGHTS_POLL_SECONDS": "0.2",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
            "SAGEMAKER_ROLE_ARN": role_arn,
        }


def main():
    """Runs the emulated account for another program (the facade's tests): prints one JSON line
    `{"endpoint_url": …}` once it answers, and stops when standard input is closed."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True, help="the release-built ipinsights binary")
    parser.add_argument("--bucket", action="append", default=[], help="a bucket to create (repeatable)")
    parser.add_argument("--quota", action="append", default=[], metavar="NAME=VALUE",
                        help="a SageMaker quota, e.g. 'ml.m5.xlarge for training job usage=0' (repeatable)")
    parser.add_argument("--quotas-denied", action="store_true",
                        help="Service Quotas answers every call with AccessDeniedException")
    parser.add_argument("--throttle", action="append", default=[], metavar="OPERATION",
                        help="every call of this SageMaker operation answers ThrottlingException (repeatable)")
    args = parser.parse_args()
    THROTTLED.update(args.throttle)
    for quota in args.quota:
        name, _, value = quota.rpartition("=")
        SAGEMAKER_QUOTAS[name.strip()] = float(value)
    QUOTAS_DENIED["denied"] = args.quotas_denied
    with EmulatedAws(args.binary) as aws:
        for bucket in args.bucket:
            aws.create_bucket(bucket)
        print(json.dumps({"endpoint_url": aws.endpoint_url}), flush=True)
        # The reader may stop reading after that line: everything else (the model servers' output) goes to stderr.
        os.dup2(2, 1)
        sys.stdin.read()


if __name__ == "__main__":
    main()
