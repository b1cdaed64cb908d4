import os
import tempfile

import numpy as np
import pytest

# the persistent cache (openbmd.cache) of the test session: a fresh temporary
# folder, never the user's (set before any test imports openbmd's modules),
# shared by the session's pytest-xdist workers (they inherit the controller's
# environment; the cache's writes are atomic)
_SESSION_CACHE = os.environ.get("OPENBMD_TEST_SESSION_CACHE") or tempfile.mkdtemp(prefix="openbmd-test-cache-")
os.environ["OPENBMD_TEST_SESSION_CACHE"] = _SESSION_CACHE
os.environ["OPENBMD_CACHE_DIR"] = _SESSION_CACHE
os.environ.pop("OPENBMD_NO_CACHE", None)
# the CLI's one-time compile notice would be an extra stderr line in whichever test runs first
os.environ["OPENBMD_NO_COMPILE_NOTICE"] = "1"

from openbmd.earth import EarthModel
from openbmd.flight import FlightOptions

#: spherical, non-rotating, point-mass, vacuum: the textbook two-body world
TWO_BODY = FlightOptions(earth=EarthModel("sphere", rotation=False, gravity="point"), drag=False)


@pytest.fixture
def two_body():
    return TWO_BODY


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
