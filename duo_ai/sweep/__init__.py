"""Sweeps of duo runs on Ray Tune: ``duo sweep SWEEP.yaml [--address ADDR]``."""

from duo_ai.sweep.spec import Sweep, read_sweep

__all__ = ["Sweep", "read_sweep"]
