"""The README keeps its word: its commands run and print what it shows.

What this runs (about 30-40 s on 2 idle cores once the numba kernels are
compiled; the test session's openbmd cache is a fresh temporary folder, see
conftest.py, so aiming and fly-out tables are computed here once):

* every ``openbmd ...`` command of README.md's ```bash blocks, as a real
  process (``python -m openbmd``), in README order, in a temporary working
  directory (so anything a command writes lands there): ``fly`` (one Yars),
  ``catalog Yars``, ``engage`` (one threat, one site), ``validate`` and
  ``south-vs-north epaa-phase3`` (the costly step, ~10-15 s cold: EPAA
  Phase 3's threat set aimed and its fly-out tables built), ``guarantee list``
  and ``guarantee verify`` (Phase 3's threat set again, from the cache).
  Each must exit 0, or with the status its README comment states
  (``# exit 1: ...``); where a ```text block follows the command's block, it
  is (an excerpt of) the output of the block's last command, and every figure
  in it (every word with a digit) must appear in what the command prints.
  ``./run ...`` lines are left to CI (``.ci/run`` runs ``./run test``) and
  ``openbmd serve`` (a server) is only parsed;
* the README's Python blocks, in order in one namespace (a ``print(...)`` with
  a ``# comment`` must print the figures of the comment);
* a parse of every ``openbmd ...`` command of README.md and docs/*.md.

Keep the README's examples cheap (a few seconds each with the kernels
compiled): the costly analyses belong in docs/cli.md, which is only parsed.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
SERVERS = {"serve"}  # run forever: parsed only


def _blocks(text):
    """(language, body) of every fenced block, in order."""
    return [(m.group(1), m.group(2)) for m in re.finditer(r"^```(\w*)\n(.*?)^```", text, flags=re.S | re.M)]


def _commands(body):
    """[(argv after 'openbmd', expected exit status)] of a shell block."""
    out = []
    for line in body.replace("\\\n", " ").splitlines():
        for part in line.split(";"):
            words = shlex.split(part, comments=True)
            if words[:1] == ["openbmd"]:
                m = re.search(r"#\s*exit (\d+)", part)
                out.append((words[1:], int(m.group(1)) if m else 0))
    return out


def _shell_commands(path):
    return [c for lang, body in _blocks(path.read_text(encoding="utf-8")) if lang in ("bash", "sh", "shell")
            for c in _commands(body)]


def _runs(path):
    """[(argv, expected exit, shown output or None)]: each command of the
    shell blocks; the text block right after a shell block is its last
    command's output."""
    text = path.read_text(encoding="utf-8")
    found = list(re.finditer(r"^```(\w*)\n(.*?)^```\n", text, flags=re.S | re.M))
    runs = []
    for i, m in enumerate(found):
        if m.group(1) not in ("bash", "sh", "shell"):
            continue
        cmds = [[argv, code, None] for argv, code in _commands(m.group(2))]
        nxt = found[i + 1] if i + 1 < len(found) else None
        if cmds and nxt is not None and nxt.group(1) == "text" and nxt.start() == m.end():
            cmds[-1][2] = nxt.group(2)
        runs += [tuple(c) for c in cmds]
    return runs


def _figures(shown):
    """The figures of a shown output: every word with a digit in it ('...'
    lines mark left-out output)."""
    return [w for ln in shown.splitlines() if ln.strip() != "..." for w in ln.split() if re.search(r"\d", w)]


def _parser():
    import openbmd.cli as cli

    fix = getattr(cli, "fix_negative_coords", None) or getattr(cli, "_fix_negative_coords")
    return cli.build_parser(), fix


@pytest.mark.parametrize("path", [README, *DOCS], ids=lambda p: p.name)
def test_commands_parse(path, tmp_path, monkeypatch):
    """Every `openbmd ...` line of the file's shell blocks is a valid command
    line (options, choices, bounds; engage has its timeline)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    cmds = _shell_commands(path)
    if path == README:
        assert len(cmds) >= 6
    parser, fix = _parser()
    for argv, _ in cmds:
        try:
            args = parser.parse_args(fix(argv))
        except SystemExit as exc:
            raise AssertionError(f"{path.name}: openbmd {shlex.join(argv)}: exit {exc.code}") from None
        if args.command == "engage":
            assert (args.launch_delay_s is None) != (args.radar is None), argv


def test_readme_commands_run_and_print_what_it_shows(tmp_path):
    runs = [r for r in _runs(README) if r[0][:1] and r[0][0] not in SERVERS]
    assert len(runs) >= 6 and sum(shown is not None for *_, shown in runs) >= 4
    took = []
    for argv, code, shown in runs:
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, "-m", "openbmd", *argv], cwd=tmp_path, capture_output=True, text=True,
                           timeout=600)
        took.append(f"{time.perf_counter() - t0:5.1f} s  openbmd {shlex.join(argv)}")
        what = f"README: openbmd {shlex.join(argv)}"
        assert p.returncode == code, f"{what}: exit {p.returncode} (README: {code})\n{p.stderr[-2000:]}"
        assert "Traceback" not in p.stderr, f"{what}\n{p.stderr[-2000:]}"
        if shown is not None:
            missing = [w for w in _figures(shown) if w not in p.stdout]
            assert not missing, f"{what}: the README shows {missing}, not in its output:\n{p.stdout[-3000:]}"
    print("\n".join(["README commands:", *took]))


def test_readme_python_examples_run(tmp_path, monkeypatch):
    """The README's Python examples run as written (in order, in one namespace)."""
    blocks = [body for lang, body in _blocks(README.read_text(encoding="utf-8")) if lang == "python"]
    assert len(blocks) >= 2
    monkeypatch.chdir(tmp_path)  # in case an example writes files
    ns: dict = {}
    for code in blocks:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, "README.md", "exec"), ns)
        for line in code.splitlines():  # `print(...)  # 2.52 0.0`: what it prints, as the README shows it
            m = re.match(r"\s*print\(.*\)\s*#\s*(.*)$", line)
            if m:
                missing = [w for w in _figures(m.group(1)) if w not in out.getvalue()]
                assert not missing, f"README: {line.strip()}: printed {out.getvalue()!r}"
    assert ns["best"]["gap"] == pytest.approx(0.0, abs=1e-9)
    assert ns["res"].out.shape[:2] == (len(ns["tr"]), 1)


def test_python_examples_in_docs_compile():
    """The Python blocks of docs/*.md are at least valid Python (running them
    would cost minutes: they assess whole scenarios)."""
    n = 0
    for path in DOCS:
        for lang, body in _blocks(path.read_text(encoding="utf-8")):
            if lang == "python":
                compile(body, str(path), "exec")
                n += 1
    assert n >= 4
