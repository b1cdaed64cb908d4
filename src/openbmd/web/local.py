"""The web app served by uvicorn in a background thread on a free loopback
port: for tests, benchmarks and notebooks (``openbmd serve`` is the command)."""

from __future__ import annotations

import socket
import threading
import time


class LocalServer:
    """Start on construction (returns once /api/health answers); ``base`` is
    the URL; ``stop()`` or use as a context manager."""

    def __init__(self, db_path=None, start_timeout: float = 20.0, scenario: str = "default"):
        import httpx
        import uvicorn

        from .app import create_app

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(create_app(db_path, scenario), host="127.0.0.1", port=self.port,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        t0 = time.monotonic()
        while time.monotonic() - t0 < start_timeout:
            try:
                httpx.get(self.base + "/api/health", timeout=1.0)
                return
            except httpx.TransportError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the web server did not start within {start_timeout:g} s")

    def stop(self):
        self.server.should_exit = True
        self.thread.join(10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
