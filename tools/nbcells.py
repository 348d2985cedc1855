"""Shared by the notebook generators: cell constructors and a tidy, stable writer (standard library only, so the
check runs before any virtualenv exists).

Each generator ends with `main(cells, path)`: `python3 tools/make_X_notebook.py` writes the notebook, and
`python3 tools/make_X_notebook.py --check` fails when the committed notebook differs from what the generator makes
(scripts/run-tests runs the check in its fast stage). Both refuse cells with a line over 100 characters or a
Rust-ism an attendee should not have to read aloud (`.clone()`, closures, `as_ref`/`as_deref`, `unwrap_or`,
turbofish, `**`, `std::` paths). The JSON matches nbformat's writer byte for byte.
"""
import difflib
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _lines(text):
    """nbformat's multi-line form: a list of lines, each but the last keeping its newline."""
    return text.splitlines(keepends=True)


def md(source):
    """A markdown cell."""
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def code(source, *tags):
    """A code cell; `tags` name it for the notebook tests (tests/notebooks.py, tests/browser)."""
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source.strip("\n")}
    if tags:
        cell["metadata"]["tags"] = list(tags)
    return cell


# Longest line of a code cell: wider scrolls sideways on a projector.
MAX_LINE = 100

# What an attendee who has never written Rust should not have to read aloud in a cell: (pattern, what it is).
RUST_ISMS = [
    (re.compile(r"\.clone\(\)"), "`.clone()`"),
    (re.compile(r"(?<![|\w])\|\s*[&*]*\(?\s*[A-Za-z_][\w\s,&*()]*\)?\s*\|"), "a closure (`|x| ...`)"),
    (re.compile(r"\bmove\s*\|"), "a closure (`move |...|`)"),
    (re.compile(r"\bas_ref\b|\bas_deref\b"), "`as_ref`/`as_deref`"),
    (re.compile(r"\bunwrap_or\w*\b"), "`unwrap_or`"),
    (re.compile(r"::<"), "a turbofish (`::<T>`)"),
    (re.compile(r"\*\*"), "a double dereference (`**`)"),
    (re.compile(r"\bstd::"), "a `std::` path"),
]


def style_problems(cells):
    """Every code cell line that is longer than MAX_LINE or reads as a Rust-ism (RUST_ISMS), as messages naming the
    cell (0-based, as in the `.ipynb`) and line."""
    problems = []
    for number, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        for line_number, line in enumerate(cell["source"].splitlines(), 1):
            where = f"cell {number}, line {line_number}"
            if len(line) > MAX_LINE:
                problems.append(f"{where}: {len(line)} characters (at most {MAX_LINE}): {line.strip()[:60]}...")
            for pattern, what in RUST_ISMS:
                if pattern.search(line):
                    problems.append(f"{where}: {what}: {line.strip()}")
    return problems


def render(cells, generator):
    """The notebook's JSON text: stable cell ids, the generator named in the first cell's metadata."""
    out = []
    for number, cell in enumerate(cells):
        cell = dict(cell, id=f"cell-{number:02d}", metadata=dict(cell["metadata"]), source=_lines(cell["source"]))
        out.append(cell)
    out[0]["metadata"]["generated"] = {
        "by": generator,
        "note": f"Generated file: edit {generator} and run it (python3 {generator}), not this notebook.",
    }
    nb = {
        "cells": out,
        "metadata": {
            "kernelspec": {"display_name": "Rust", "language": "rust", "name": "rust"},
            "language_info": {"name": "Rust", "file_extension": ".rs", "mimetype": "text/rust", "codemirror_mode": "rust"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def main(cells, path):
    """Writes the notebook at `path` (relative to the repository root), or with `--check` compares it."""
    generator = os.path.relpath(os.path.abspath(sys.argv[0]), ROOT)
    style = style_problems(cells)
    if style:
        print("\n".join(style))
        print(f"{path}: {len(style)} code-cell lines to rewrite in {generator} (read aloud, ≤ {MAX_LINE} characters)")
        sys.exit(1)
    text = render(cells, generator)
    target = os.path.join(ROOT, path)
    if "--check" in sys.argv[1:]:
        current = open(target, encoding="utf-8").read() if os.path.exists(target) else ""
        if current != text:
            diff = difflib.unified_diff(current.splitlines(), text.splitlines(), path, f"{generator} output", lineterm="", n=1)
            print("\n".join(list(diff)[:40]))
            print(f"{path} is not what {generator} generates: edit the generator, run `python3 {generator}`, commit both")
            sys.exit(1)
        print(f"{path}: matches {generator}")
        return
    tmp = target + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, target)
    print(f"wrote {path}")
