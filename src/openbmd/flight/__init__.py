"""Batched flight: compiled propagation, aiming, and the Trajectories result."""

from .batch import FlightOptions, Impulsive, run
from .trajectories import Trajectories

__all__ = ["FlightOptions", "Impulsive", "Trajectories", "run"]
