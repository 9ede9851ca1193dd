"""Progress off a terminal is log lines (at most one every LOG_EVERY_SECONDS), and log lines on a
terminal never land on a bar's line."""

import io
import logging
import sys

from tqdm import tqdm

from duo_ai import progress as progress_module
from duo_ai.progress import ConsoleHandler, progress


def test_off_a_terminal_progress_is_log_lines(monkeypatch, caplog):
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # not a terminal, even under pytest -s
    monkeypatch.setattr(progress_module, "LOG_EVERY_SECONDS", 0.0)
    with caplog.at_level(logging.INFO, logger="duo_ai"):
        bar = progress(4, "evaluating", "episode")
        bar.update(4)
        bar.close()
    lines = [record.getMessage() for record in caplog.records]
    assert lines and all("\r" not in line for line in lines)
    assert "evaluating: 100%" in lines[-1] and "4/4" in lines[-1]


def test_short_work_logs_nothing(monkeypatch, caplog):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    with caplog.at_level(logging.INFO, logger="duo_ai"):
        bar = progress(4, "evaluating", "episode")
        bar.update(4)
        bar.close()
    assert caplog.records == []  # shorter than LOG_EVERY_SECONDS


def test_a_log_line_is_written_through_the_bar():
    screen = io.StringIO()
    handler = ConsoleHandler(screen)
    logger = logging.getLogger("duo_ai.test_progress")
    logger.addHandler(handler)
    try:
        with tqdm(total=2, file=screen, mininterval=0) as bar:
            bar.update(1)
            logger.warning("validation done")
    finally:
        logger.removeHandler(handler)
    line = next(line for line in screen.getvalue().split("\n") if "validation done" in line)
    *drawn, last = line.split("\r")
    assert last == "validation done" and drawn[-1].strip() == ""  # the bar was wiped first
