"""What every request passes before an endpoint sees it: the Host and origin
checks, the token, the body limit and the security headers of every
response; and the two error handlers that turn bad input into one-line 422s.

Like Jupyter's server the app answers only requests whose Host is one of the
allowed hosts (default: the loopback names; a DNS-rebinding page on another
site gets 400), refuses state-changing requests from another origin (403)
and, with a token, every request without it (401; the token comes as
``?token=``, then a cookie, or ``Authorization: token ...``)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from ..errors import OpenBMDError

MAX_BODY_BYTES = 256 * 1024
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
TOKEN_COOKIE = "openbmd_token"


def host_only(value: str) -> str:
    """The host part of a Host header or an origin's netloc ('[::1]:8000' -> '::1')."""
    v = value.strip().lower()
    if v.startswith("["):
        return v[1:v.find("]")] if "]" in v else v
    return v.rsplit(":", 1)[0] if v.count(":") == 1 else v


def secure(resp: Response) -> Response:
    """``resp`` with the security headers every response carries."""
    resp.headers["Content-Security-Policy"] = CSP
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


def refused(detail: str, status: int) -> Response:
    return secure(JSONResponse({"detail": detail}, status_code=status))


def install_guard(app: FastAPI, hosts: set[str], token: str | None) -> None:
    """The middleware that checks every request (see the module's docstring)
    and secures every response; an exception an endpoint lets escape becomes
    a JSON 500 naming only its type (the server log has the traceback)."""

    @app.middleware("http")
    async def guard(request: Request, call_next):
        host = request.headers.get("host", "")
        if "*" not in hosts and host_only(host) not in hosts:
            return refused(f"Host {host[:80]!r} not allowed (this server answers {', '.join(sorted(hosts))})", 400)
        origin = request.headers.get("origin")
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and origin and origin != "null":
            from urllib.parse import urlsplit

            if urlsplit(origin).netloc.lower() != host.lower():
                return refused(f"cross-origin {request.method} from {origin[:80]!r} refused", 403)
        set_cookie = False
        if token is not None:
            import hmac

            auth = request.headers.get("authorization", "")
            given = (request.query_params.get("token") or request.cookies.get(TOKEN_COOKIE)
                     or (auth[6:].strip() if auth.lower().startswith("token ") else ""))
            if not hmac.compare_digest(given.encode(), token.encode()):
                return refused("this server needs its token: open the address "
                               "'openbmd serve' printed (it ends in ?token=...)", 401)
            set_cookie = request.query_params.get("token") is not None
        cl = request.headers.get("content-length")
        if cl is not None and (not cl.isdigit() or int(cl) > MAX_BODY_BYTES):
            return refused(f"request body over {MAX_BODY_BYTES} bytes", 413)
        if request.method in ("POST", "PUT", "PATCH") and cl is None:
            body = await request.body()  # chunked: read and measure
            if len(body) > MAX_BODY_BYTES:
                return refused(f"request body over {MAX_BODY_BYTES} bytes", 413)
        try:
            resp = await call_next(request)
        except Exception as exc:  # noqa: BLE001 - never a bare 500 page; the server log has the traceback
            import logging

            logging.getLogger("openbmd.web").exception("internal error on %s %s", request.method, request.url.path)
            resp = JSONResponse({"detail": f"internal error: {type(exc).__name__}"}, status_code=500)
        if set_cookie:
            resp.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
        return secure(resp)


def install_error_handlers(app: FastAPI) -> None:
    """Bad request bodies and every openbmd input error: 422 with one line."""

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError):
        msgs = []
        for e in exc.errors()[:5]:
            where = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
            msgs.append(f"{where or 'body'}: {e.get('msg')}")
        return JSONResponse({"detail": "; ".join(msgs)}, status_code=422)

    @app.exception_handler(OpenBMDError)
    async def input_error(request: Request, exc: OpenBMDError):
        """Every input or modelling error of the package (openbmd.errors) is the client's: 422, its one line."""
        return JSONResponse({"detail": str(exc)}, status_code=422)
