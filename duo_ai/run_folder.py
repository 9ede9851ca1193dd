"""Run folders that duo made, and one writer at a time in each.

Every folder a training run creates holds a marker file, ``.duo_run``. ``overwrite=1`` and
``resume=1`` touch only folders with the marker, so a mistyped ``name`` or ``experiment_dir``
can never empty a folder of the user's own. The marker is also the run's lock (``fcntl``): a
second process that tries to write into a folder in use gets an error naming the holder.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import tempfile
from pathlib import Path
from typing import IO, Any

from omegaconf import DictConfig, OmegaConf

from duo_ai.errors import ExperimentError

MARKER = ".duo_run"
# The files of a run folder.
CONFIG_FILE = "config.yaml"
LOG_FILE = "train.log"
METRICS_FILE = "metrics.jsonl"
LAST_CHECKPOINT = "last.ckpt"
RESULT_FILE = "test_result.json"


def best_checkpoint(split: str) -> str:
    """The file of the checkpoint selected on ``split``."""
    return f"best_{split}.ckpt"


# Settings a resumed run may change: they do not change what is learned from which data.
RESUMABLE_CHANGES = (
    "resume", "overwrite", "device", "torch_threads", "experiment_dir", "name", "use_wandb",
    "algorithm.total_timesteps", "algorithm.log_freq", "algorithm.save_freq", "env.num_threads",
    "eval_name", "eval_splits",
)  # fmt: skip
# Settings that cannot change a run's results (names, folders, logging cadence, where it ran):
# runs that differ only in these are one configuration in a report. A budget is not among them.
RESULT_NEUTRAL = tuple(key for key in RESUMABLE_CHANGES if key != "algorithm.total_timesteps")
# What the runs of one group (trained together, ``algorithms/grouped_ppo.py``) may differ in.
GROUP_AXES = ("seed", "coordination.expert_query_cost_weight")
# Settings that stop or undo one run's update, which a group makes for all its runs together.
NOT_GROUPABLE = ("algorithm.target_kl", "algorithm.max_kl")
# Settings added to duo after runs were saved without them, with the value those runs had.
ADDED_SETTINGS = {"algorithm.normalize_reward": False, "algorithm.bootstrap_truncated": True}


def group_refusal(config: DictConfig) -> str | None:
    """Why a run cannot train in a group (one line naming the setting), or None where it can: a
    group trains PPO coordinators without ``NOT_GROUPABLE`` settings."""
    if (config.algorithm.name, config.policy.name) != ("ppo", "ppo"):
        return (
            "algorithm.name: a group trains PPO coordinators (algorithm.name=ppo, policy.name=ppo), "
            f"not '{config.algorithm.name}' with policy '{config.policy.name}'"
        )
    for key in NOT_GROUPABLE:
        if OmegaConf.select(config, key) is not None:
            return (
                f"{key}: it stops or undoes one run's update, which a group updates together; "
                "train these runs one by one, or leave it unset"
            )
    return None


def check_train_folder(folder: Path, config: DictConfig) -> None:
    """Refuse, before anything is built or written, a folder this run may not write into."""
    if folder.exists() and not folder.is_dir():
        raise ExperimentError(f"{folder} exists and is not a folder; choose another name=...")
    contents = [item for item in folder.iterdir() if item.name != MARKER] if folder.exists() else []
    if not contents:
        return
    if not (folder / MARKER).exists():
        raise ExperimentError(
            f"{folder} holds files that duo did not write (no {MARKER} marker); "
            "duo never overwrites or resumes such a folder: choose another name=... or experiment_dir=... "
            f"(a run of a duo older than the marker: `touch {folder / MARKER}` to let duo use it)"
        )
    if config.resume:
        check_resumable(folder, config)
    elif not config.overwrite:
        raise ExperimentError(
            f"experiment folder {folder} already exists; pass overwrite=1 to replace it, "
            "resume=1 to continue it, or choose another name=..."
        )


def check_resumable(folder: Path, config: DictConfig) -> None:
    """A resumed run must be the run that was saved: only RESUMABLE_CHANGES may differ."""
    saved_file = folder / CONFIG_FILE
    if not saved_file.exists():
        return
    try:
        saved = flatten(OmegaConf.to_container(OmegaConf.load(saved_file)))
    except Exception as error:  # noqa: BLE001 - any unreadable file gets the same one line
        raise ExperimentError(f"resume=1: cannot read {saved_file}: {str(error).splitlines()[0]}") from None
    current = flatten(OmegaConf.to_container(config))
    saved |= {key: value for key, value in ADDED_SETTINGS.items() if key in current and key not in saved}
    changed = [
        f"{key}: {saved.get(key, '(unset)')} -> {current.get(key, '(unset)')}"
        for key in sorted(set(saved) | set(current))
        if key not in RESUMABLE_CHANGES and saved.get(key) != current.get(key)
    ]
    if changed:
        raise ExperimentError(
            f"resume=1: the config differs from the saved run in {folder}: {'; '.join(changed)} "
            f"(a resumed run may change only {', '.join(RESUMABLE_CHANGES)})"
        )


def run_settings(folder: Path) -> dict[str, Any]:
    """What makes a run the configuration it is: its saved config less the seed and the settings
    that cannot change results (so seeds of one configuration compare equal; budgets differ)."""
    saved = folder / CONFIG_FILE
    config = OmegaConf.to_container(OmegaConf.load(saved)) if saved.exists() else {}
    return {
        key: value for key, value in flatten(config).items() if key != "seed" and key not in RESULT_NEUTRAL
    }


def configuration_key(settings: dict[str, Any]) -> str:
    """One string per configuration: equal settings, equal key."""
    return json.dumps(settings, sort_keys=True, default=str)


def describe_difference(settings: dict[str, Any], others: list[dict[str, Any]]) -> str:
    """``key=value`` for each setting on which ``others`` (which include ``settings``) disagree."""
    keys = sorted({key for other in others for key in other})
    differing = [key for key in keys if len({str(other.get(key)) for other in others}) > 1]
    return ", ".join(f"{key}={settings.get(key)}" for key in differing)


MAX_LABEL = 40  # characters of a configuration difference shown as a label; longer: its folders


def configuration_label(
    settings: dict[str, Any], others: list[dict[str, Any]], members: list[Path], everyone: list[Path]
) -> str:
    """How a table or a plot names one configuration (run folders ``members``) among others: the
    settings that differ, or, where those are long (a task family, a list), the folder its runs
    share below the folder all of ``everyone`` share."""
    label = describe_difference(settings, others)
    if len(label) <= MAX_LABEL:
        return label
    common = Path(os.path.commonpath([str(folder) for folder in everyone]))
    where = Path(os.path.commonpath([str(folder) for folder in members]))
    return str(where.relative_to(common)) if where != common else members[0].name


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(tree, dict):
        flat: dict[str, Any] = {}
        for key, value in tree.items():
            flat.update(flatten(value, f"{prefix}{key}."))
        return flat
    return {prefix.rstrip("."): tree}


def claim_train_folder(folder: Path, config: DictConfig) -> IO[str]:
    """Create ``folder`` or take over one duo made, holding its lock; ``overwrite=1`` empties it
    (the marker stays: it holds the lock). Returns the open lock file: keep it while writing."""
    check_train_folder(folder, config)
    folder.mkdir(parents=True, exist_ok=True)
    lock = take_lock(folder)
    if config.overwrite and not config.resume:
        for item in folder.iterdir():
            if item.name != MARKER:
                shutil.rmtree(item) if item.is_dir() and not item.is_symlink() else item.unlink()
    return lock


def take_lock(folder: Path) -> IO[str]:
    handle = (folder / MARKER).open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise ExperimentError(
            f"{folder} is in use by {holder}: one run writes into a folder at a time; "
            "wait for it to end or choose another name=..."
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"process {os.getpid()} on {socket.gethostname()}\n")
    handle.flush()
    return handle


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """The rows of a ``metrics.jsonl`` that read as JSON objects; others (the half line a kill
    leaves, bytes another tool wrote) are left out."""
    rows = []
    for line in path.read_bytes().decode("utf-8", errors="replace").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


def atomic_write(data: bytes | memoryview, path: str | Path) -> None:
    """Write ``data`` to ``path`` all at once: a reader (or a run killed mid-write) sees the old
    file or the new one, never half of one. A full disk is an OSError that names ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; these are ordinary files
        os.replace(tmp, path)
    except OSError as error:
        Path(tmp).unlink(missing_ok=True)
        raise OSError(error.errno, error.strerror, str(path)) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
