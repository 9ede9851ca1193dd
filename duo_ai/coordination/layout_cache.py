"""Explored MiniGrid layouts kept on disk, so that a layout is searched once per machine, not once
per process: a grid of runs (cost weights x seeds) on one task family, or ``duo oracle`` at each
cost weight, explores the same layouts in every process, which took most of a DoorKey run.

A layout file is found by a hash of its start state (task class, step limit, grid, agent) and of
the search's own code and MiniGrid's version, so a change to either is a new file, never a stale
one. Files are plain NumPy archives (no pickle), written whole or not at all. The folder is
``$DUO_CACHE_DIR`` or ``~/.cache/duo_ai`` (``$XDG_CACHE_HOME``), under ``layouts/``; deleting it
only costs the searches again. ``DUO_CACHE_DIR=off`` turns it off.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

import numpy as np

logger = logging.getLogger("duo_ai")
FIELDS = ("observations", "next_state", "success", "max_steps", "start")


def cache_folder() -> Path | None:
    """Where layouts are kept, or None when the cache is off."""
    chosen = os.environ.get("DUO_CACHE_DIR")
    if chosen == "off":
        return None
    base = (
        Path(chosen)
        if chosen
        else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "duo_ai"
    )
    return base / "layouts"


def layout_key(start: tuple, search_code: bytes) -> str:
    """The file name of a layout: its start state and the code that searched it."""
    import minigrid

    digest = hashlib.sha256(repr(start).encode())
    digest.update(search_code)
    digest.update(minigrid.__version__.encode())
    return digest.hexdigest()


def load(key: str) -> dict[str, np.ndarray] | None:
    """The fields of a kept layout, or None (not kept, cache off, or unreadable: searched again)."""
    folder = cache_folder()
    path = folder / f"{key}.npz" if folder else None
    if path is None or not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {field: archive[field] for field in FIELDS}
    except (OSError, ValueError, KeyError) as error:
        logger.warning("layout cache: %s is unreadable (%s); searching the layout again", path, error)
        return None


def store(key: str, fields: dict[str, np.ndarray]) -> None:
    """Keep a layout (whole or not at all); a cache that cannot be written is skipped."""
    folder = cache_folder()
    if folder is None or (folder / f"{key}.npz").exists():
        return
    partial = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".partial", delete=False) as handle:
            partial = Path(handle.name)
            np.savez(handle, **fields)
        os.replace(partial, folder / f"{key}.npz")
    except OSError as error:
        logger.warning("layout cache: cannot write into %s (%s); going on without it", folder, error)
        if partial is not None:
            partial.unlink(missing_ok=True)
