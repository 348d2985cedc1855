"""Executes every notebook in notebooks/ with the real evcxr Rust kernel (nbclient) and checks what it shows.

A notebook fails on: any error output; `Error`/`panicked`/compiler errors on stderr (evcxr reports a cell's `Err`
there and still calls the cell a success, so we read the outputs); a cell tagged `plot` without an inline SVG;
key numbers that are not sane (most training pairs score > 0, GuardDuty scores lower on average than training,
the MFA threshold below the analyst-review one, at least one alert); or an endpoint process left running.

With `--backend aws` the same notebooks run as an attendee would run them on AWS: the helper crate loaded with its
`aws` feature and IPINSIGHTS_BACKEND=aws, against an emulated account on loopback (moto, with training jobs and
endpoints run by our algorithm binary: see tests/aws_emulation.py). The same checks apply, and every endpoint the
notebook created must have been deleted through the API by the end.

Usage: python tests/notebooks.py [--backend local|aws] [--out DIR] [--html] [NOTEBOOK ...]
"""
import argparse
import copy
import glob
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timezone

import nbformat
from nbclient import NotebookClient

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def outputs_text(cell, kinds=("stream", "execute_result", "display_data", "error")):
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type not in kinds:
            continue
        if out.output_type == "stream":
            parts.append(out.get("text", ""))
        elif out.output_type == "error":
            parts.append(f"{out.get('ename', '')}: {out.get('evalue', '')}")
        else:
            data = out.get("data", {})
            parts.append(data.get("text/plain", "") + data.get("text/html", ""))
    return "".join(parts)


def stderr_text(cell):
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream" and o.get("name") == "stderr")


def stdout_text(cell):
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream" and o.get("name") == "stdout")


def check_cells(nb):
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        where = f"cell {index} ({cell.source.splitlines()[0][:60] if cell.source else ''!r})"
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                problems.append(f"{where}: error output {out.get('ename')}: {out.get('evalue')}")
        err = stderr_text(cell)
        if re.search(r"(^|\n)\s*(Error|error)(\[E\d+\])?:|panicked|thread '.*' panicked", err):
            problems.append(f"{where}: error on stderr: {err.strip()[:500]}")
        if "plot" in cell.metadata.get("tags", []):
            html = "".join(o.get("data", {}).get("text/html", "") for o in cell.get("outputs", []) if o.output_type in ("display_data", "execute_result"))
            if "<svg" not in html:
                problems.append(f"{where}: tagged plot but shows no inline SVG")
    return problems


def tagged(nb, tag):
    return next((c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])), None)


def check_numbers(nb):
    """Sanity of the key numbers, for notebooks that have the workshop's tagged cells."""
    problems = []
    cell = tagged(nb, "train-scores")
    if cell is not None:
        m = re.search(r"Training pairs scoring > 0: ([\d.]+) %", stdout_text(cell))
        if not m or float(m.group(1)) <= 50.0:
            problems.append(f"training pairs: most should score > 0, got {m.group(1) if m else 'no figure'}")
    cell = tagged(nb, "guardduty-scores")
    if cell is not None:
        m = re.search(r"Mean dot_product: training (-?[\d.]+), GuardDuty (-?[\d.]+)", stdout_text(cell))
        if not m or float(m.group(2)) >= float(m.group(1)):
            problems.append(f"GuardDuty scores should be lower on average than training: {m.group(0) if m else 'no figure'}")
    cell = tagged(nb, "thresholds")
    if cell is not None:
        text = stdout_text(cell)
        review = re.search(r"Analyst review: .*?: threshold (-?[\d.e+-]+) ", text)
        mfa = re.search(r"Ask for MFA: +.*?: threshold (-?[\d.e+-]+) ", text)
        if not review or not mfa or float(mfa.group(1)) > float(review.group(1)):
            problems.append(f"thresholds should be ordered (MFA ≤ analyst review): {text.strip()[:300]}")
    cell = tagged(nb, "fit-validation")
    if cell is not None:
        aucs = re.findall(r"validation discriminator_auc <score>=([\d.]+)", stdout_text(cell) + stderr_text(cell))
        if not aucs or float(aucs[-1]) < 0.9:
            problems.append(f"training with a validation channel should log validation AUC ≥ 0.9 per epoch: {aucs}")
    cell = tagged(nb, "evaluation")
    if cell is not None:
        text = stdout_text(cell)
        auc = re.search(r"^AUC: ([\d.]+)", text, re.M)
        clean = re.search(r"AUC without the travelling logins: ([\d.]+)", text)
        if not auc or float(auc.group(1)) < 0.95 or not clean or float(clean.group(1)) < float(auc.group(1)):
            problems.append(f"test-set AUC should be ≥ 0.95, and higher without travelling logins: {text.strip()[:300]}")
    cell = tagged(nb, "embeddings")
    if cell is not None:
        for dot, product in re.findall(r"dot_product (-?[\d.]+) = entity · ip \(\d+ dimensions: (-?[\d.]+)\)", stdout_text(cell)):
            if abs(float(dot) - float(product)) > 1e-3 * max(1.0, abs(float(dot))):
                problems.append(f"verbose embeddings should multiply to the dot_product: {dot} vs {product}")
        if "dimensions" not in stdout_text(cell):
            problems.append("the embeddings cell shows no embeddings")
    cell = tagged(nb, "detection")
    if cell is not None:
        m = re.search(r"(\d+) findings scored: (\d+) alerts", stdout_text(cell))
        if not m or int(m.group(2)) == 0:
            problems.append(f"live detection should raise alerts: {m.group(0) if m else 'no summary'}")
    return problems


