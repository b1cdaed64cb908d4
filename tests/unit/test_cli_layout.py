"""The command line's layering, read from the source with ``ast``:

* ``openbmd.cli`` (``__init__``: main and the parser) imports the command
  modules; each command module (``fly``, ``engage``, ...) imports only
  ``openbmd.cli.common`` and the library, never another command module nor
  ``openbmd.cli`` itself; ``common`` imports no command module;
* no module below the command line (the library, ``web/``, ``report/``)
  imports ``openbmd.cli`` (``openbmd/__main__.py``, the ``python -m openbmd``
  entry point, sits above it);
* no underscore name of another module is imported inside the package, and
  no function of the package is longer than 120 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PKG = SRC / "openbmd"
CLI = PKG / "cli"
BASE = {"__init__", "__main__", "common"}
MAX_FUNCTION_LINES = 120


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(tree: ast.AST, name: str, is_package: bool) -> list[tuple[str, list[str]]]:
    """(absolute module, imported names) of every import in the tree (at any depth)."""
    package = name if is_package else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            names = [a.name for a in node.names]
            if node.module is None:  # from . import x, y: each name may be a module
                out += [(f"{mod}.{n}", []) for n in names]
            else:
                out.append((mod, names))
    return out


def violations(source: str, name: str, is_package: bool = False) -> list[str]:
    """What a module of the command line package (``openbmd.cli.<stem>``) breaks."""
    stem = name.rpartition(".")[2] if name != "openbmd.cli" else "__init__"
    tree = ast.parse(source)
    bad = []
    commands = {p.stem for p in CLI.glob("*.py")} - BASE
    for mod, names in imports(tree, name, is_package):
        inside = mod == "openbmd.cli" or mod.startswith("openbmd.cli.")
        if inside and stem not in ("__init__", "__main__"):
            if mod != "openbmd.cli.common":
                bad.append(f"{name} imports {mod}")
        if inside and stem == "common" and mod.rpartition(".")[2] in commands:
            bad.append(f"{name} imports the command module {mod}")
        if mod.startswith("openbmd") and mod != name:
            bad += [f"{name} imports the private name {mod}.{n}" for n in names
                    if n.startswith("_") and not n.startswith("__")]
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            n = node.end_lineno - node.lineno + 1
            if n > MAX_FUNCTION_LINES:
                bad.append(f"{name}.{node.name} is {n} lines long")
    return bad


def test_command_modules_import_only_common_and_the_library():
    files = sorted(CLI.glob("*.py"))
    assert {p.stem for p in files} >= {"__init__", "common", "fly", "engage", "scenario", "raid", "guarantee", "cache"}
    bad = []
    for p in files:
        bad += violations(p.read_text(encoding="utf-8"), module_name(p), p.stem == "__init__")
    assert bad == []


def test_nothing_below_the_command_line_imports_it():
    bad = []
    for p in sorted(PKG.rglob("*.py")):
        if CLI in p.parents or p == PKG / "__main__.py" or "node_modules" in p.parts:
            continue
        name = module_name(p)
        for mod, _ in imports(ast.parse(p.read_text(encoding="utf-8")), name, p.stem == "__init__"):
            if mod == "openbmd.cli" or mod.startswith(("openbmd.cli.", "openbmd.cli_")):
                bad.append(f"{name} imports {mod}")
    assert bad == []


def test_the_old_top_level_modules_are_gone():
    assert not (PKG / "cli.py").exists()
    assert not list(PKG.glob("cli_*.py"))


@pytest.mark.parametrize("source, words", [
    ("from .fly import cmd_fly\n", "imports openbmd.cli.fly"),
    ("from . import scenario\n", "imports openbmd.cli.scenario"),
    ("from . import main\n", "imports openbmd.cli.main"),
    ("import openbmd.cli\n", "imports openbmd.cli"),
    ("from openbmd.cli.raid import cmd_raid\n", "imports openbmd.cli.raid"),
    ("from .common import _Bar\n", "private name openbmd.cli.common._Bar"),
    ("from ..report.build import _fig\n", "private name openbmd.report.build._fig"),
    ("def f():\n" + "    x = 1\n" * 130, "is 131 lines long"),
])
def test_the_checks_can_fail(source, words):
    bad = violations(source, "openbmd.cli.engage")
    assert any(words in b for b in bad), bad
    assert violations("from .common import InputError\nfrom ..engage import engage\n", "openbmd.cli.engage") == []


def test_common_may_not_import_a_command_module():
    assert violations("from .engage import cmd_engage\n", "openbmd.cli.common")
    assert violations("from .fly import cmd_fly\n", "openbmd.cli.common")
