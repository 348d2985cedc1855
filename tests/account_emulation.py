"""An AWS account on loopback for the own-account tests: moto (S3, GuardDuty, IAM, Lambda, EventBridge, SNS, SQS,
DynamoDB, CloudWatch, SageMaker, SageMaker Runtime) with what moto lacks, made as strict as the real services:

- GuardDuty ListFindings and GetFindings (moto has detectors but no findings): FindingCriteria on `updatedAt`,
  `createdAt`, `severity`, `type`, `id` and `service.archived` with GuardDuty's operators; SortCriteria; MaxResults
  1-50 and opaque NextTokens; at most 50 ids per GetFindings; BadRequestException otherwise. Findings are seeded
  from a file (`--findings`: EventBridge events or findings, one JSON value per line) into a detector of the
  default account and region, like GuardDuty would have raised them.
- GuardDuty as it publishes findings (moto has none of it): CreateSampleFindings makes sample findings
  (`service.additionalInfo` `{"value": "{\"sample\":true}", "type": "default"}`, `[SAMPLE]` titles, GuardDuty's
  generated principal and documentation addresses) and ArchiveFindings archives findings (`service.archived`);
  both are listed and read like any finding. A finding recurs (`POST /_emulation/guardduty/recur`, JSON
  `{"id": ID, "times": N}`): GuardDuty updates the same finding N times (`service.count` + 1, a later `updatedAt`
  and `eventLastSeen`) and re-publishes it to EventBridge each time, as it does every 6 hours (15 minutes if so
  set) for a finding that keeps happening. `GET /_emulation/guardduty/events` answers every EventBridge event
  GuardDuty published so far (new samples, recurrences), oldest first: what the detector's rule delivers.
- InvokeEndpoint on SageMaker endpoints that run a real model server (`--endpoint NAME=URL`): the endpoint, its
  configuration and model are created in moto, and each invocation is forwarded to the server like SageMaker's
  front end does. Like the IP Insights container, it takes IPv4 addresses only: a row with any other address is a
  ModelError (the container's 400), so a client must filter IPv6 itself.
- Throttling (`--throttle OPERATION=N`): every N-th call of an operation (s3:GetObject, guardduty:ListFindings,
  guardduty:GetFindings, sns:Publish, sagemaker-runtime:InvokeEndpoint) is refused with that service's own
  throttling error (S3 503 SlowDown, GuardDuty 429 TooManyRequestsException, SNS 400 Throttling, SageMaker Runtime
  400 ThrottlingException).
- Outages (`--outage OPERATION=N:K`): calls N to N+K-1 of an operation (counted from 1) are answered with the
  service's 500 InternalError, which the SDKs retry; K at least the client's attempts makes one call fail for good
  while the calls before and after it succeed (e.g. `sns:Publish=2:5`: the second alert of a batch is lost;
  `dynamodb:PutItem=1:5`: the detector's first alert-state write).
- Latency (`--latency OPERATION=SECONDS`): calls of an operation take at least that long, like a real service far
  from the client; `GET /_emulation/stats` reports the calls refused and the most calls in flight at once, per
  operation.
- Lambda function states (`--lambda-busy-seconds S`, default 1; moto reports every function `Active` and
  `Successful` at once): after CreateFunction a function is `State: Pending` for S seconds, after
  UpdateFunctionCode or UpdateFunctionConfiguration its `LastUpdateStatus` is `InProgress` for S seconds (in the
  update's own answer too), and in that window a further UpdateFunctionCode, UpdateFunctionConfiguration or
  PublishVersion is refused with Lambda's 409 ResourceConflictException, worded as Lambda words it. 0 turns it off.
- On-failure destinations (moto takes any): PutFunctionEventInvokeConfig with an SQS `OnFailure` destination is
  refused with Lambda's InvalidParameterValueException unless an inline policy of the function's role allows
  `sqs:SendMessage` on that queue, as Lambda checks it; with `--iam-propagation-seconds S` a role's inline policy
  counts for that check only S seconds after PutRolePolicy (IAM is eventually consistent: seconds, in practice).
- Queues deleted recently (`--queue-deleted-wait-seconds S`, default 60 as in SQS; moto re-creates at once):
  CreateQueue with the name of a queue deleted less than S seconds ago is refused with SQS's
  QueueDeletedRecently. 0 turns it off.
- Tables being deleted (`--table-deleting-seconds S`, default 0: off; moto drops a table at once): for S seconds
  after DeleteTable, DescribeTable answers `TableStatus: DELETING` and CreateTable of that name
  ResourceInUseException, as DynamoDB does while it deletes a table (seconds to a minute).
- Buckets where they live (moto serves every bucket to a client of any region): a request for an existing bucket
  signed for another region than the bucket's is answered as S3 answers it, 301 PermanentRedirect with the
  `x-amz-bucket-region` header (HeadBucket: 301, no body, the header; anything else: the XML error naming the
  bucket's endpoint), never served. HeadBucket signed for the right region is 200 with the header, as in moto.
- Buckets of other accounts (moto lets any account use any bucket): a request for a bucket with credentials of
  another account than the one that created it (e.g. an organisation's log-archive account) is refused with S3's
  403 AccessDenied (with `x-amz-bucket-region`), as S3 refuses it without a bucket policy; credentials from STS
  AssumeRole of a role in the owning account are that account's (moto's accounting).

Usage: python tests/account_emulation.py --ready-file FILE [--findings FILE] [--endpoint NAME=URL]...
[--throttle OP=N]... [--outage OP=N:K]... [--latency OP=S]... [--lambda-busy-seconds S] [--iam-propagation-seconds S]
[--queue-deleted-wait-seconds S] [--table-deleting-seconds S]; writes {"url": ..., "detector_id": ...} to FILE when serving, stops when
stdin closes.
"""
import argparse
import base64
import io
import ipaddress
import json
import logging
import os
import re
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, unquote

import boto3
from botocore.config import Config
from werkzeug.serving import make_server

import moto.guardduty.responses as gd_responses
import moto.guardduty.urls as gd_urls
from moto.awslambda.exceptions import InvalidParameterValueException, LambdaClientError
from moto.awslambda.models import LambdaFunction, lambda_backends
from moto.awslambda.responses import LambdaResponse
from moto.core.exceptions import JsonRESTError
from moto.guardduty.models import guardduty_backends
from moto.iam.models import Role, get_account_id_from
from moto.s3.models import s3_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.sagemaker.models import sagemaker_backends
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

