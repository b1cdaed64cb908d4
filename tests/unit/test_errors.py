"""One error family: every input or modelling error class of the package
derives from openbmd.errors.OpenBMDError (keeping its old base), the CLI
turns it into one line and exit 2, the web layer into a 422."""

import importlib
import inspect
import pkgutil

import pytest

import openbmd
from openbmd.errors import OpenBMDError


def _error_classes():
    out = []
    for m in pkgutil.walk_packages(openbmd.__path__, "openbmd."):
        if m.name.startswith("openbmd.web") or m.name.endswith("__main__"):
            continue
        mod = importlib.import_module(m.name)
        for name, obj in vars(mod).items():
            if inspect.isclass(obj) and issubclass(obj, Exception) and obj.__module__ == mod.__name__ \
                    and name.endswith("Error"):
                out.append(obj)
    return out


def test_every_error_class_of_the_package_is_an_openbmd_error():
    classes = _error_classes()
    assert len(classes) >= 15
    missing = [c.__qualname__ for c in classes if not issubclass(c, OpenBMDError)]
    assert not missing, f"not in the openbmd error family: {missing}"
    # the old bases stay: code that caught ValueError or LookupError still does
    from openbmd.catalog import CatalogError
    from openbmd.scenario import ScenarioError

    assert issubclass(ScenarioError, ValueError) and issubclass(CatalogError, LookupError)


def test_the_cli_maps_any_openbmd_error_to_one_line_and_exit_2(capsys, monkeypatch):
    from openbmd import cli
    from openbmd.flight.aim import AimError

    def boom(args):
        raise AimError("target beyond reach: a test")

    parser = cli.build_parser()
    args = parser.parse_args(["catalog"])
    monkeypatch.setattr(cli, "build_parser", lambda: type("P", (), {"parse_args": lambda self, a: args})())
    monkeypatch.setattr(args, "func", boom, raising=False)
    assert cli.main(["catalog"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "openbmd: error: target beyond reach: a test"


def test_the_web_layer_maps_any_openbmd_error_to_422(tmp_path):
    from fastapi.testclient import TestClient

    from openbmd.engage import EngagementError
    from openbmd.web.app import create_app

    app = create_app(tmp_path / "db.sqlite3", allowed_hosts=["testserver"])

    @app.get("/api/test-error")
    def fail():
        raise EngagementError("timeline launch_delay must be a number >= 0 s, got -1")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/api/test-error")
    assert r.status_code == 422 and r.json()["detail"].startswith("timeline launch_delay")


@pytest.mark.parametrize("argv", [["assess", "no-such-scenario"], ["fly", "--missile", "No Such Missile"]])
def test_real_input_errors_still_give_exit_2(argv, capsys):
    from openbmd.cli import main

    assert main(argv) == 2
    lines = [x for x in capsys.readouterr().err.splitlines() if not x.startswith("openbmd: first run:")]
    assert len(lines) == 1 and lines[0].startswith("openbmd: error:"), lines
