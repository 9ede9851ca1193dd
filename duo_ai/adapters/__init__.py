"""Bridges from duo's environments to other learning libraries (optional extras)."""
