"""Executes every notebook in notebooks/ with the real evcxr Rust kernel (nbclient) and checks what it shows.

A notebook fails on: any error output; `Error`/`panicked`/compiler errors on stderr (evcxr reports a cell's `Err`
there and still calls the cell a success, so we read the outputs); a cell tagged `plot` without an inline SVG;
key numbers that are not sane (most training pairs score > 0, GuardDuty scores lower on average than training,
the MFA threshold below the analyst-review one, at least one alert); or an endpoint process left running.

Usage: python tests/notebooks.py [--out DIR] [--html] [NOTEBOOK ...]
"""
import argparse
import copy
import glob
import os
import re
import subprocess
import sys
import time

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
    cell = tagged(nb, "detection")
    if cell is not None:
        m = re.search(r"(\d+) findings scored: (\d+) alerts", stdout_text(cell))
        if not m or int(m.group(2)) == 0:
            problems.append(f"live detection should raise alerts: {m.group(0) if m else 'no summary'}")
    return problems


def endpoint_processes():
    try:
        out = subprocess.run(["pgrep", "-af", "ipinsights serve"], capture_output=True, text=True).stdout
    except FileNotFoundError:
        return []
    return [line for line in out.splitlines() if "pgrep" not in line]


def run(path, out_dir, html):
    nb = nbformat.read(path, as_version=4)
    executed = copy.deepcopy(nb)
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
    args = parser.parse_args()
    paths = args.notebooks or sorted(glob.glob(os.path.join(ROOT, "notebooks", "*.ipynb")))
    passed = failed = 0
    for path in paths:
        print(f"== {os.path.relpath(path, ROOT)}", flush=True)
        problems, seconds = run(path, args.out, args.html)
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