REGION = "us-east-1"
ACCOUNT = "123456789012"
MAX_IDS = 50

# --- GuardDuty findings ----------------------------------------------------------------------------------------------

FINDINGS = {}  # detector id -> list of findings (camelCase dicts), in seeding order


class BadRequest(JsonRESTError):
    code = 400

    def __init__(self, message):
        super().__init__("BadRequestException", message)

    def get_headers(self, *args, **kwargs):
        return [("X-Amzn-ErrorType", "BadRequestException"), ("Content-Type", "application/json")]


OUT_OF_RANGE = "The request is rejected because an invalid or out-of-range value is specified as an input parameter."
NOT_OWNED = "The request is rejected because the input detectorId is not owned by the current account."


def millis(text):
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def field(finding, name):
    """A criterion's field of a finding, as GuardDuty compares it (times in epoch ms)."""
    if name in ("updatedAt", "createdAt"):
        return millis(finding[name]) if finding.get(name) else None
    if name == "severity":
        return finding.get("severity")
    if name in ("type", "id"):
        return finding.get(name)
    if name == "service.archived":
        return str(finding.get("service", {}).get("archived", False)).lower()
    raise BadRequest(f"{OUT_OF_RANGE} Unsupported criterion: {name}")


def matches(finding, criterion):
    for name, condition in (criterion or {}).items():
        value = field(finding, name)
        for op, arg in condition.items():
            if op in ("eq", "equals"):
                ok = str(value) in [str(a) for a in arg]
            elif op in ("neq", "notEquals"):
                ok = str(value) not in [str(a) for a in arg]
            elif op in ("gt", "greaterThan"):
                ok = value is not None and value > arg
            elif op in ("gte", "greaterThanOrEqual"):
                ok = value is not None and value >= arg
            elif op in ("lt", "lessThan"):
                ok = value is not None and value < arg
            elif op in ("lte", "lessThanOrEqual"):
                ok = value is not None and value <= arg
            else:
                raise BadRequest(f"{OUT_OF_RANGE} Unknown operator {op}")
            if not ok:
                return False
    return True


def detector_findings(response):
    detector_id = response.path.split("/")[2]
    backend = guardduty_backends[response.current_account][response.region]
    if detector_id not in backend.detectors:
        raise BadRequest(NOT_OWNED)
    return detector_id, FINDINGS.get(detector_id, [])


def list_findings(self):
    detector_id, findings = detector_findings(self)
    max_results = self._get_param("maxResults", 50)
    if not isinstance(max_results, int) or not 1 <= max_results <= MAX_IDS:
        raise BadRequest(OUT_OF_RANGE)
    criteria = (self._get_param("findingCriteria") or {}).get("criterion")
    selected = [f for f in findings if matches(f, criteria)]
    sort = self._get_param("sortCriteria")
    if sort:
        name = sort.get("attributeName")
        selected.sort(key=lambda f: (field(f, name) is None, field(f, name)), reverse=sort.get("orderBy") == "DESC")
    token = self._get_param("nextToken")
    start = 0
    if token:
        try:
            start = int(base64.b64decode(token).decode().removeprefix(f"{detector_id}:"))
        except Exception:
            raise BadRequest(f"{OUT_OF_RANGE} Invalid nextToken")
    page = selected[start : start + max_results]
    out = {"findingIds": [f["id"] for f in page]}
    if start + max_results < len(selected):
        out["nextToken"] = base64.b64encode(f"{detector_id}:{start + max_results}".encode()).decode()
    return json.dumps(out)


def get_findings(self):
    _, findings = detector_findings(self)
    ids = self._get_param("findingIds") or []
    if not 1 <= len(ids) <= MAX_IDS:
        raise BadRequest(OUT_OF_RANGE)
    by_id = {f["id"]: f for f in findings}
    # GuardDuty answers in its own order, not the request's: reversed here so that clients cannot rely on it.
    return json.dumps({"findings": [by_id[i] for i in reversed(ids) if i in by_id]})


EVENTS = []  # EventBridge events GuardDuty published, oldest first
EVENTS_LOCK = threading.Lock()
SAMPLE_INFO = {"value": json.dumps({"sample": True}), "type": "default"}


def iso(when):
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def publish_event(finding):
    """The EventBridge event GuardDuty sends for a new or updated finding."""
    event = {
        "version": "0", "id": os.urandom(16).hex(), "detail-type": "GuardDuty Finding", "source": "aws.guardduty",
        "account": finding.get("accountId", ACCOUNT), "time": finding["updatedAt"][:19] + "Z",
        "region": finding.get("region", REGION), "resources": [], "detail": json.loads(json.dumps(finding)),
    }
    with EVENTS_LOCK:
        EVENTS.append(event)


def sample_finding(detector_id, finding_type, n):
    """A sample finding as CreateSampleFindings makes it: GuardDuty's generated principal, a documentation address."""
    now = datetime.now(timezone.utc)
    return {
        "schemaVersion": "2.0", "accountId": ACCOUNT, "region": REGION, "partition": "aws", "id": os.urandom(16).hex(),
        "arn": f"arn:aws:guardduty:{REGION}:{ACCOUNT}:detector/{detector_id}/finding/sample-{n}",
        "type": finding_type, "title": f"[SAMPLE] {finding_type}", "severity": 5, "createdAt": iso(now),
        "updatedAt": iso(now),
        "resource": {"resourceType": "AccessKey", "accessKeyDetails": {
            "accessKeyId": "GeneratedFindingAccessKeyId", "principalId": "GeneratedFindingPrincipalId",
            "userName": "GeneratedFindingUserName", "userType": "IAMUser"}},
        "service": {
            "serviceName": "guardduty", "detectorId": detector_id, "archived": False, "count": 1,
            "eventFirstSeen": iso(now), "eventLastSeen": iso(now), "additionalInfo": dict(SAMPLE_INFO),
            "action": {"actionType": "AWS_API_CALL", "awsApiCallAction": {
                "api": "GeneratedFindingAPIName", "serviceName": "GeneratedFindingAPIServiceName",
                "callerType": "Remote IP", "remoteIpDetails": {"ipAddressV4": f"198.51.100.{n % 250 + 1}"}}},
        },
    }


