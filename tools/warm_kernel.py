"""Compiles the helper crates in evcxr's build folder once, so that the first notebook kernel starts warm.

Run by scripts/setup after the kernel spec and evcxr's settings are in place. It starts the real Rust kernel in
notebooks/ (where evcxr reads evcxr.toml), runs the `:dep` line of the workshop notebook's first code cell (read from
the notebook, so the build is exactly the one the notebook's kernel reuses) and shuts the kernel down. On a fresh
clone this is the helpers' whole compile (about 40 s on 2 cores); with a warm build folder it takes a few seconds.

Usage: python tools/warm_kernel.py [NOTEBOOK]
"""
import json
import os
import sys
import time

import jupyter_client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOK = os.path.join(ROOT, "notebooks", "ip-insights-workshop.ipynb")
TIMEOUT_S = 1800


def dep_lines(notebook):
    """The `:dep` lines of the notebook's first code cell."""
    with open(notebook, encoding="utf-8") as f:
        cells = json.load(f)["cells"]
    first = next((c for c in cells if c["cell_type"] == "code"), None)
    source = "".join(first["source"]) if first else ""
    lines = [line for line in source.splitlines() if line.startswith(":dep ")]
    if not lines:
        sys.exit(f"warm_kernel: {notebook}: the first code cell has no `:dep` line")
    return lines


def run(kernel_client, code):
    """Runs one cell; returns its error text (stderr and error outputs), empty when it succeeded."""
    msg_id = kernel_client.execute(code)
    errors = []
    while True:
        msg = kernel_client.get_iopub_msg(timeout=TIMEOUT_S)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream" and content["name"] == "stderr":
            errors.append(content["text"])
        elif kind == "error":
            errors.append(f"{content['ename']}: {content['evalue']}")
        elif kind == "status" and content["execution_state"] == "idle":
            return "".join(errors).strip()


def main():
    notebook = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else NOTEBOOK
    code = "\n".join(dep_lines(notebook))
    started = time.monotonic()
    manager, client = jupyter_client.manager.start_new_kernel(
        kernel_name="rust", cwd=os.path.dirname(notebook), startup_timeout=120
    )
    try:
        error = run(client, code)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    if error:
        sys.exit(f"warm_kernel: the kernel could not load the helpers ({code}):\n{error}")
    print(f"evcxr's build folder holds the compiled helpers ({time.monotonic() - started:.1f} s)")


if __name__ == "__main__":
    main()
