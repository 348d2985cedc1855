"""A notebook saved in another folder of the repository, with its evcxr.toml, still starts its kernel and loads
the helpers (an attendee's own copy, an instructor's variant).

evcxr reads evcxr.toml from the notebook's folder and builds every cell in the cargo package of its build folder.
A build folder inside the repository that the workspace does not exclude makes cargo refuse the package ("current
package believes it's in a workspace when it's not") and the kernel dies at once. scripts/setup writes
notebooks/evcxr.toml with the absolute path of target/evcxr-build, which the workspace excludes, so a copied
evcxr.toml works from any folder. Checked here: a copy one level down (where `../helpers/workshop` still resolves)
loads the helpers and draws a figure; a copy two levels down starts its kernel and runs a cell.

Usage: python tests/notebook_copies.py
"""
import os
import shutil
import sys
import tempfile

import nbformat
from nbclient import NotebookClient

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(ROOT, "notebooks", "evcxr.toml")


def run_copy(folder, cells, expected):
    """Runs `cells` as a notebook saved in `folder` with the notebooks' evcxr.toml; returns problems (errors,
    stderr, or `expected` missing from the last cell's output)."""
    os.makedirs(folder, exist_ok=True)
    shutil.copy(CONFIG, folder)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"display_name": "Rust", "language": "rust", "name": "rust"}
    nbformat.write(nb, os.path.join(folder, "copy.ipynb"))
    client = NotebookClient(nb, kernel_name="rust", timeout=900, startup_timeout=300, resources={"metadata": {"path": folder}})
    try:
        client.execute()
    except Exception as exc:
        return [f"{os.path.relpath(folder, ROOT)}: {type(exc).__name__}: {str(exc).strip()[-600:]}"]
    problems = []
    for cell in nb.cells:
        for out in cell.outputs:
            if out.output_type == "error" or (out.output_type == "stream" and out.name == "stderr" and out.text.strip()):
                problems.append(f"{os.path.relpath(folder, ROOT)}: {cell.source.splitlines()[0]!r}: {out.get('text', out.get('evalue'))}")
    shown = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    if expected not in shown:
        problems.append(f"{os.path.relpath(folder, ROOT)}: expected {expected!r} from the last cell, got {shown.strip()[:200]!r}")
    return problems


def main():
    if not os.path.isfile(CONFIG):
        print(f"{CONFIG} is missing: run scripts/setup first", file=sys.stderr)
        return 1
    top = tempfile.mkdtemp(prefix="attendee-copy-", dir=ROOT)
    try:
        problems = run_copy(
            top,
            [
                ':dep ipinsights-workshop = { path = "../helpers/workshop" }',
                'use ipinsights_workshop::prelude::*;\nlet figure = histogram_figure(&[1.0, 2.0, 2.5], 5, "a copy", "x");\n'
                'println!("{} has {} bytes of SVG", figure.title, figure.svg.len());',
            ],
            "a copy has",
        )
        problems += run_copy(os.path.join(top, "variants", "deeper"), ['let answer = 6 * 7;\nprintln!("{answer}");'], "42")
    finally:
        shutil.rmtree(top, ignore_errors=True)
    for p in problems:
        print(f"  - {p}")
    print(f"notebook copies: {2 - min(2, len(problems))} passed, {min(2, len(problems))} failed")
    return 1 if problems else 0

if __name__ == "__main__":
    sys.exit(main())
