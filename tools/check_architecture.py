#!/usr/bin/env python3
"""Checks the seam rules of ARCHITECTURE.md that cargo can see: which crate may depend on which, and what each
crate must not pull in. Run by scripts/run-tests' fast stage; python3 only, no virtualenv, no network.

Each rule names itself in its failure, with the crate and the dependency that breaks it.
"""
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The crate graph of ARCHITECTURE.md: each workspace crate and the workspace crates it may depend on (normal and
# build dependencies; tests may use any crate). An arrow not listed here is a new seam: add it here and to the
# graph in ARCHITECTURE.md in the same change, or move the code.
MAY_DEPEND_ON = {
    "ipinsights-sagemaker-facts": set(),
    "ipinsights-attempts": set(),
    "ipinsights-atomic-file": set(),
    "ipinsights-engine": {"ipinsights-sagemaker-facts", "ipinsights-atomic-file"},
    "ipinsights-contract": {"ipinsights-sagemaker-facts"},
    "ipinsights-protocol": {"ipinsights-engine", "ipinsights-sagemaker-facts"},
    "ipinsights-security-logs": {"ipinsights-engine", "ipinsights-sagemaker-facts"},
    "ipinsights-simulated-account": {"ipinsights-security-logs", "ipinsights-engine",
                                     "ipinsights-sagemaker-facts"},
    "ipinsights-client": {"ipinsights-protocol", "ipinsights-engine", "ipinsights-sagemaker-facts"},
    "ipinsights-server": {"ipinsights-protocol", "ipinsights-engine", "ipinsights-sagemaker-facts"},
    "ipinsights-aws-calls": {"ipinsights-sagemaker-facts", "ipinsights-attempts", "ipinsights-atomic-file"},
    "ipinsights-detect": {"ipinsights-client", "ipinsights-protocol", "ipinsights-security-logs",
                          "ipinsights-engine", "ipinsights-sagemaker-facts", "ipinsights-attempts"},
    "ipinsights-account": {"ipinsights-aws-calls", "ipinsights-detect", "ipinsights-attempts",
                           "ipinsights-security-logs", "ipinsights-client", "ipinsights-protocol",
                           "ipinsights-engine", "ipinsights-sagemaker-facts"},
    "ipinsights-cli": {"ipinsights-server", "ipinsights-contract", "ipinsights-client", "ipinsights-detect",
                       "ipinsights-security-logs", "ipinsights-simulated-account", "ipinsights-protocol",
                       "ipinsights-engine", "ipinsights-sagemaker-facts"},
    "ipinsights-workshop": {"ipinsights-account", "ipinsights-aws-calls", "ipinsights-contract",
                            "ipinsights-detect", "ipinsights-security-logs", "ipinsights-simulated-account",
                            "ipinsights-client", "ipinsights-protocol", "ipinsights-engine",
                            "ipinsights-sagemaker-facts", "ipinsights-attempts"},
    # What the integration tests share: a dev-dependency only (checked below), so it may use any crate.
    "ipinsights-test-support": {"ipinsights-aws-calls", "ipinsights-sagemaker-facts", "ipinsights-engine",
                                "ipinsights-attempts", "ipinsights-atomic-file"},
}

# Crates that may only ever be dev-dependencies.
DEV_ONLY = {"ipinsights-test-support"}

# External crates a crate must not depend on, and the rule of ARCHITECTURE.md each refusal keeps.
ASYNC_OR_NETWORK = re.compile(r"^(tokio|hyper|hyper-util|http|http-body|ureq|reqwest|aws-.*|lambda_runtime)$")
MUST_NOT = {
    "ipinsights-sagemaker-facts": (ASYNC_OR_NETWORK, "the facts crate does no I/O"),
    "ipinsights-engine": (ASYNC_OR_NETWORK, "the engine uses no async, HTTP or AWS"),
    "ipinsights-protocol": (ASYNC_OR_NETWORK, "the protocol's codecs know nothing of HTTP"),
    "ipinsights-contract": (ASYNC_OR_NETWORK, "the process contract is plain serde types"),
    "ipinsights-security-logs": (re.compile(r"^(aws-.*|tokio|hyper|ureq)$"),
                                 "the log readers read bytes they are given; fetching them is the account crate's"),
    "ipinsights-client": (re.compile(r"^aws-.*$"), "the client knows nothing of AWS"),
}

# Source text the facts crate must not hold: it states SageMaker's rules and does no I/O.
FACTS_IO = re.compile(r"\bstd::(fs|process)\b|\bstd::net::(TcpStream|TcpListener|UdpSocket)\b|\btokio::")


def metadata():
    out = subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps", "--offline"],
                         cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def check_graph(packages, problems):
    names = {p["name"] for p in packages}
    for name in sorted(names - MAY_DEPEND_ON.keys()):
        problems.append(f"crate graph: {name} is not in tools/check_architecture.py's MAY_DEPEND_ON")
    for p in packages:
        allowed = MAY_DEPEND_ON.get(p["name"], set())
        for dep in p["dependencies"]:
            if dep["kind"] == "dev":
                continue
            if dep["name"] in DEV_ONLY:
                problems.append(f"dev only: {p['name']} has {dep['name']} as a normal dependency")
            if dep["name"] in names and dep["name"] not in allowed:
                problems.append(f"crate graph: {p['name']} depends on {dep['name']}, an arrow "
                                "ARCHITECTURE.md does not allow")
            rule = MUST_NOT.get(p["name"])
            if rule and rule[0].match(dep["name"]):
                problems.append(f"must not: {p['name']} depends on {dep['name']} ({rule[1]})")


def check_facts_source(problems):
    src = os.path.join(ROOT, "helpers", "sagemaker-facts", "src")
    for folder, _, files in os.walk(src):
        for f in sorted(files):
            path = os.path.join(folder, f)
            with open(path, encoding="utf-8") as text:
                for number, line in enumerate(text, 1):
                    if line.lstrip().startswith("//"):
                        continue
                    if FACTS_IO.search(line):
                        rel = os.path.relpath(path, ROOT)
                        problems.append(f"must not: {rel}:{number} does I/O in the facts crate: {line.strip()}")


def main():
    packages = metadata()["packages"]
    problems = []
    check_graph(packages, problems)
    check_facts_source(problems)
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"{len(problems)} seam rule(s) of ARCHITECTURE.md broken", file=sys.stderr)
        return 1
    print(f"seam rules of ARCHITECTURE.md: {len(packages)} crates, graph and must-nots hold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
