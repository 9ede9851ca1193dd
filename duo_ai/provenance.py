"""Which code produced a result: the git commit of the checkout duo_ai runs from, so a report can
tell whether its rows come from one code version (a published table should)."""

from __future__ import annotations

import functools
import subprocess
from importlib import metadata
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
MODIFIED = "+modified"  # after the commit: the package's files differ from it


@functools.cache
def code_version() -> str:
    """``<short commit>``, with ``+modified`` where the package's files have uncommitted changes;
    ``duo_ai <version>`` where duo runs from an installed copy, not a git checkout. Read once, at
    the process's first call (a run's start): a commit made while it runs is not the code it loaded."""
    try:
        commit = git("rev-parse", "--short=7", "HEAD")
        changes = git("status", "--porcelain", "--", str(PACKAGE))
    except (OSError, subprocess.SubprocessError):
        return f"duo_ai {metadata.version('duo_ai')}"
    return commit + (MODIFIED if changes else "")


def git(*args: str) -> str:
    completed = subprocess.run(
        ["git", "-C", str(PACKAGE), *args], capture_output=True, text=True, check=True, timeout=30
    )
    return completed.stdout.strip()
