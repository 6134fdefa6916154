"""Detectors of the critical-infrastructure watch: one module per detector, shared parts in ``base``."""
