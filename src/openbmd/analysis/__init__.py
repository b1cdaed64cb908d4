"""Analyses: one module per question (assess, footprint, phases, south-vs-north)."""
