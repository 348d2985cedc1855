"""Shared by the notebook generators: cell constructors and a tidy, stable writer (run them from the repo root)."""
import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

md = new_markdown_cell


def code(source, *tags):
    """A code cell; `tags` name it for the notebook test (tests/notebooks.py)."""
    cell = new_code_cell(source.strip("\n"))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def write(cells, path):
    """Writes a Rust-kernel notebook with stable cell ids, so regenerating it changes only what was edited."""
    for number, cell in enumerate(cells):
        cell.id = f"cell-{number:02d}"
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Rust", "language": "rust", "name": "rust"}
    nb.metadata["language_info"] = {"name": "Rust", "file_extension": ".rs", "mimetype": "text/rust", "codemirror_mode": "rust"}
    nbformat.write(nb, path)
    print(f"wrote {path}")