def create_sample_findings(self):
    detector_id, findings = detector_findings(self)
    types = self._get_param("findingTypes") or ["UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B"]
    for n, finding_type in enumerate(types, start=len(findings)):
        finding = sample_finding(detector_id, finding_type, n)
        FINDINGS.setdefault(detector_id, []).append(finding)
        publish_event(finding)
    return "{}"


def archive_findings(self):
    _, findings = detector_findings(self)
    ids = self._get_param("findingIds") or []
    if len(ids) > MAX_IDS:
        raise BadRequest(OUT_OF_RANGE)
    for finding in findings:
        if finding["id"] in ids:
            finding.setdefault("service", {})["archived"] = True
    return "{}"


def recur(finding_id, times):
    """GuardDuty sees the activity of a finding again `times` times: the same finding, updated and re-published."""
    found = [f for findings in FINDINGS.values() for f in findings if f.get("id") == finding_id]
    if not found:
        return None
    finding = found[0]
    service = finding.setdefault("service", {})
    for _ in range(times):
        last = datetime.fromisoformat(finding.get("updatedAt", iso(datetime.now(timezone.utc))).replace("Z", "+00:00"))
        later = iso(last + timedelta(hours=6))
        service["count"] = service.get("count", 1) + 1
        service["eventLastSeen"] = later
        finding["updatedAt"] = later
        publish_event(finding)
    return finding


gd_responses.GuardDutyResponse.create_sample_findings = create_sample_findings
gd_responses.GuardDutyResponse.archive_findings = archive_findings
gd_urls.url_paths["{0}/detector/(?P<detector_id>[^/]+)/findings/create$"] = gd_responses.GuardDutyResponse.dispatch
gd_urls.url_paths["{0}/detector/(?P<detector_id>[^/]+)/findings/archive$"] = gd_responses.GuardDutyResponse.dispatch
gd_responses.GuardDutyResponse.list_findings = list_findings
gd_responses.GuardDutyResponse.get_findings = get_findings
gd_urls.url_paths["{0}/detector/(?P<detector_id>[^/]+)/findings$"] = gd_responses.GuardDutyResponse.dispatch
gd_urls.url_paths["{0}/detector/(?P<detector_id>[^/]+)/findings/get$"] = gd_responses.GuardDutyResponse.dispatch


def seed_findings(path, detector_id):
    findings = []
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            value = json.loads(line)
            finding = value.get("detail", value)
            finding.setdefault("service", {})["detectorId"] = detector_id
            findings.append(finding)
    FINDINGS[detector_id] = findings


# --- SageMaker endpoints backed by a real model server ---------------------------------------------------------------

ENDPOINTS = {}  # endpoint name -> server URL


def not_ipv4(body, content_type):
    """The first address of a request that is not dotted IPv4, as the IP Insights container rejects it."""
    rows = []
    if (content_type or "").startswith("text/csv"):
        rows = [line.split(",", 1)[1].strip() for line in body.decode("utf-8", "replace").splitlines() if "," in line]
    else:
        for instance in json.loads(body or b"{}").get("instances", []):
            values = instance.get("features") or instance.get("data", {}).get("features", {}).get("values", [])
            rows.append(str(values[1]) if len(values) > 1 else "")
    for ip in rows:
        try:
            ipaddress.IPv4Address(ip)
        except ValueError:
            return ip
    return None


def model_error(status, message):
    return 424, {"status": 424, "x-amzn-ErrorType": "ModelError"}, json.dumps(
        {
            "message": f'Received client error ({status}) from primary with message "{message}".',
            "OriginalStatusCode": status,
            "OriginalMessage": message,
        }
    )


def invoke_endpoint(self):
    name = self.path.split("/")[2]
    backend = sagemaker_backends[self.current_account][self.region]
    url = ENDPOINTS.get(name)
    if name not in backend.endpoints or url is None:
        return 400, {"status": 400, "x-amzn-ErrorType": "ValidationError"}, json.dumps(
            {"message": f"Endpoint {name} of account {self.current_account} not found."}
        )
    body = self.body if isinstance(self.body, bytes) else (self.body or "").encode("utf-8")
    content_type = self.headers.get("Content-Type")
    bad = not_ipv4(body, content_type)
    if bad is not None:
        return model_error(400, f"unable to parse {bad!r} as an IPv4 address (IP Insights takes IPv4 addresses only)")
    request = urllib.request.Request(url.rstrip("/") + "/invocations", data=body, method="POST")
    request.add_header("Content-Type", content_type or "text/csv")
    request.add_header("Accept", self.headers.get("Accept") or "application/json")
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return 200, {"Content-Type": answer.headers.get("Content-Type", "")}, answer.read()
    except urllib.error.HTTPError as err:
        return model_error(err.code, err.read().decode("utf-8", "replace"))


SageMakerRuntimeResponse.invoke_endpoint = invoke_endpoint


# --- Lambda function states ------------------------------------------------------------------------------------------

LAMBDA_BUSY_SECONDS = [1.0]  # how long a function stays Pending / InProgress after a change (set by main)
BUSY = {}  # function ARN -> (monotonic deadline, "create" or "update")
BUSY_LOCK = threading.Lock()


class LambdaConflict(LambdaClientError):
    code = 409

    def __init__(self, message):
        super().__init__("ResourceConflictException", message)
        self.description = json.dumps({"Type": "User", "message": message, "__type": "ResourceConflictException"})

    def get_headers(self, *args, **kwargs):
        return [("X-Amzn-ErrorType", "ResourceConflictException"), ("Content-Type", "application/json")]


def busy(arn):
    """`"create"` or `"update"` while the function's last change is still being applied, else None."""
    with BUSY_LOCK:
        deadline, kind = BUSY.get(arn, (0.0, None))
        return kind if time.monotonic() < deadline else None


def mark_busy(arn, kind):
    if LAMBDA_BUSY_SECONDS[0] > 0:
        with BUSY_LOCK:
            BUSY[arn] = (time.monotonic() + LAMBDA_BUSY_SECONDS[0], kind)


moto_get_configuration = LambdaFunction.get_configuration


