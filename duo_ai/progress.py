"""Progress on long work: a bar on a terminal; elsewhere (a log file, CI) a log line at most every
30 seconds. tqdm draws and times both; duo only chooses where its lines go."""

from __future__ import annotations

import logging
import sys
from typing import Any

from tqdm import tqdm

logger = logging.getLogger("duo_ai")
LOG_EVERY_SECONDS = 30.0


class _LogLines:
    """A file for tqdm that turns each refresh into one log line."""

    def write(self, text: str) -> None:
        line = text.strip("\r\n ")
        if line:
            logger.info(line)

    def flush(self) -> None:
        pass


def progress(total: int, description: str, unit: str, **options: Any) -> tqdm:
    """A bar for ``total`` units of work, quiet for work shorter than a few seconds."""
    if sys.stderr.isatty():
        return tqdm(total=total, desc=description, unit=unit, dynamic_ncols=True, delay=2, **options)
    return tqdm(
        total=total, desc=description, unit=unit, file=_LogLines(), ascii=True, ncols=100,
        mininterval=LOG_EVERY_SECONDS, maxinterval=LOG_EVERY_SECONDS, delay=LOG_EVERY_SECONDS,
        **options,
    )  # fmt: skip


class ConsoleHandler(logging.StreamHandler):
    """Log lines that never land on a progress bar's line: tqdm clears its bars, prints the line
    and draws them again (bars on stderr, lines on stdout)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            tqdm.write(self.format(record), file=self.stream)
        except Exception:  # noqa: BLE001 - logging reports its own failures
            self.handleError(record)
