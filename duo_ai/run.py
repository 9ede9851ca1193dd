"""The active run: its experiment folder, log files, metrics, device and seeds.

``make_config`` starts a run the way the tutorial expects (one per process); algorithms write
their logs, metrics and checkpoints into its folder.
"""

from __future__ import annotations

import glob
import json
import logging
import logging.handlers
import math
import os
import random
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch
from omegaconf import DictConfig, OmegaConf

from duo_ai import zoo
from duo_ai.errors import ExperimentError
from duo_ai.progress import ConsoleHandler
from duo_ai.run_folder import CONFIG_FILE, LOG_FILE, METRICS_FILE, check_train_folder, claim_train_folder

logger = logging.getLogger("duo_ai")
EVALUATION_FILES = (".log", ".json", ".mp4", ".gif", ".png")  # what an evaluation writes (a name's claim)


class ElapsedFormatter(logging.Formatter):
    """``[h:mm:ss LEVEL]: message`` with the time elapsed since the run started."""

    def __init__(self, start: float):
        super().__init__()
        self.start = start

    def format(self, record: logging.LogRecord) -> str:
        seconds = int(record.created - self.start)
        stamp = f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        return f"[{stamp} {record.levelname}]: {record.getMessage()}"


class Run:
    """One training or evaluation run and the folder it writes into.

    The folder is claimed on first use of ``folder`` (by the first checkpoint, metric or
    result), not when the run starts: a run whose inputs fail to load (a missing checkpoint, a
    bad environment) writes and deletes nothing. Log lines from before are kept and land in
    the log file when the folder opens."""

    def __init__(self, config: DictConfig, mode: str, folder: Path, log_name: str, in_group: bool = False):
        """``in_group``: one of several runs trained in this process (``grouped_ppo``): logging is
        the group's, and this run's log file gets the group's lines and its own (``focus``)."""
        self.config, self.mode, self.in_group = config, mode, in_group
        self.output_name = log_name.removesuffix(".log")
        self._folder: Path = folder
        self._lock: Any = None
        self._opened = False
        self.start = time.time()
        self.log_path = folder / log_name
        self.metrics_path = folder / METRICS_FILE
        self.resuming = mode == "train" and bool(config.get("resume", False))
        self._tensorboard: Any = None
        self._purge_step: int | None = None
        self._wandb: Any = None
        if mode == "train":
            check_train_folder(folder, config)
        if not in_group:
            _configure_logging(self.start)

    @property
    def folder(self) -> Path:
        """The run's folder, created (or, with overwrite=1, emptied) on first use."""
        self.open_folder()
        return self._folder

    def open_folder(self) -> None:
        """Claim the folder now (it is otherwise claimed on first use); a no-op once done."""
        if self._opened:
            return
        if self.mode == "train":
            self._lock = claim_train_folder(self._folder, self.config)
            (self._folder / CONFIG_FILE).write_text(OmegaConf.to_yaml(self.config))
        else:
            self._open_eval_folder()
        self._opened = True
        _log_to_file(self.log_path, self)
        if self.config.use_wandb:
            self._wandb = _start_wandb(self.config, self._folder)

    def _open_eval_folder(self) -> None:
        """Evaluations write new files only: ``<eval_name>-2`` if a file of ``<eval_name>`` was
        taken, and under ``experiment_dir/name`` when the checkpoint's folder is read-only."""
        fallback = Path(self.config.experiment_dir) / self.config.name
        if self._folder.is_dir() and not os.access(self._folder, os.W_OK) and self._folder != fallback:
            logger.warning("%s is read-only: writing the evaluation into %s", self._folder, fallback)
            self._folder = fallback
        self._folder.mkdir(parents=True, exist_ok=True)
        base, number = self.output_name, 1
        while any(
            path.suffix in EVALUATION_FILES
            for path in self._folder.glob(f"{glob.escape(self.output_name)}.*")
        ):
            number += 1
            self.output_name = f"{base}-{number}"
        self.log_path = self._folder / f"{self.output_name}.log"

    def output_path(self, suffix: str) -> Path:
        """A file of this evaluation: ``<eval_name><suffix>``, e.g. ``eval.json``."""
        return self.folder / f"{self.output_name}{suffix}"

    def close(self) -> None:
        """Release the folder's lock (a later run in this process may take it)."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    @property
    def device(self) -> torch.device:
        return torch.device(self.config.device)

    def log_metrics(self, step: int, metrics: dict[str, Any]) -> None:
        """Append one row to ``metrics.jsonl`` (one JSON object a line: easy to plot)."""
        row = {"step": int(step), "time": round(time.time() - self.start, 3), **metrics}
        row = {key: None if _not_finite(value) else value for key, value in row.items()}  # strict JSON
        self.open_folder()
        with self.metrics_path.open("a") as file:
            file.write(json.dumps(row, allow_nan=False) + "\n")
        scalars = {key: value for key, value in metrics.items() if isinstance(value, (int, float))}
        for key, value in scalars.items():
            self.tensorboard.add_scalar(key, value, step)
        self.tensorboard.flush()
        if self._wandb is not None:
            self._wandb.log(scalars, step=int(step))

    @property
    def tensorboard(self) -> Any:
        if self._tensorboard is None:
            from torch.utils.tensorboard import SummaryWriter

            self._tensorboard = SummaryWriter(str(self.folder / "tensorboard"), purge_step=self._purge_step)
        return self._tensorboard

    def forget_metrics_after(self, step: int) -> None:
        """On resume, drop the rows logged after the checkpoint the run continues from."""
        if self.metrics_path.exists():
            kept = [row for row in self.metrics_path.read_text().splitlines() if _step_of(row) <= step]
            self.metrics_path.write_text("".join(row + "\n" for row in kept))
        self._purge_step = step + 1

    def elapsed(self) -> float:
        return time.time() - self.start

    def continue_clock(self, elapsed_seconds: float) -> None:
        """On resume, count time from where the saved run stopped (downtime excluded), so log
        stamps and the metrics' ``time`` are cumulative training time."""
        self.start = time.time() - elapsed_seconds
        for handler in logger.handlers:
            handler.formatter.start = self.start  # type: ignore[union-attr]


