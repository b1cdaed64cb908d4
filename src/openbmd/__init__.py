"""openbmd: open ballistic-missile-defence physics from public sources.

Python API (each also a CLI command and a report section)::

    from openbmd import scenario, analysis
    sc = scenario.load("epaa-phase3")          # a bundled name or a path
    a = analysis.assess(sc)                     # engagement matrix
    fp = analysis.footprint(sc)                 # defended area
    cmp = analysis.phases(scenario.load("default"))
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("openbmd")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.1.0"
