"""Executes every notebook in notebooks/ with the real evcxr Rust kernel (nbclient) and checks what it shows.

A notebook fails on: any error output; anything a cell writes to stderr (evcxr prints a cell's `Err`, such as the
facade's WorkshopError, there and still calls the cell a success, so we read the outputs); a cell tagged `plot`
without an inline `image/svg+xml` figure; a tagged cell the checks need that is missing; key numbers that are not
sane (≥ 95 % of training pairs score > 0, GuardDuty scores lower on average than held-out normal pairs, the MFA
threshold below the analyst-review one, at least one alert), or that contradict what the markdown says of our runs
(findings below the normal pairs; the AUC per attack kind, the same-/16 attacker the hardest); a production cell that deploys; or an endpoint that outlives `delete_endpoint`: the cleanup cell must print `Deleted endpoint NAME` and the endpoint (the local
`ipinsights serve` process, or the emulated SageMaker endpoint) must be gone right after that cell, while the
kernel still runs (the local endpoint also exits with its kernel, which would hide a broken delete).

Cells are found by their tags (tools/nbcells.py's `code(src, "tag")`) and judged by their outputs, never by their
code. With `--backend aws` the same notebooks run as an attendee would run them on AWS, after the attendee's two
edits (the `aws` feature on the `:dep` line, `Session::aws()` in the setup cell), against an emulated account on loopback (moto, with training jobs and
endpoints run by our algorithm binary: see tests/aws_emulation.py). The same checks apply.

It prints per-cell timings (the goals: every cell but `fit` ≤ 1.5 s, the whole workshop ≤ 20 s from kernel start
with a warm build folder) and the in-notebook bulk-scoring rate.

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
from nbclient.exceptions import CellExecutionError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The tagged cells each notebook must have: the checks below read them, so a missing one fails the run.
REQUIRED_TAGS = {
    "ip-insights-workshop.ipynb": [
        "dep", "setup", "data-source", "training-data", "fit", "job-name", "deploy", "train-scores", "guardduty-scores",
        "guardduty-plot", "guardduty-interpretation", "thresholds", "attack-kinds", "detection", "production", "cleanup",
    ],
    "ip-insights-tutorial.ipynb": [
        "dep", "setup", "tutorial-data", "fit-validation", "deploy", "bulk-scoring", "evaluation", "embeddings",
        "batch-transform", "cleanup",
    ],
}
MIN_TRAINING_SHARE_ABOVE_ZERO = 95.0


def stream_text(cell, name):
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream" and o.get("name") == name)


def stdout_text(cell):
    return stream_text(cell, "stdout")


def stderr_text(cell):
    return stream_text(cell, "stderr")


def tags_of(cell):
    return cell.get("metadata", {}).get("tags", [])


def where(index, cell):
    first = cell.source.splitlines()[0][:60] if cell.source else ""
    return f"cell {index} ({first!r})"


def check_cells(nb):
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                problems.append(f"{where(index, cell)}: error output {out.get('ename')}: {out.get('evalue')}")
        err = stderr_text(cell).strip()
        if err:
            # evcxr prints a cell's Err (the facade's WorkshopError: its Debug form is its one-line message) or a
            # panic there; the kernel may deliver it with the following cell.
            problems.append(f"{where(index, cell)} or the cell before: wrote to stderr (an Err or a panic): {err[:500]}")
        for out in cell.get("outputs", []):
            # A cell whose last expression is `()` (e.g. an `if` block without `;`) shows a bare `()`: noise to a reader.
            if out.output_type == "execute_result" and out.get("data", {}).get("text/plain", "").strip() == "()":
                problems.append(f"{where(index, cell)}: shows a bare `()` (end its last statement with `;`)")
        if "plot" in tags_of(cell):
            svg = "".join(o.get("data", {}).get("image/svg+xml", "") for o in cell.get("outputs", []) if o.output_type in ("display_data", "execute_result"))
            if "<svg" not in svg:
                problems.append(f"{where(index, cell)}: tagged plot but shows no image/svg+xml figure")
    return problems


def tagged(nb, tag):
    return next((c for c in nb.cells if tag in tags_of(c)), None)


def check_required_tags(nb, name):
    required = REQUIRED_TAGS.get(name)
    if required is None:
        return [f"no checks are defined for {name}: add its tagged cells to REQUIRED_TAGS in tests/notebooks.py"]
    return [f"the tagged cell {tag!r} is missing, so its checks cannot run" for tag in required if tagged(nb, tag) is None]


def number(pattern, text, group=1):
    m = re.search(pattern, text, re.M)
    return float(m.group(group).replace(",", "")) if m else None


def check_numbers(nb):
    """Sanity of the key numbers printed by the tagged cells that are present (check_required_tags makes sure
    the ones a notebook needs are there)."""
    problems = []
    cell = tagged(nb, "data-source")
    if cell is not None:
        problems += check_data_source(cell)
    cell = tagged(nb, "production")
    if cell is not None:
        problems += check_production(cell)
    cell = tagged(nb, "train-scores")
    if cell is not None:
        share = number(r"Training pairs scoring > 0: ([\d.]+) %", stdout_text(cell))
        if share is None or share < MIN_TRAINING_SHARE_ABOVE_ZERO:
            problems.append(f"training pairs: at least {MIN_TRAINING_SHARE_ABOVE_ZERO} % should score > 0, got {share}")
    cell = tagged(nb, "guardduty-scores")
    if cell is not None:
        text = stdout_text(cell)
        finding_mean = number(r"^GuardDuty findings scoring > 0: .*?\(mean dot_product (-?[\d.]+)", text)
        held_out_mean = number(r"^Held-out pairs scoring > 0: .*?\(mean dot_product (-?[\d.]+)", text)
        if finding_mean is None or held_out_mean is None or finding_mean >= held_out_mean:
            problems.append(f"GuardDuty scores should be lower on average than held-out normal pairs: {text.strip()[-300:]}")
    cell = tagged(nb, "guardduty-interpretation")
    if cell is not None:
        problems += check_interpretation(stdout_text(cell))
    cell = tagged(nb, "attack-kinds")
    if cell is not None:
        problems += check_attack_kinds(cell)
    cell = tagged(nb, "job-name")
    if cell is not None and not re.search(r"^Training job name: ipinsights-\S+", stdout_text(cell), re.M):
        problems.append(f"the job-name cell should print the training job's name: {stdout_text(cell).strip()[:200]}")
    cell = tagged(nb, "batch-transform")
    if cell is not None:
        text = stdout_text(cell)
        m = re.search(r": (\d+) scores,\s*(\d+) of them equal to the endpoint's", text)
        if not m or int(m.group(1)) == 0 or m.group(1) != m.group(2):
            problems.append(f"batch transform should give every score the endpoint gave: {text.strip()[:300]}")
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
        auc = number(r"^AUC: ([\d.]+)", text)
        clean = number(r"AUC without the travelling logins: ([\d.]+)", text)
        if auc is None or auc < 0.95 or clean is None or clean < auc:
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


def check_interpretation(text):
    """The numbers the markdown before the interpretation cell reads out, and what it says of our runs: findings'
    median below the normal one, most findings below the normal 1st percentile, a minority at or above the median."""
    medians = re.search(r"^Median dot_product: findings (-?[\d.]+), held-out normal (-?[\d.]+)", text, re.M)
    below = re.search(r"^Findings below it: (\d+) of (\d+)", text, re.M)
    typical = re.search(r"^Findings at or above the normal median: (\d+) of (\d+)", text, re.M)
    if not (medians and below and typical):
        return [f"the GuardDuty interpretation cell should print its medians and counts: {text.strip()[:400]}"]
    problems = []
    if float(medians.group(1)) >= float(medians.group(2)):
        problems.append(f"findings should have a lower median than held-out normal pairs: {medians.group(0)}")
    count = int(below.group(2))
    if int(below.group(1)) * 4 <= count or int(typical.group(1)) * 5 >= count:
        problems.append(f"the text says over a quarter of the findings fall below the normal 1st percentile and fewer than one in five at or above the normal median: {text.strip()[:400]}")
    return problems


def html_table_rows(cell):
    """The body rows (cell texts, without the index column) of the HTML table a cell shows."""
    html = "".join(o.get("data", {}).get("text/html", "") for o in cell.get("outputs", []) if o.output_type in ("display_data", "execute_result"))
    html += "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", body)]


def check_attack_kinds(cell):
    """The per-kind table: four kinds with an AUC each, and what the markdown says of our runs (random addresses
    caught almost perfectly, the same-/16 attacker less often)."""
    rows = {row[0]: row for row in html_table_rows(cell) if row}
    kinds = ["random IPv4 address", "another user's network (/24)", "cloud or VPN range", "same /16 as the user's network"]
    missing = [k for k in kinds if k not in rows]
    if missing:
        return [f"the attack-kinds table should have a row per kind; missing {missing}, got {list(rows)}"]
    auc = {k: float(rows[k][2]) for k in kinds}
    nearby = "same /16 as the user's network"
    problems = []
    if min(auc[k] for k in kinds if k != nearby) < 0.95 or auc[nearby] > min(auc[k] for k in kinds if k != nearby) - 0.05:
        problems.append(f"the text says the AUC is close to 1 for every kind but the same-/16 one, clearly lower: AUCs {auc}")
    caught = float(rows[nearby][3].rstrip(" %"))
    if caught > 10.0:
        problems.append(f"the text says the analyst-review threshold almost never catches the same-/16 attacker: {caught} %")
    mfa_flagged = [float(rows[k][6].rstrip(" %")) for k in kinds if rows[k][6].endswith("%")]
    if not mfa_flagged or max(mfa_flagged) < 10.0:
        problems.append(f"the text says a 99 % recall rule flags a large share of normal pairs for some kind: {mfa_flagged}")
    return problems


def check_data_source(cell):
    """The data-source cell's output: both the trail and the findings read."""
    problems = []
    text = stdout_text(cell)
    trail = re.search(r"^CloudTrail: read (\d+) records from (\d+) files: (\d+) tuples", text, re.M)
    findings = re.search(r"^GuardDuty: read (\d+) findings from \d+ files: (\d+) tuples", text, re.M)
    if not trail or int(trail.group(3)) == 0 or not findings or int(findings.group(2)) == 0:
        problems.append(f"the data-source cell should print the CloudTrail and GuardDuty tuples it read: {text.strip()[-400:]}")
    return problems