def _not_finite(value: Any) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


def _step_of(row: str) -> float:
    """The step of a metrics row; infinite for a line that is not one (a write cut short)."""
    try:
        return int(json.loads(row)["step"])
    except (ValueError, KeyError, TypeError):
        return float("inf")


_current: Run | None = None


def start_run(
    config: DictConfig, mode: str = "train", own_process: bool = False, activity: str | None = None
) -> Run:
    """Seed everything, prepare the folder (refusing to clobber one) and start logging.

    torch's thread count is the process's, so it is set only where the user asks (``torch_threads``)
    or the process is duo's own (``own_process``: a ``duo`` command or a sweep trial, which then
    picks from the cores that are free); a user's script keeps its own setting. ``activity`` names
    the run in the log where ``mode`` would mislead (an optimum is computed, not trained)."""
    global _current
    threads = _prepare_process(config, own_process)
    if mode == "train":
        folder = Path(config.experiment_dir) / config.name
        _current = Run(config, mode, folder, LOG_FILE)
    elif mode == "eval":
        load_path = config.policy.get("load_path")
        beside_policy = load_path and not str(load_path).startswith(zoo.PREFIX)
        folder = Path(load_path).parent if beside_policy else Path(config.experiment_dir) / config.name
        _current = Run(config, mode, folder, f"{config.eval_name}.log")
    else:
        raise ExperimentError(f"unknown mode '{mode}'; valid choices: train, eval")
    logger.info("%s run, folder %s", activity or mode, folder)
    _log_threads(config, threads)
    return _current


def start_group(configs: list[DictConfig]) -> list[Run]:
    """``start_run`` for training runs that share this process (``grouped_ppo``): every folder is
    checked before any is written; the first run's seed, threads and device are the process's."""
    global _current
    threads = _prepare_process(configs[0], own_process=True)
    _configure_logging(time.time())
    runs = [Run(config, "train", Path(config.experiment_dir) / config.name, LOG_FILE, in_group=True)
            for config in configs]  # fmt: skip
    _current = runs[0]
    logger.info(
        "train group of %d runs, folders %s", len(runs), ", ".join(str(run.log_path.parent) for run in runs)
    )
    _log_threads(configs[0], threads)
    return runs


def _prepare_process(config: DictConfig, own_process: bool) -> int | None:
    """Seed every generator; set torch's threads where that is ours to do (see ``start_run``);
    release the previous run's folder."""
    seed_everything(config.seed)
    threads = config.torch_threads or (default_torch_threads() if own_process else None)
    if threads:
        torch.set_num_threads(threads)
    if _current is not None:
        _current.close()
    return threads