def get_configuration(self, on_create=False):
    config = moto_get_configuration(self, on_create)
    kind = busy(self.function_arn)
    if kind == "create":
        config.update(State="Pending", StateReason="The function is being created.", StateReasonCode="Creating")
        config.pop("LastUpdateStatus", None)
    elif kind == "update":
        config.update(State="Active", LastUpdateStatus="InProgress", LastUpdateStatusReason="The function is being updated.")
    return config


LambdaFunction.get_configuration = get_configuration


def function_of(response, name):
    backend = lambda_backends[response.current_account][response.region]
    return backend.get_function(name, None)


def refuse_while_busy(fn):
    kind = busy(fn.function_arn)
    if kind == "create":
        raise LambdaConflict(
            "The operation cannot be performed at this time. The function is currently in the following state: Pending"
        )
    if kind == "update":
        raise LambdaConflict(
            f"The operation cannot be performed at this time. An update is in progress for resource: {fn.function_arn}"
        )


def changes_function(operation, kind):
    """Wraps a LambdaResponse operation on a function: refused while the function is busy; a change (`kind`
    "create" or "update") then makes it busy, and its own answer already says so, as Lambda's does."""
    original = getattr(LambdaResponse, operation)

    def wrapped(self):
        if kind == "create":
            answer = original(self)
            fn = function_of(self, self.json_body["FunctionName"].rsplit(":", 1)[-1])
            mark_busy(fn.function_arn, kind)
            status, headers, _ = answer
            return status, headers, json.dumps(fn.get_configuration(on_create=True))
        fn = function_of(self, unquote(self.path.rsplit("/", 2)[-2]))
        refuse_while_busy(fn)
        if kind is None:
            return original(self)
        mark_busy(fn.function_arn, kind)
        try:
            return original(self)
        except Exception:
            with BUSY_LOCK:
                BUSY.pop(fn.function_arn, None)
            raise

    setattr(LambdaResponse, operation, wrapped)


changes_function("create_function", "create")
changes_function("update_function_code", "update")
changes_function("update_function_configuration", "update")
changes_function("publish_version", None)


# --- on-failure destinations the function's role may use ------------------------------------------------------------

moto_put_event_invoke_config = LambdaResponse.put_function_event_invoke_config
IAM_PROPAGATION_SECONDS = [0.0]  # how long a new inline policy takes to reach Lambda's checks (set by main)
POLICY_PUT_AT = {}  # (role ARN, policy name) -> monotonic time of PutRolePolicy


def put_policy(self, policy_name, policy_json):
    POLICY_PUT_AT[(self.arn, policy_name)] = time.monotonic()
    return moto_put_policy(self, policy_name, policy_json)


moto_put_policy = Role.put_policy
Role.put_policy = put_policy


def role_allows(account, role_arn, action, resource):
    """True when an inline policy of the role allows `action` on `resource` (exact ARN or "*")."""
    from moto.iam.models import iam_backends

    role = next((r for r in iam_backends[account]["global"].roles.values() if r.arn == role_arn), None)
    now = time.monotonic()
    for name, document in (role.policies.items() if role else []):
        if now - POLICY_PUT_AT.get((role_arn, name), 0.0) < IAM_PROPAGATION_SECONDS[0]:
            continue  # not yet seen: IAM is eventually consistent
        document = json.loads(unquote(document)) if isinstance(document, str) else document
        statements = document.get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            actions = statement.get("Action", [])
            resources = statement.get("Resource", [])
            actions = [actions] if isinstance(actions, str) else actions
            resources = [resources] if isinstance(resources, str) else resources
            if statement.get("Effect") == "Allow" and action in actions and (resource in resources or "*" in resources):
                return True
    return False


def put_event_invoke_config(self):
    """Lambda checks, as it does, that the function's role may send to an SQS on-failure destination."""
    destination = ((self.json_body or {}).get("DestinationConfig") or {}).get("OnFailure", {}).get("Destination")
    if destination and ":sqs:" in destination:
        fn = function_of(self, unquote(self.path.rsplit("/", 2)[1]))
        if not role_allows(self.current_account, fn.role, "sqs:SendMessage", destination):
            raise InvalidParameterValueException(
                f"The function execution role does not have permissions to call SendMessage on {destination}"
            )
    return moto_put_event_invoke_config(self)


LambdaResponse.put_function_event_invoke_config = put_event_invoke_config


# --- buckets in their own region ----------------------------------------------------------------------------------


def signing_region(environ):
    match = re.search(r"Credential=[^/]+/[^/]+/([^/]+)/s3/", environ.get("HTTP_AUTHORIZATION", ""))
    return match.group(1) if match else None


def bucket_of(environ):
    """The bucket a path-style (or virtual-hosted) S3 request names, else None."""
    host = environ.get("HTTP_HOST", "").split(":")[0]
    if ".s3" in host and not host.startswith("s3"):
        return host.split(".s3", 1)[0]
    parts = [p for p in environ.get("PATH_INFO", "").split("/") if p]
    return unquote(parts[0]) if parts else None


def bucket_home(name):
    """(region, owning account) of an existing bucket, else None."""
    located = s3_backends.bucket_accounts.get(name)
    if located is None:
        return None
    partition, account = located
    bucket = s3_backends[account][partition].buckets.get(name)
    return (bucket.region_name, account) if bucket is not None else None


