"""The analysis notebook: its paired files agree, and `make notebook` executes it on the smoke run."""

from __future__ import annotations

import html
import re
import shlex
import subprocess

import jupytext
import nbformat

from pipeline.core.config import REPO_ROOT

NOTEBOOK = REPO_ROOT / "notebooks" / "analysis"


def test_paired_script_and_notebook_agree_and_the_notebook_has_no_outputs():
    script = jupytext.read(NOTEBOOK.with_suffix(".py"))
    notebook = nbformat.read(NOTEBOOK.with_suffix(".ipynb"), as_version=4)
    assert notebook.metadata["jupytext"]["formats"] == "ipynb,py:percent"
    assert [(c.cell_type, c.source) for c in notebook.cells] == [(c.cell_type, c.source) for c in script.cells], \
        "notebooks/analysis.py and .ipynb differ: run `jupytext --sync notebooks/analysis.py`"
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code), "commit the notebook without outputs"


def test_make_notebook_executes_it_on_the_smoke_run(smoke_run, smoke_predict, smoke_e2e, tmp_path):
    before = {s: NOTEBOOK.with_suffix(s).read_bytes() for s in (".py", ".ipynb")}
    env = {**smoke_run["env"], "STANCE_CONFIG": "smoke", "STANCE_OVERRIDES": shlex.join(smoke_run["overrides"])}
    done = subprocess.run(["make", "--no-print-directory", "notebook", f"NOTEBOOK_OUT={tmp_path}"], cwd=REPO_ROOT,
                          env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]  # any cell error fails nbconvert
    page = (tmp_path / "analysis.html").read_text(encoding="utf-8")
    outputs = re.sub(r'<div class="highlight hl-ipython3">.*?</pre>', " ", page, flags=re.S)  # code cells' source out
    text = html.unescape(re.sub(r"<[^>]+>", " ", outputs))
    assert "Traceback" not in text
    for expected in ("runs in experiment dse-stance", "end-to-end systems compared:",
                     "actor-pair-stance@champion = version", "per-class F1 of the champion",
                     "errors of", "seed stance table:", "seed actor network drawn", "seed affiliation network drawn",
                     "SEESAW valid gold network:", "SEESAW valid predicted network:"):
        assert expected in text, f"{expected!r} missing from the executed notebook"
    assert not re.search(r"no stances in|run make predict|run make eval-e2e", text), "a section found no inputs"
    assert page.count("data:image/png;base64") >= 5  # runs, confusion, two seed networks, SEESAW networks
    assert all(NOTEBOOK.with_suffix(s).read_bytes() == b for s, b in before.items()), "make notebook changed the pair"
