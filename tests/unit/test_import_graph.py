"""The package's import graph has no circle (issue "The house"): every
``import`` of an openbmd module, at module level or inside a function, is an
edge; a strongly connected component of more than one module is a circle.
A package's modules importing the package itself (its ``__init__``) do not
count."""

import ast
import json
import math
from pathlib import Path

import numpy as np

import openbmd

ROOT = Path(openbmd.__file__).parent


def _modules():
    mods = {}
    for p in ROOT.rglob("*.py"):
        if "node_modules" in p.parts:
            continue
        parts = ("openbmd",) + p.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        mods[name] = p
    return mods


def _targets(mods, cur, node):
    pkg = cur if mods[cur].name == "__init__.py" else cur.rsplit(".", 1)[0]
    if isinstance(node, ast.ImportFrom):
        if node.level:
            base = pkg.split(".")
            base = base[:len(base) - (node.level - 1)]
            b = ".".join(base + ([node.module] if node.module else []))
        else:
            b = node.module or ""
        return [f"{b}.{a.name}" if f"{b}.{a.name}" in mods else b for a in node.names if f"{b}.{a.name}" in mods or b in mods]
    return [a.name for a in node.names if a.name in mods]


def import_graph():
    mods = _modules()
    graph = {m: set() for m in mods}
    for m, p in mods.items():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                graph[m].update(t for t in _targets(mods, m, node) if t != m and not m.startswith(t + "."))
    return graph


def circles(graph):
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def test_circle_finder_finds_a_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_the_package_has_no_import_circle():
    graph = import_graph()
    assert "openbmd.analysis.assess" in graph and "openbmd.engage" in str(sorted(graph))
    assert circles(graph) == []


def test_one_json_rule():
    from openbmd.jsonsafe import jsonable

    value = {1: np.float64("nan"), "a": [np.int64(3), np.float32(1.5), math.inf, (np.bool_(True), None)],
             "arr": np.array([1.0, np.nan]), "s": "x"}
    out = jsonable(value)
    assert out == {"1": None, "a": [3, 1.5, None, [True, None]], "arr": [1.0, None], "s": "x"}
    json.dumps(out, allow_nan=False)  # strict JSON
    assert type(out["a"][0]) is int and type(out["a"][3][0]) is bool


def borrowed_private_names():
    """(module, name) where a module imports another openbmd module's
    underscore name, or reads one as ``alias._name``."""
    mods = _modules()
    hits = set()
    for m, p in mods.items():
        tree = ast.parse(p.read_text(encoding="utf-8"))
        alias = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                targets = _targets(mods, m, node)
                for a in node.names:
                    if a.name.startswith("_") and not a.name.startswith("__") and targets:
                        hits.add((m, a.name))
                    full = next((t for t in targets if t.endswith("." + a.name)), None)
                    if full:
                        alias[a.asname or a.name] = full
            elif isinstance(node, ast.Import):
                alias.update({a.asname or a.name: a.name for a in node.names if a.name in mods})
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in alias
                    and node.attr.startswith("_") and not node.attr.startswith("__") and alias[node.value.id] != m):
                hits.add((m, f"{node.value.id}.{node.attr}"))
    return sorted(hits)


def test_no_module_borrows_another_modules_private_names():
    assert borrowed_private_names() == []
