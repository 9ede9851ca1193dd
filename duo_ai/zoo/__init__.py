"""The shipped novice and expert agents: ``zoo:<suite>/<task>/<role>`` names a checkpoint here.

Each checkpoint sits beside its training config and log; docs/ZOO.md lists their measured
rewards and the commands (``scripts/zoo.py``) that trained and measured them.
"""

from __future__ import annotations

from pathlib import Path

from duo_ai.errors import CheckpointError

ZOO_DIR = Path(__file__).parent
PREFIX = "zoo:"


def available() -> list[str]:
    return sorted(f"{PREFIX}{path.relative_to(ZOO_DIR).with_suffix('')}" for path in ZOO_DIR.rglob("*.ckpt"))


def resolve(path: str | Path) -> Path:
    """A filesystem path for ``path``, which may be a ``zoo:`` name."""
    text = str(path)
    if not text.startswith(PREFIX):
        return Path(path)
    resolved = ZOO_DIR / f"{text[len(PREFIX) :]}.ckpt"
    if not resolved.is_file():
        raise CheckpointError(f"no zoo agent '{text}'; available: {', '.join(available()) or '(none)'}")
    return resolved