def finished_at(cell):
    """When the kernel finished the cell (nbclient's timing metadata), as a Unix time, or None."""
    stamp = cell.get("metadata", {}).get("execution", {}).get("shell.execute_reply")
    if not stamp:
        return None
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()


def timing_summary(nb, started):
    """Seconds from starting the kernel to the end of: the `:dep` cell (compiling the helpers), the GuardDuty
    histogram (the workshop's goal: ≤ 60 s with warm caches), and the last cell."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    marks = []
    dep = next((c for c in code if c.source.lstrip().startswith(":dep")), None)
    if dep is not None and finished_at(dep):
        marks.append(f"helpers loaded {finished_at(dep) - started:.0f} s")
    overlay = tagged(nb, "guardduty-plot")
    if overlay is not None and finished_at(overlay):
        marks.append(f"GuardDuty histogram {finished_at(overlay) - started:.0f} s")
    if code and finished_at(code[-1]):
        marks.append(f"last cell {finished_at(code[-1]) - started:.0f} s")
    return "timing from kernel start: " + (", ".join(marks) if marks else "no cell timings recorded")


def endpoint_processes():
    try:
        out = subprocess.run(["pgrep", "-af", "ipinsights serve"], capture_output=True, text=True).stdout
    except FileNotFoundError:
        return []
    return [line for line in out.splitlines() if "pgrep" not in line]


AWS_FEATURE_DEP = re.compile(r'^(:dep ipinsights-workshop = \{ path = "[^"]+")( \})', re.M)
WORKSHOP_BUCKET = "ipinsights-workshop-bucket"
TEST_ROLE_ARN = "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-Workshop"


def switch_to_aws(nb):
    """Loads the helper crate with its `aws` feature: the one-line change the README asks of attendees."""
    for cell in nb.cells:
        if cell.cell_type == "code" and AWS_FEATURE_DEP.search(cell.source):
            cell.source = AWS_FEATURE_DEP.sub(r'\1, features = ["aws"]\2', cell.source)
            return True
    return False


def run(path, out_dir, html, backend="local"):
    if backend == "aws":
        return run_on_emulated_aws(path, out_dir, html)
    return execute(path, out_dir, html, backend)


def run_on_emulated_aws(path, out_dir, html):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from aws_emulation import EmulatedAws

    binary = os.path.join(ROOT, "target", "release", "ipinsights")
    saved_env = dict(os.environ)
    with EmulatedAws(binary) as aws:
        aws.create_bucket(WORKSHOP_BUCKET)
        os.environ.update(aws.kernel_environment(TEST_ROLE_ARN))
        try:
            problems, seconds = execute(path, out_dir, html, "aws")
        finally:
            os.environ.clear()
            os.environ.update(saved_env)
        if not aws.containers.trained:
            problems.append("no training job ran on the emulated SageMaker")
        if aws.containers.running_endpoints():
            problems.append(f"endpoints still in service after the notebook: {aws.containers.running_endpoints()}")
    return problems, seconds


def execute(path, out_dir, html, backend):
    nb = nbformat.read(path, as_version=4)
    executed = copy.deepcopy(nb)
    if backend == "aws" and not switch_to_aws(executed):
        return ["no `:dep ipinsights-workshop = { path = ... }` cell to load the aws feature in"], 0.0
    # A panic must fail its cell (and the run), not just print to stderr.
    executed.cells.insert(0, nbformat.v4.new_code_cell(":preserve_vars_on_panic 0"))
    before = set(endpoint_processes())
    started = time.time()
    client = NotebookClient(
        executed,
        kernel_name="rust",
        timeout=1800,
        startup_timeout=300,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
    )
    problems = []
    try:
        client.execute()
    except Exception as exc:  # a failing cell stops the run; report it with the checks below
        problems.append(f"execution stopped: {type(exc).__name__}: {str(exc)[-800:]}")
    seconds = time.time() - started
    print(timing_summary(executed, started), flush=True)
    problems += check_cells(executed) + check_numbers(executed)
    time.sleep(1.0)
    leftover = [p for p in endpoint_processes() if p not in before]
    if leftover:
        problems.append(f"endpoint processes left running after the kernel exited: {leftover}")
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
        base = os.path.join(out_dir, os.path.splitext(os.path.basename(path))[0])
        executed.cells.pop(0)
        nbformat.write(executed, base + ".ipynb")
        if html:
            from nbconvert import HTMLExporter
            body, _ = HTMLExporter().from_notebook_node(executed)
            with open(base + ".html", "w", encoding="utf-8") as f:
                f.write(body)
    return problems, seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("notebooks", nargs="*")
    parser.add_argument("--out", default=None, help="write executed notebooks (and HTML with --html) here")
    parser.add_argument("--html", action="store_true")
    parser.add_argument("--backend", choices=["local", "aws"], default="local", help="aws: run against an emulated AWS account")
    args = parser.parse_args()
    paths = args.notebooks or sorted(glob.glob(os.path.join(ROOT, "notebooks", "*.ipynb")))
    passed = failed = 0
    for path in paths:
        print(f"== {os.path.relpath(path, ROOT)} ({args.backend} backend)", flush=True)
        problems, seconds = run(path, args.out, args.html, args.backend)
        if problems:
            failed += 1
            print(f"FAILED after {seconds:.0f} s:")
            for p in problems:
                print(f"  - {p}")
        else:
            passed += 1
            print(f"ok ({seconds:.0f} s)")
    print(f"notebooks: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