def _log_threads(config: DictConfig, threads: int | None) -> None:
    if threads:
        chosen = "set" if config.torch_threads else "the default: cores not busy at the start"
        logger.info("torch threads: %d of %d cores (%s); torch_threads=%d repeats this run's numbers",
                    threads, os.cpu_count() or 1, chosen, threads)  # fmt: skip
    else:
        logger.info("torch threads: %d, left as this process had them (torch_threads=N sets them)",
                    torch.get_num_threads())  # fmt: skip


def end_run() -> None:
    """Release the current run's folder (its lock); its logs and files stay."""
    if _current is not None:
        _current.close()


def current_run() -> Run | None:
    return _current


def current_device() -> torch.device:
    return _current.device if _current is not None else torch.device("cpu")


def default_torch_threads() -> int:
    """Every core that other work is not using when the run starts. The simulator and torch take
    turns within a step, so they do not compete, and IMPALA-sized networks run nearly twice as
    fast on 2 threads as on 1 (benchmarks/threads.py). But a torch thread waiting for a core that
    another process holds stalls every parallel op: on 2 busy cores two threads made the demo's
    training 7.5-22x slower in two runs, one thread 2.3-2.4x (benchmarks/busy_machine.py,
    docs/PERFORMANCE.md). ``start_run`` logs the count: float sums split over other thread counts
    round differently, so a run repeats bit for bit only with the same ``torch_threads``."""
    return max(1, (os.cpu_count() or 1) - busy_cores())


def busy_cores(readings: int = 5, interval: float = 0.02) -> int:
    """How many cores other processes keep busy now: the kernel's count of runnable tasks
    (``/proc/loadavg``) less this one, the median of a few readings; 0 where the count is unknown
    (not Linux). Instantaneous, unlike the load average, which lags by a minute."""
    counts = []
    for reading in range(readings):
        try:
            running = Path("/proc/loadavg").read_text().split()[3].split("/")[0]
            counts.append(int(running) - 1)
        except (OSError, IndexError, ValueError):
            return 0
        if reading < readings - 1:
            time.sleep(interval)
    return max(0, int(np.median(counts)))


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def capture_rng() -> dict[str, Any]:
    """Every random generator's state, as tensors and plain data (checkpoint-safe)."""
    numpy_state = np.random.get_state(legacy=False)
    return {
        "torch": torch.get_rng_state(),
        "numpy": {
            "key": torch.from_numpy(numpy_state["state"]["key"].astype(np.int64)),
            "pos": int(numpy_state["state"]["pos"]),
            "has_gauss": int(numpy_state["has_gauss"]),
            "gauss": float(numpy_state["gauss"]),
        },
        "python": random.getstate(),
    }


def restore_rng(state: dict[str, Any]) -> None:
    """Restore ``capture_rng``'s states (from a checkpoint loaded onto any device)."""
    torch.set_rng_state(state["torch"].cpu())
    numpy_state = state["numpy"]
    np.random.set_state(
        {
            "bit_generator": "MT19937",
            "state": {
                "key": numpy_state["key"].cpu().numpy().astype(np.uint32),
                "pos": numpy_state["pos"],
            },
            "has_gauss": numpy_state["has_gauss"],
            "gauss": numpy_state["gauss"],
        }
    )
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))


def _start_wandb(config: DictConfig, folder: Path) -> Any:
    try:
        import wandb
    except ImportError:
        raise ExperimentError("use_wandb=1 needs the wandb package: pip install wandb") from None
    try:
        return wandb.init(
            project="duo",
            name=config.name,
            dir=str(folder),
            config=OmegaConf.to_container(config),
            resume="allow",
        )
    except Exception as error:  # noqa: BLE001 - wandb raises many kinds (no login, no network, ...)
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ExperimentError(
            f"use_wandb=1: Weights & Biases could not start ({detail}); run `wandb login`, "
            "or set WANDB_MODE=offline to log locally"
        ) from None


def _configure_logging(start: float) -> None:
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


_focus: Run | None = None  # while set, log lines go to this run's file only (see ``focus``)


@contextmanager
def focus(run: Run) -> Iterator[None]:
    """Lines logged inside go to ``run``'s log file (and the console), not to the other runs' of
    its group; lines logged outside go to every run's file."""
    global _focus
    previous, _focus = _focus, run
    try:
        yield
    finally:
        _focus = previous


class _ForRun(logging.Filter):
    def __init__(self, run: Run):
        super().__init__()
        self.run = run

    def filter(self, record: logging.LogRecord) -> bool:
        return _focus is None or _focus is self.run


def _log_to_file(log_path: Path, run: Run) -> None:
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