def check_production(cell):
    """The production cell runs clean on every backend with its flag off, and says the detector was not deployed."""
    problems = []
    if not re.search(r"^Detector not deployed \((local|aws) backend\)", stdout_text(cell), re.M):
        problems.append(f"the production cell should say the detector was not deployed: {stdout_text(cell).strip()[:200]}")
    return problems


def endpoint_processes():
    """Command lines of running `ipinsights serve` processes started from this copy of the repository (another copy's
    endpoints, e.g. a second checkout running its own notebooks on the same machine, are none of this run's)."""
    try:
        out = subprocess.run(["pgrep", "-af", "ipinsights serve"], capture_output=True, text=True).stdout
    except FileNotFoundError:
        return []
    ours = tuple({os.path.join(ROOT, ""), os.path.join(os.path.realpath(ROOT), "")})
    return [line for line in out.splitlines() if len(line.split()) > 1 and line.split()[1].startswith(ours)]


def check_cleanup(nb, cleanup_cell, endpoint_alive):
    """Right after the cleanup cell, with the kernel still running: its line, and the endpoint really gone."""
    deploy = tagged(nb, "deploy")
    name = re.search(r"Endpoint name: (\S+)", stdout_text(deploy)) if deploy is not None else None
    if not name:
        return ["the deploy cell printed no `Endpoint name: ...` line, so delete_endpoint cannot be verified"]
    name = name.group(1)
    problems = []
    if f"Deleted endpoint {name}" not in stdout_text(cleanup_cell):
        problems.append(f"the cleanup cell did not print `Deleted endpoint {name}`: {stdout_text(cleanup_cell).strip()[:200]}")
    if endpoint_alive(name):
        problems.append(f"endpoint {name} is still running after delete_endpoint (checked before the kernel shut down)")
    return problems