def caller_account(environ):
    match = re.search(r"Credential=([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    return get_account_id_from(match.group(1)) if match else None


class BucketGate:
    """WSGI middleware answering a request for a bucket of another region than the one it is signed for with S3's
    301 PermanentRedirect and `x-amz-bucket-region`, and one from another account than the bucket's with 403
    AccessDenied, as S3 does, instead of serving it."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        region = signing_region(environ)
        name = bucket_of(environ) if region else None
        method = environ.get("REQUEST_METHOD")
        creating = method == "PUT" and len([p for p in environ.get("PATH_INFO", "").split("/") if p]) == 1
        located = bucket_home(name) if name and not creating else None
        if located is None:
            return self.app(environ, start_response)
        home, owner = located
        headers = [("x-amz-bucket-region", home), ("x-amz-request-id", "emulated-gate")]
        if home == region:
            if caller_account(environ) == owner:
                return self.app(environ, start_response)
            body = (
                '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied'
                "</Message><RequestId>emulated-gate</RequestId></Error>"
            ).encode()
            status = "403 Forbidden"
        else:
            body = (
                '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PermanentRedirect</Code><Message>The bucket you '
                "are attempting to access must be addressed using the specified endpoint. Please send all future "
                f"requests to this endpoint.</Message><Endpoint>{name}.s3.{home}.amazonaws.com</Endpoint>"
                f"<Bucket>{name}</Bucket><RequestId>emulated-gate</RequestId></Error>"
            ).encode()
            status = "301 Moved Permanently"
        if method == "HEAD":
            start_response(status, headers + [("Content-Length", "0")])
            return [b""]
        start_response(status, headers + [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
        return [body]


# --- queues deleted recently ------------------------------------------------------------------------------------------


class QueueGate:
    """WSGI middleware refusing CreateQueue for a name whose queue was deleted less than `seconds` ago, with SQS's
    QueueDeletedRecently (SQS makes you wait 60 seconds; moto re-creates at once)."""

    def __init__(self, app, seconds):
        self.app, self.seconds, self.deleted, self.lock = app, seconds, {}, threading.Lock()

    def __call__(self, environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if self.seconds <= 0 or target not in ("AmazonSQS.CreateQueue", "AmazonSQS.DeleteQueue"):
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        request = json.loads(body or b"{}")
        if target == "AmazonSQS.DeleteQueue":
            with self.lock:
                self.deleted[request.get("QueueUrl", "").rstrip("/").rsplit("/", 1)[-1]] = time.monotonic()
            return self.app(environ, start_response)
        with self.lock:
            since = time.monotonic() - self.deleted.get(request.get("QueueName"), float("-inf"))
        if since >= self.seconds:
            return self.app(environ, start_response)
        answer = json.dumps({
            "__type": "com.amazonaws.sqs#QueueDeletedRecently",
            "message": "You must wait 60 seconds after deleting a queue before you can create another with the same "
            "name.",
        }).encode()
        start_response("400 Bad Request", [
            ("Content-Type", "application/x-amz-json-1.0"),
            ("x-amzn-query-error", "AWS.SimpleQueueService.QueueDeletedRecently;Sender"),
            ("Content-Length", str(len(answer))),
        ])
        return [answer]


class TableGate:
    """WSGI middleware keeping a deleted DynamoDB table in `DELETING` for `seconds` (moto drops it at once):
    DescribeTable answers `TableStatus: DELETING` and CreateTable of that name ResourceInUseException, as
    DynamoDB does while it deletes a table."""

    def __init__(self, app, seconds):
        self.app, self.seconds, self.deleted, self.lock = app, seconds, {}, threading.Lock()

    def __call__(self, environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET", "").rpartition(".")[2]
        if self.seconds <= 0 or not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_") or target not in (
            "DeleteTable", "DescribeTable", "CreateTable"
        ):
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        name = json.loads(body or b"{}").get("TableName", "")
        if target == "DeleteTable":
            with self.lock:
                self.deleted[name] = time.monotonic()
            return self.app(environ, start_response)
        with self.lock:
            deleting = time.monotonic() - self.deleted.get(name, float("-inf")) < self.seconds
        if not deleting:
            return self.app(environ, start_response)
        if target == "DescribeTable":
            status, answer = "200 OK", {"Table": {
                "TableName": name, "TableStatus": "DELETING",
                "TableArn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}",
            }}
        else:
            status, answer = "400 Bad Request", {
                "__type": "com.amazonaws.dynamodb.v20120810#ResourceInUseException",
                "message": f"Table already exists: {name}",
            }
        data = json.dumps(answer).encode()
        start_response(status, [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(data)))])
        return [data]


# --- throttling --------------------------------------------------------------------------------------------------------


def outage_response(service):
    """The service's 500 InternalError (retried by the SDKs as a transient error)."""
    rid = "emulated-outage"
    if service == "sns":
        body = f"<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code><Message>Internal Error</Message></Error><RequestId>{rid}</RequestId></ErrorResponse>"
        return "500 Internal Server Error", [("Content-Type", "text/xml")], body
    if service == "s3":
        body = f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message><RequestId>{rid}</RequestId></Error>'
        return "500 Internal Server Error", [("Content-Type", "application/xml")], body
    body = json.dumps({"message": "Internal error", "__type": "InternalServerError"})
    return "500 Internal Server Error", [("Content-Type", "application/json"), ("x-amzn-ErrorType", "InternalServerError")], body


def throttled_response(service):
    rid = "emulated-throttle"
    if service == "s3":
        body = f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>{rid}</RequestId></Error>'
        return "503 Slow Down", [("Content-Type", "application/xml")], body
    if service == "sns":
        body = f"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>{rid}</RequestId></ErrorResponse>"
        return "400 Bad Request", [("Content-Type", "text/xml")], body
    if service == "guardduty":
        body = json.dumps({"message": "Rate exceeded", "__type": "TooManyRequestsException"})
        return "429 Too Many Requests", [("Content-Type", "application/json"), ("x-amzn-ErrorType", "TooManyRequestsException")], body
    body = json.dumps({"message": "Rate exceeded", "__type": "ThrottlingException"})
    return "400 Bad Request", [("Content-Type", "application/json"), ("x-amzn-ErrorType", "ThrottlingException")], body


class Throttler:
    """WSGI middleware refusing every N-th call of chosen operations with the service's throttling error, delaying
    calls, and counting calls in flight."""

    def __init__(self, app, every, latency, outages=None):
        self.app, self.every, self.latency, self.outages = app, every, latency, outages or {}
        self.calls, self.refused, self.in_flight, self.max_in_flight = {}, {}, {}, {}
        self.outage_calls, self.failed = {}, {}
        self.lock = threading.Lock()

    @staticmethod
    def operation(environ):
        auth = environ.get("HTTP_AUTHORIZATION", "")
        match = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/", auth)
        service = match.group(1) if match else ""
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD")
        if service == "s3" and method == "GET" and len([p for p in path.split("/") if p]) >= 2:
            return service, "s3:GetObject"
        if service == "guardduty" and path.endswith("/findings/get"):
            return service, "guardduty:GetFindings"
        if service == "guardduty" and path.endswith("/findings"):
            return service, "guardduty:ListFindings"
        if service == "dynamodb":
            return service, "dynamodb:" + environ.get("HTTP_X_AMZ_TARGET", "").rpartition(".")[2]
        if service == "sagemaker" and path.endswith("/invocations"):
            return "sagemaker-runtime", "sagemaker-runtime:InvokeEndpoint"
        if service == "sns":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)
            action = parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]
            return service, f"sns:{action}"
        return service, None

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == "/_emulation/stats":
            with self.lock:
                body = json.dumps(
                {"refused": self.refused, "max_in_flight": self.max_in_flight, "failed": self.failed}
            ).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if environ.get("PATH_INFO", "").startswith("/_emulation/guardduty/"):
            return self.guardduty(environ, start_response)
        service, op = self.operation(environ)
        if op is None:
            return self.app(environ, start_response)
        with self.lock:
            self.in_flight[op] = self.in_flight.get(op, 0) + 1
            self.max_in_flight[op] = max(self.max_in_flight.get(op, 0), self.in_flight[op])
        try:
            if op in self.latency:
                time.sleep(self.latency[op])
            return self.respond(service, op, environ, start_response)
        finally:
            with self.lock:
                self.in_flight[op] -= 1

    @staticmethod
    def guardduty(environ, start_response):
        """The emulator's GuardDuty controls: recurrences, and the events published."""
        path = environ["PATH_INFO"]
        if path.endswith("/events"):
            with EVENTS_LOCK:
                status, answer = "200 OK", list(EVENTS)
        elif path.endswith("/recur") and environ.get("REQUEST_METHOD") == "POST":
            request = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)) or b"{}")
            finding = recur(request.get("id"), int(request.get("times", 1)))
            status, answer = ("200 OK", finding) if finding else ("404 Not Found", {"message": "no such finding"})
        else:
            status, answer = "404 Not Found", {"message": f"unknown emulation path {path}"}
        body = json.dumps(answer).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    def respond(self, service, op, environ, start_response):
        if op in self.outages:
            first, count = self.outages[op]
            with self.lock:
                self.outage_calls[op] = self.outage_calls.get(op, 0) + 1
                down = first <= self.outage_calls[op] < first + count
                if down:
                    self.failed[op] = self.failed.get(op, 0) + 1
            if down:
                status, headers, body = outage_response(service)
                start_response(status, headers + [("Content-Length", str(len(body.encode())))])
                return [body.encode()]
        if op in self.every:
            with self.lock:
                self.calls[op] = self.calls.get(op, 0) + 1
                refuse = self.calls[op] % self.every[op] == 0
                if refuse:
                    self.refused[op] = self.refused.get(op, 0) + 1
            if refuse:
                status, headers, body = throttled_response(service)
                start_response(status, headers + [("Content-Length", str(len(body.encode())))])
                return [body.encode()]
        return self.app(environ, start_response)


