"""The README's Python examples run as written (in order, in one namespace)."""

import re
from pathlib import Path


def test_readme_python_examples_run(tmp_path, monkeypatch):
    text = (Path(__file__).parents[1] / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 2
    monkeypatch.chdir(tmp_path)  # examples write files
    ns: dict = {}
    for code in blocks:
        exec(compile(code, "README.md", "exec"), ns)
    assert (tmp_path / "flights.parquet").exists()
    assert "res" in ns and ns["res"].out.shape[:2] == (len(ns["tr"]), 1)