def local_endpoint_alive(name):
    return any(re.search(rf"--name {re.escape(name)}(\s|$)", line) for line in endpoint_processes())


def finished_at(cell, key="shell.execute_reply"):
    """When the kernel reached `key` for the cell (nbclient's timing metadata), as a Unix time, or None."""
    stamp = cell.get("metadata", {}).get("execution", {}).get(key)
    if not stamp:
        return None
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()


def cell_seconds(cell):
    start, end = finished_at(cell, "iopub.execute_input"), finished_at(cell)
    return end - start if start and end else None


def timing_summary(nb, started):
    """Seconds from starting the kernel to the end of: the `:dep` cell (compiling the helpers), the GuardDuty
    histogram, and the last cell; then the slowest cells other than training, and the bulk-scoring rate."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    marks = []
    dep = tagged(nb, "dep")
    if dep is not None and finished_at(dep):
        marks.append(f"helpers loaded {finished_at(dep) - started:.1f} s")
    overlay = tagged(nb, "guardduty-plot")
    if overlay is not None and finished_at(overlay):
        marks.append(f"GuardDuty histogram {finished_at(overlay) - started:.1f} s")
    if code and finished_at(code[-1]):
        marks.append(f"last cell {finished_at(code[-1]) - started:.1f} s")
    lines = ["timing from kernel start: " + (", ".join(marks) if marks else "no cell timings recorded")]
    after_dep = code[code.index(dep) + 1:] if dep in code else code
    timed = [(cell_seconds(c), c) for c in after_dep if cell_seconds(c) is not None]
    training = [(s, c) for s, c in timed if {"fit", "fit-validation"} & set(tags_of(c))]
    others = sorted(((s, c) for s, c in timed if (s, c) not in training), key=lambda x: -x[0])
    if others:
        slowest = ", ".join(f"{s:.2f} s {c.source.strip().splitlines()[0][:40]!r}" for s, c in others[:4])
        worst = others[0][0]
        lines.append(f"cells after loading the helpers: {len(timed)}, slowest except training: {slowest}")
        lines.append(f"goal every cell except fit ≤ 1.5 s: {'met' if worst <= 1.5 else 'NOT met'} (slowest {worst:.2f} s)")
    for s, c in training:
        lines.append(f"training cell: {s:.1f} s")
    bulk = tagged(nb, "bulk-scoring")
    if bulk is not None:
        rate = re.search(r"\(([\d.]+) pairs/s\)", stdout_text(bulk))
        if rate:
            lines.append(f"bulk scoring in the notebook: {float(rate.group(1)) / 1e6:.2f} M pairs/s (goal ≥ 1 M)")
    return "\n".join(lines)


AWS_FEATURE_DEP = re.compile(r'^(:dep ipinsights-workshop = \{ path = "[^"]+")( \})', re.M)
WORKSHOP_BUCKET = "ipinsights-workshop-bucket"
TEST_ROLE_ARN = "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-Workshop"


LOCAL_SESSION = re.compile(r"^let session = Session::local\(\)\?;", re.M)
AWS_SESSION = re.compile(r"^// (let session = Session::aws\(\)\?;)", re.M)


def switch_to_aws(nb):
    """The two edits the README asks of attendees: the `aws` feature on the `:dep` line (the cell tagged `dep`), and
    `Session::aws()` instead of `Session::local()` in the cell tagged `setup`. Returns what could not be done."""
    dep, setup = tagged(nb, "dep"), tagged(nb, "setup")
    problems = []
    if dep is None or not AWS_FEATURE_DEP.search(dep.source):
        problems.append("no `:dep ipinsights-workshop = { path = ... }` line in the cell tagged dep to load the aws feature in")
    else:
        dep.source = AWS_FEATURE_DEP.sub(r'\1, features = ["aws"]\2', dep.source)
    if setup is None or not LOCAL_SESSION.search(setup.source) or not AWS_SESSION.search(setup.source):
        problems.append("the cell tagged setup should offer `// let session = Session::aws()?;` beside `let session = Session::local()?;`")
    else:
        setup.source = AWS_SESSION.sub(r"\1", LOCAL_SESSION.sub("// let session = Session::local()?;", setup.source))
    return problems


def run(path, out_dir, html, backend="local"):
    if backend == "aws":
        return run_on_emulated_aws(path, out_dir, html)
    return execute(path, out_dir, html, backend, local_endpoint_alive)


def run_on_emulated_aws(path, out_dir, html):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from aws_emulation import EmulatedAws

    binary = os.path.join(ROOT, "target", "release", "ipinsights")
    saved_env = dict(os.environ)
    with EmulatedAws(binary) as aws:
        aws.create_bucket(WORKSHOP_BUCKET)
        os.environ.update(aws.kernel_environment(TEST_ROLE_ARN))
        try:
            problems, seconds = execute(path, out_dir, html, "aws", lambda name: name in aws.containers.running_endpoints())
        finally:
            os.environ.clear()
            os.environ.update(saved_env)
        if not aws.containers.trained:
            problems.append("no training job ran on the emulated SageMaker")
        if aws.containers.running_endpoints():
            problems.append(f"endpoints still in service after the notebook: {aws.containers.running_endpoints()}")
    return problems, seconds


def execute(path, out_dir, html, backend, endpoint_alive):
    nb = nbformat.read(path, as_version=4)
    name = os.path.basename(path)
    problems = check_required_tags(nb, name)
    executed = copy.deepcopy(nb)
    if backend == "aws":
        switched = switch_to_aws(executed)
        if switched:
            return problems + switched, 0.0
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
    cleaned_up = False
    try:
        client.reset_execution_trackers()
        with client.setup_kernel():
            for index, cell in enumerate(executed.cells):
                client.execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
                if "cleanup" in tags_of(cell):
                    problems += check_cleanup(executed, cell, endpoint_alive)
                    cleaned_up = True
    except CellExecutionError as exc:  # a failing cell stops the run; report it with the checks below
        problems.append(f"execution stopped: {str(exc).strip()[-800:]}")
    except Exception as exc:
        problems.append(f"execution stopped: {type(exc).__name__}: {str(exc)[-800:]}")
    seconds = time.time() - started
    print(timing_summary(executed, started), flush=True)
    problems += check_cells(executed) + check_numbers(executed)
    if not cleaned_up and tagged(executed, "cleanup") is not None:
        problems.append("the cleanup cell never ran, so delete_endpoint was not verified")
    time.sleep(1.0)
    leftover = [p for p in endpoint_processes() if p not in before]
    if leftover:
        problems.append(f"endpoint processes left running after the kernel exited: {leftover}")
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
        base = os.path.join(out_dir, os.path.splitext(name)[0])
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
    if not paths:
        print("no notebooks found in notebooks/: nothing was tested", file=sys.stderr)
        return 1
    missing = [p for p in paths if not os.path.isfile(p)]
    if missing:
        print(f"no such notebook: {', '.join(missing)}", file=sys.stderr)
        return 1
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
