"""A run's log: the console and the run's ``train.log`` (or ``<eval_name>.log``), each line stamped
with the time since the run started. Lines logged before the run's folder exists are held and
written once it opens; in a group of runs (``grouped_ppo``) each run's file gets the group's lines
and its own (``focus``)."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from duo_ai.progress import ConsoleHandler

logger = logging.getLogger("duo_ai")


class ElapsedFormatter(logging.Formatter):
    """``[h:mm:ss LEVEL]: message`` with the time elapsed since the run started."""

    def __init__(self, start: float):
        super().__init__()
        self.start = start

    def format(self, record: logging.LogRecord) -> str:
        seconds = int(record.created - self.start)
        stamp = f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        return f"[{stamp} {record.levelname}]: {record.getMessage()}"


def configure_logging(start: float) -> None:
    """Log to stdout, and hold the lines for the log file until the run's folder opens."""
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    formatter = ElapsedFormatter(start)
    held = logging.handlers.MemoryHandler(capacity=1_000_000, flushLevel=logging.CRITICAL + 1)
    for handler in (ConsoleHandler(sys.stdout), held):
        handler.setFormatter(formatter)
        logger.addHandler(handler)


_focus: Any = None  # while set, log lines go to this run's file only (see ``focus``)


@contextmanager
def focus(run: Any) -> Iterator[None]:
    """Lines logged inside go to ``run``'s log file (and the console), not to the other runs' of
    its group; lines logged outside go to every run's file."""
    global _focus
    previous, _focus = _focus, run
    try:
        yield
    finally:
        _focus = previous


class _ForRun(logging.Filter):
    def __init__(self, run: Any):
        super().__init__()
        self.run = run

    def filter(self, record: logging.LogRecord) -> bool:
        return _focus is None or _focus is self.run


def log_to_file(log_path: Path, run: Any) -> None:
    """From now on log ``run``'s lines to ``log_path`` too, starting with the lines held so far
    (a run of a group replays them and leaves them held for the next, see ``stop_holding_lines``)."""
    file_handler = logging.FileHandler(log_path)
    file_handler.addFilter(_ForRun(run))
    for handler in list(logger.handlers):
        if isinstance(handler, logging.handlers.MemoryHandler):
            file_handler.setFormatter(handler.formatter)
            if run.in_group:
                for record in handler.buffer:
                    file_handler.handle(record)
                continue
            handler.setTarget(file_handler)
            handler.flush()
            logger.removeHandler(handler)
            handler.close()
    logger.addHandler(file_handler)


def stop_holding_lines() -> None:
    """Every run of a group has its log file: stop holding lines for one to come."""
    for handler in list(logger.handlers):
        if isinstance(handler, logging.handlers.MemoryHandler):
            logger.removeHandler(handler)
            handler.close()
