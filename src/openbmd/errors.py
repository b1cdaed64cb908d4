"""One family for every error openbmd raises on bad input or an impossible
request (an unknown name, a malformed file, a target out of reach, ...).

Each module keeps its own class (``ScenarioError``, ``AimError``, ...), with
its old base too (``ValueError``, ``LookupError``), and all of them derive from
:class:`OpenBMDError`: the command line catches that once (one line, exit 2)
and the web layer maps it once (422). Anything else is a bug and keeps its
traceback."""

from __future__ import annotations


class OpenBMDError(Exception):
    """Base of openbmd's input and modelling errors (the message is one line
    naming the file, field or option and what was expected)."""