# --- Athena over the trail bucket ----------------------------------------------------------------------------------
#
# moto records Athena queries but runs none (its answers are whatever a test queued). Here the CloudTrail table's DDL
# is kept (GetTableMetadata answers with its properties, as Glue stores them) and the workshop's query is run for real
# over the trail objects in moto's S3: the days, accounts and regions of its WHERE clause through the table's
# partition projection, every object under those folders read (as Athena does, so a stray file is a HIVE_CURSOR_ERROR),
# its rows grouped by the selected columns and counted, and the answer written where Athena writes it
# (OUTPUT_LOCATION/ID.csv, every value quoted, NULL empty), with the bytes scanned in the statistics. A query's own
# failures are Athena's: a missing database, an output bucket that does not exist, a trail bucket of another account.

import gzip as _gzip
from datetime import date as _date, timedelta as _timedelta

from moto.athena.exceptions import MetadataException
from moto.athena.models import AthenaBackend
from moto.athena.responses import AthenaResponse

import moto.core.request as _moto_request
import moto.core.routing as _moto_routing

_moto_protocol = _moto_request.determine_request_protocol


def determine_request_protocol(service_model, request):
    """Athena speaks AWS JSON 1.1 (`X-Amz-Target: AmazonAthena.…`), as every SDK calls it; botocore's newest model
    lists rest-json only, so moto's router would answer 404 to the SDK's requests."""
    if service_model.service_name == "athena" and (request.content_type or "").startswith("application/x-amz-json"):
        return "json"
    return _moto_protocol(service_model, request)


_moto_routing.determine_request_protocol = determine_request_protocol
_moto_json_router_init = _moto_routing.JSONRouter.__init__


def json_router_init(self, service_model):
    _moto_json_router_init(self, service_model)
    if service_model.service_name == "athena" and not self._operations_by_target:
        self._operations_by_target = {
            f"AmazonAthena.{name}": service_model.operation_model(name) for name in service_model.operation_names
        }


_moto_routing.JSONRouter.__init__ = json_router_init

ATHENA_TABLES = {}  # (account, region, database, table) -> {"parameters": {...}, "location": "s3://..."}
ATHENA_RUNS = {}  # query execution id -> {"reason": str | None, "scanned": int, "engine_ms": int}


class QueryFailed(Exception):
    """A query that Athena accepts and then fails (State FAILED, with this StateChangeReason)."""


class AthenaInvalidRequest(JsonRESTError):
    code = 400

    def __init__(self, message):
        super().__init__("InvalidRequestException", message)


def moto_bucket(account, name):
    located = bucket_home(name)
    if located is None:
        return None, None
    return s3_backends[located[1]]["aws"].get_bucket(name), located[1]


def split_s3(uri):
    rest = uri[len("s3://"):] if uri.startswith("s3://") else ""
    bucket, _, key = rest.partition("/")
    return bucket, key


CREATE_TABLE = re.compile(r"^\s*CREATE\s+EXTERNAL\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?`?(\w+)`?\.`?(\w+)`?", re.I)


def create_table(backend, query, catalog):
    match = CREATE_TABLE.match(query)
    database, table = match.group(1).lower(), match.group(2).lower()
    if (catalog, database) not in backend.databases:
        raise QueryFailed(f"FAILED: SemanticException [Error 10072]: Database does not exist: {database}")
    key = (backend.account_id, backend.region_name, database, table)
    if key in ATHENA_TABLES:
        raise QueryFailed(f"FAILED: AlreadyExistsException Table {table} already exists")
    properties = query.split("TBLPROPERTIES", 1)[1] if "TBLPROPERTIES" in query else ""
    parameters = dict(re.findall(r"'([^']+)'\s*=\s*'([^']*)'", properties))
    parameters["EXTERNAL"] = "TRUE"
    location = re.search(r"LOCATION\s+'([^']+)'", query)
    ATHENA_TABLES[key] = {"parameters": parameters, "location": location.group(1) if location else ""}


