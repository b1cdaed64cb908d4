"""Analyses: one module per question.

- :func:`assess`: every threat against every battery (engagement matrix);
- :func:`footprint`: the defended area over a grid of aim points;
- :func:`phases`: architectures side by side;
- :func:`south_vs_north`: the stated and the feared mission of one architecture.
"""

from .assess import Assessment, assess
from .footprint import Footprint, footprint
from .phases import PhaseComparison, phases, south_vs_north
from .robustness import Robustness, robustness

__all__ = ["Assessment", "assess", "Footprint", "footprint", "PhaseComparison", "phases", "south_vs_north"]
