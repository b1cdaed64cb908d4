"""The local web server's JSON API (FastAPI; OpenAPI at ``/openapi.json``,
docs at ``/docs``). Every action of the page is an endpoint usable from
scripts.

Security: the server binds to 127.0.0.1 unless told otherwise (``openbmd
serve --host``); no endpoint reads or writes a path chosen by the client
(scenarios are bundled names, saved ids, or TOML text that may only extend
bundled scenarios); client data is parsed as JSON / TOML, never evaluated or
unpickled; request bodies above ``MAX_BODY_BYTES`` are refused (413); every
response carries a content security policy.

The parts: :mod:`.security` (what every request passes), :mod:`.routes` (the
endpoints), :mod:`.models` (request bodies), :mod:`.loading` (scenarios by
name, saved id or text), :mod:`.changes` (the page's scenario changes),
:mod:`.views` (JSON shapes), :mod:`.jobs` (background analyses) and
:mod:`.store` (saved scenarios and results). This module wires them up.
"""

from __future__ import annotations

from fastapi import FastAPI

from .. import __version__
from .changes import with_changes
from .jobs import MAX_QUEUED_PER_KIND, Cancelled, Job, JobRunner, speed_map_bands
from .loading import initial_scenario
from .models import (AssessRequest, BatteryChange, Changes, JobRequest, NewShip, SaveRequest, ValidateRequest,
                     save_name)
from .routes import api, pages
from .security import CSP, LOOPBACK_HOSTS, MAX_BODY_BYTES, TOKEN_COOKIE, install_error_handlers, install_guard
from .store import Store
from .views import attachment, battery_reasons

__all__ = ["create_app", "initial_scenario", "speed_map_bands", "save_name", "attachment", "battery_reasons",
           "with_changes", "Job", "Cancelled", "CSP", "MAX_BODY_BYTES", "LOOPBACK_HOSTS", "TOKEN_COOKIE",
           "MAX_QUEUED_PER_KIND", "AssessRequest", "BatteryChange", "Changes", "JobRequest", "NewShip",
           "SaveRequest", "ValidateRequest"]


def create_app(db_path=None, default_scenario: str = "default", *, allowed_hosts=None, token: str | None = None) -> FastAPI:
    """The web app. Like Jupyter's server it answers only requests whose Host
    is one of ``allowed_hosts`` (default: the loopback names; a DNS-rebinding
    page on another site gets 400), refuses state-changing requests from
    another origin (403) and, with ``token`` (``openbmd serve`` makes one when
    bound to anything but loopback), every request without it (401; the token
    comes as ``?token=``, then a cookie, or ``Authorization: token ...``).
    ``allowed_hosts=["*"]``: any Host (only with a token: the token is then
    what keeps a rebinding page out)."""
    hosts = {h.lower() for h in (LOOPBACK_HOSTS if allowed_hosts is None else tuple(allowed_hosts))}
    if "*" in hosts and token is None:
        raise ValueError("a server that answers any Host needs a token")

    app = FastAPI(title="openbmd", version=__version__,
                  description="Open ballistic-missile-defence physics: the JSON API behind the local web view.")
    store = Store(db_path)
    app.state.store = store
    app.state.jobs = JobRunner(store)
    app.state.default_scenario = default_scenario
    app.state.initial_scenario = initial_scenario(default_scenario)
    install_guard(app, hosts, token)
    install_error_handlers(app)
    app.include_router(pages)
    app.include_router(api)
    return app