def lower_keys(value):
    if isinstance(value, dict):
        return {k.lower(): lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [lower_keys(v) for v in value]
    return value


def column(record, path):
    """A STRING column of the JSON SerDe: a dotted path into the record (keys case-insensitive), NULL when absent."""
    value = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def in_list(where, name):
    match = re.search(rf"(?<![\w.]){name}\s+IN\s*\(([^)]*)\)", where, re.I)
    if match is None:
        raise QueryFailed(f"the emulator runs only queries naming their {name} partitions (WHERE {name} IN (...))")
    return re.findall(r"'([^']*)'", match.group(1))


def days_between(first, last):
    day, end = _date(*map(int, first.split("/"))), _date(*map(int, last.split("/")))
    while day <= end:
        yield day.strftime("%Y/%m/%d")
        day += _timedelta(days=1)


def read_log(uri, body):
    if body[:2] == b"\x1f\x8b":
        try:
            body = _gzip.decompress(body)
        except Exception as e:  # noqa: BLE001 - any corrupt gzip is Athena's HIVE_CURSOR_ERROR
            raise QueryFailed(f"HIVE_CURSOR_ERROR: {e} (file {uri})")
    try:
        document = json.loads(body)
        records = document["Records"]
    except Exception:  # noqa: BLE001
        raise QueryFailed(
            f"HIVE_CURSOR_ERROR: Row is not a valid JSON Object - JSONException: A JSONObject text must begin with "
            f"'{{' at 1 [character 2 line 1] (file {uri})"
        )
    return [lower_keys(r) for r in records]


def select(backend, query, catalog):
    """Runs `SELECT <paths and count(*)> FROM "db"."table" WHERE account IN (..) AND region IN (..) AND
    "timestamp" BETWEEN 'a' AND 'b' GROUP BY 1, .., n`; returns (csv bytes, bytes scanned)."""
    match = re.match(r"^\s*SELECT\s+(.*?)\s+FROM\s+\"?(\w+)\"?\.\"?(\w+)\"?\s+WHERE\s+(.*?)\s+GROUP\s+BY\s+([\d,\s]+)$",
                     query, re.S | re.I)
    if match is None:
        raise QueryFailed(f"the emulator does not run this query: {query[:200]!r}")
    items, database, table, where, group_by = match.groups()
    if (catalog, database.lower()) not in backend.databases:
        raise QueryFailed(f"SCHEMA_NOT_FOUND: line 1:1: Schema '{database}' does not exist")
    spec = ATHENA_TABLES.get((backend.account_id, backend.region_name, database.lower(), table.lower()))
    if spec is None:
        raise QueryFailed(f"TABLE_NOT_FOUND: line 1:1: Table 'awsdatacatalog.{database}.{table}' does not exist")
    columns = []
    for item in items.split(","):
        expr, _, alias = item.strip().partition(" AS ")
        columns.append((expr.strip().lower(), alias.strip() or expr.strip()))
    grouped = [i for i, (expr, _) in enumerate(columns) if expr != "count(*)"]
    if sorted(int(n) for n in group_by.replace(" ", "").split(",") if n) != [i + 1 for i in grouped]:
        raise QueryFailed("SYNTAX_ERROR: the GROUP BY must list every column that is not count(*)")
    parameters = spec["parameters"]
    enum = lambda name: parameters.get(f"projection.{name}.values", "").split(",")  # noqa: E731
    accounts = [a for a in in_list(where, "account") if a in enum("account")]
    regions = [r for r in in_list(where, "region") if r in enum("region")]
    between = re.search(r"\"timestamp\"\s+BETWEEN\s+'([^']+)'\s+AND\s+'([^']+)'", where, re.I)
    if between is None:
        raise QueryFailed("the emulator runs only queries naming their days (\"timestamp\" BETWEEN 'a' AND 'b')")
    start = parameters.get("projection.timestamp.range", "").split(",")[0]
    days = [d for d in days_between(*between.groups()) if d >= start]
    template = parameters["storage.location.template"]
    counts, scanned = {}, 0
    for account in accounts:
        for region in regions:
            for day in days:
                folder = template.replace("${account}", account).replace("${region}", region)
                folder = folder.replace("${timestamp}", day).rstrip("/") + "/"
                bucket_name, prefix = split_s3(folder)
                bucket, owner = moto_bucket(backend.account_id, bucket_name)
                if bucket is None:
                    raise QueryFailed(f"HIVE_PATH_ALREADY_EXISTS: bucket {bucket_name} does not exist (NoSuchBucket)")
                if owner != backend.account_id:
                    raise QueryFailed(f"Permission denied on S3 path: {folder}")
                for name in sorted(k for k in list(bucket.keys.keys()) if k.startswith(prefix)):
                    key = bucket.keys[name]
                    scanned += key.size
                    for record in read_log(f"s3://{bucket_name}/{name}", key.value):
                        row = tuple(column(record, expr) for i, (expr, _) in enumerate(columns) if i in grouped)
                        counts[row] = counts.get(row, 0) + 1

    def quote(value):
        return "" if value is None else '"' + str(value).replace('"', '""') + '"'

    lines = [",".join(quote(alias) for _, alias in columns)]
    for row, n in counts.items():
        values, it = [], iter(row)
        for i, _ in enumerate(columns):
            values.append(next(it) if i in grouped else str(n))
        lines.append(",".join(quote(v) for v in values))
    return ("\n".join(lines) + "\n").encode(), scanned


def run_athena_query(backend, execution, query, context):
    catalog = (context or {}).get("Catalog", "AwsDataCatalog") if isinstance(context, dict) else "AwsDataCatalog"
    output = (execution.config or {}).get("OutputLocation")
    out_bucket, out_key = split_s3(output or "")
    bucket, owner = moto_bucket(backend.account_id, out_bucket)
    if bucket is None:
        raise QueryFailed(f"Unable to verify/create output bucket {out_bucket}")
    if CREATE_TABLE.match(query):
        create_table(backend, query, catalog)
        body, scanned = b"", 0
    else:
        body, scanned = select(backend, query, catalog)
    s3_backends[owner]["aws"].put_object(bucket_name=out_bucket, key_name=out_key, value=body)
    return scanned


_moto_start_query_execution = AthenaBackend.start_query_execution


def start_query_execution(self, query, context, config, workgroup, execution_parameters):
    group = self.work_groups.get(workgroup or "primary")
    if not (config or {}).get("OutputLocation"):
        fallback = ((group.configuration if group else {}) or {}).get("ResultConfiguration", {}).get("OutputLocation")
        if not fallback:
            raise AthenaInvalidRequest(
                "No output location provided. An output location is required either through the Workgroup result "
                "configuration setting or as an API input."
            )
        config = dict(config or {}, OutputLocation=fallback)
    exec_id = _moto_start_query_execution(self, query, context, config, workgroup, execution_parameters)
    execution = self.executions[exec_id]
    started = time.time()
    try:
        scanned = run_athena_query(self, execution, query, context)
        ATHENA_RUNS[exec_id] = {"reason": None, "scanned": scanned, "engine_ms": int((time.time() - started) * 1000)}
    except QueryFailed as e:
        ATHENA_RUNS[exec_id] = {"reason": str(e), "scanned": 0, "engine_ms": 0}
        execution.status = "FAILED"
    return exec_id


AthenaBackend.start_query_execution = start_query_execution

_moto_get_query_execution = AthenaResponse.get_query_execution


def get_query_execution(self):
    answer = json.loads(_moto_get_query_execution(self))
    run = ATHENA_RUNS.get(self._get_param("QueryExecutionId"))
    if run is not None:
        execution = answer["QueryExecution"]
        execution["Statistics"]["DataScannedInBytes"] = run["scanned"]
        execution["Statistics"]["EngineExecutionTimeInMillis"] = run["engine_ms"]
        execution["Statistics"]["TotalExecutionTimeInMillis"] = run["engine_ms"]
        if run["reason"] is not None:
            execution["Status"]["State"] = "FAILED"
            execution["Status"]["StateChangeReason"] = run["reason"]
            execution["Status"]["AthenaError"] = {"ErrorCategory": 2, "ErrorMessage": run["reason"]}
    return json.dumps(answer)


def get_table_metadata(self):
    catalog, database = self._get_param("CatalogName"), self._get_param("DatabaseName").lower()
    name = self._get_param("TableName").lower()
    backend = self.athena_backend
    if (catalog, database) not in backend.databases:
        raise MetadataException(f"Database {database} not found. (Service: AmazonDataCatalog; Status Code: 400; "
                                "Error Code: EntityNotFoundException)")
    spec = ATHENA_TABLES.get((backend.account_id, backend.region_name, database, name))
    if spec is None:
        raise MetadataException(f"Table {name} not found. (Service: AmazonDataCatalog; Status Code: 400; "
                                "Error Code: EntityNotFoundException)")
    partitions = [{"Name": p, "Type": "string"} for p in ("account", "region", "timestamp")]
    return json.dumps({"TableMetadata": {"Name": name, "CreateTime": time.time(), "TableType": "EXTERNAL_TABLE",
                                         "Columns": [], "PartitionKeys": partitions,
                                         "Parameters": dict(spec["parameters"], location=spec["location"])}})


AthenaResponse.get_query_execution = get_query_execution
AthenaResponse.get_table_metadata = get_table_metadata


# --- main ------------------------------------------------------------------------------------------------------------


def client(url, service):
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 10, "mode": "standard"}),
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ready-file", required=True)
    parser.add_argument("--findings")
    parser.add_argument("--endpoint", action="append", default=[])
    parser.add_argument("--throttle", action="append", default=[])
    parser.add_argument("--latency", action="append", default=[])
    parser.add_argument("--outage", action="append", default=[])
    parser.add_argument("--iam-propagation-seconds", type=float, default=0.0)
    parser.add_argument("--queue-deleted-wait-seconds", type=float, default=60.0)
    parser.add_argument("--table-deleting-seconds", type=float, default=0.0)
    parser.add_argument("--lambda-busy-seconds", type=float, default=1.0)
    args = parser.parse_args()
    LAMBDA_BUSY_SECONDS[0] = args.lambda_busy_seconds
    IAM_PROPAGATION_SECONDS[0] = args.iam_propagation_seconds
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    every = {}
    for spec in args.throttle:
        op, _, n = spec.partition("=")
        every[op] = int(n)
        if every[op] < 2:
            sys.exit(f"--throttle {spec}: N must be at least 2 (every call refused is an outage, not throttling)")
    latency = {op: float(s) for op, _, s in (spec.partition("=") for spec in args.latency)}
    outages = {}
    for spec in args.outage:
        op, _, window = spec.partition("=")
        first, _, count = window.partition(":")
        outages[op] = (int(first), int(count or 1))
    backend = QueueGate(BucketGate(DomainDispatcherApplication(create_backend_app)), args.queue_deleted_wait_seconds)
    backend = TableGate(backend, args.table_deleting_seconds)
    app = Throttler(backend, every, latency, outages)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"

    detector_id = client(url, "guardduty").create_detector(Enable=True)["DetectorId"]
    if args.findings:
        seed_findings(args.findings, detector_id)
    sagemaker = client(url, "sagemaker")
    role = f"arn:aws:iam::{ACCOUNT}:role/service-role/AmazonSageMaker-ExecutionRole"
    for spec in args.endpoint:
        name, _, server_url = spec.partition("=")
        sagemaker.create_model(
            ModelName=name,
            PrimaryContainer={"Image": f"382416733822.dkr.ecr.{REGION}.amazonaws.com/ipinsights:1", "ModelDataUrl": f"s3://models/{name}/model.tar.gz"},
            ExecutionRoleArn=role,
        )
        sagemaker.create_endpoint_config(
            EndpointConfigName=name,
            ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1, "InstanceType": "ml.m5.xlarge"}],
        )
        sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)
        ENDPOINTS[name] = server_url

    tmp = args.ready_file + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"url": url, "detector_id": detector_id, "findings": len(FINDINGS.get(detector_id, []))}, f)
    os.replace(tmp, args.ready_file)
    sys.stdin.read()  # until the test closes our stdin (or dies)
    server.shutdown()


if __name__ == "__main__":
    main()
