"""A run: its experiment folder, metrics and device, and the run this process is doing.

``make_config`` starts a run the way the tutorial expects (one per process), and the tutorial's
calls (``make_policy``, ``algorithm.train``) take their device and folder from it; duo's own jobs
pass the run and its device explicitly. Its log is ``run_log``, its random generators
``seeding``, its default thread count ``threads``.
"""

from __future__ import annotations

import glob
import json
import logging
import math
import os
import time
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf

from duo_ai import zoo
from duo_ai.errors import ExperimentError
from duo_ai.provenance import code_version
from duo_ai.run_folder import CONFIG_FILE, LOG_FILE, METRICS_FILE, check_train_folder, claim_train_folder
from duo_ai.run_log import configure_logging, log_to_file
from duo_ai.seeding import seed_everything
from duo_ai.threads import default_torch_threads

logger = logging.getLogger("duo_ai")
EVALUATION_FILES = (".log", ".json", ".mp4", ".gif", ".png")  # what an evaluation writes (a name's claim)


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
            configure_logging(self.start)

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
        log_to_file(self.log_path, self)
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
    _log_process(config, threads)
    return _current


def start_group(configs: list[DictConfig]) -> list[Run]:
    """``start_run`` for training runs that share this process (``grouped_ppo``): every folder is
    checked before any is written; the first run's seed, threads and device are the process's."""
    global _current
    threads = _prepare_process(configs[0], own_process=True)
    configure_logging(time.time())
    runs = [Run(config, "train", Path(config.experiment_dir) / config.name, LOG_FILE, in_group=True)
            for config in configs]  # fmt: skip
    _current = runs[0]
    logger.info(
        "train group of %d runs, folders %s", len(runs), ", ".join(str(run.log_path.parent) for run in runs)
    )
    _log_process(configs[0], threads)
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


def _log_process(config: DictConfig, threads: int | None) -> None:
    """The code version and torch threads: what, beside the config, a rerun needs to repeat it."""
    logger.info("code version: %s", code_version())
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
