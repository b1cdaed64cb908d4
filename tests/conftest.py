import numpy as np
import pytest

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
