"""Run a sweep on Ray Tune: each trial is an ordinary duo run in its own folder.

Ray starts on this machine's cores, or joins a cluster by address. A trial whose folder already
holds a result returns it at once and a trial that was cut off resumes from its ``last.ckpt``, so
rerunning a sweep after its driver was killed trains only what had not finished. Searches
(Optuna's TPE) and early stopping (ASHA) read the val_sim reward, reported at each validation;
nothing selects on test.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from duo_ai.algorithms.callbacks import Callback
from duo_ai.errors import ConfigError, DuoError
from duo_ai.run_folder import LAST_CHECKPOINT, LOG_FILE, METRICS_FILE, RESULT_FILE, atomic_write, read_metrics
from duo_ai.sweep.spec import SELECTION_METRIC, Sweep

logger = logging.getLogger("duo_ai")
TRIAL_DONE = "trial.json"  # written when a trial's run has finished: what Tune was told
TRIAL_ERROR = "duo_error"  # a trial's one-line refusal, in place of its result


class ReportToTune(Callback):
    """Each validation's val_sim reward goes to Tune (the searcher and the scheduler read it)."""

    def on_validation(self, step: int, results: dict[str, dict[str, Any]]) -> bool | None:
        from ray import tune

        if "val_sim" in results:
            tune.report({SELECTION_METRIC: results["val_sim"]["reward_mean"], "step": step})
        return None


def run_trial(params: dict[str, Any], sweep: Sweep) -> dict[str, Any]:
    """One trial: a duo run named by its settings (searched ones come in ``params`` too)."""
    from ray import tune

    from duo_ai import jobs
    from duo_ai.config import load_config
    from duo_ai.run import end_run

    name = sweep.trial_name(params)
    folder = sweep.experiment_dir / name
    done = folder / TRIAL_DONE
    stored = read_trial(done)
    if stored is not None:
        return stored  # finished by an earlier invocation of this sweep
    if sweep.kind == "coord" and (folder / RESULT_FILE).exists():
        result = _finished(folder, sweep)  # a finished coordinator run made outside a sweep
        write_trial(done, result)
        return result
    overrides = sweep.trial_overrides(params, name)
    # cut off earlier: continue from its resume point (algorithms that save one: PPO), or start
    # again in the folder duo made
    again = "resume=1" if _resumable(folder / LAST_CHECKPOINT) else "overwrite=1"
    started = time.perf_counter()
    try:
        jobs.train(load_config(sweep.base, [*overrides, again]), sweep.kind, callbacks=[ReportToTune()])
    except DuoError as error:  # a refusal (a held lock, a foreign folder, a missing checkpoint)
        log = folder / LOG_FILE
        return {
            TRIAL_ERROR: str(error),
            "log": str(log) if log.exists() else None,
            SELECTION_METRIC: float("nan"),
        }
    finally:
        end_run()
    result = {**_finished(folder, sweep), "wall_seconds": round(time.perf_counter() - started, 1)}
    write_trial(done, result)
    tune.report(result)
    return result


def run_group_trial(params: dict[str, Any], sweep: Sweep) -> dict[str, Any]:
    """One trial of a grouped sweep: the runs of group ``params["group"]`` trained together
    (``jobs.train_group``); runs that finished earlier are kept, the others continue from their
    last save (or start). Each run gets its ``trial.json`` as a trial of its own would."""
    from ray import tune

    from duo_ai import jobs
    from duo_ai.config import load_config

    points = sweep.groups()[params["group"]]
    if len(points) == 1:  # a run no group holds (or a group of one): an ordinary trial
        return run_trial(points[0], sweep)
    folders = [sweep.experiment_dir / sweep.trial_name(point) for point in points]
    pending = [(point, folder) for point, folder in zip(points, folders, strict=True)
               if read_trial(folder / TRIAL_DONE) is None and not (folder / RESULT_FILE).exists()]  # fmt: skip
    started = time.perf_counter()
    if pending:
        configs = [load_config(sweep.base, [*sweep.trial_overrides(point, sweep.trial_name(point)), "resume=1"])
                   for point, folder in pending]  # fmt: skip
        try:
            jobs.train_group(configs)
        except DuoError as error:  # a refusal (a held lock, a foreign folder, runs saved apart)
            logs = [str(folder / LOG_FILE) for _, folder in pending if (folder / LOG_FILE).exists()]
            return {TRIAL_ERROR: str(error), "log": logs[0] if logs else None, SELECTION_METRIC: float("nan")}
    seconds = round(time.perf_counter() - started, 1)
    rows = []
    for folder in folders:
        row = read_trial(folder / TRIAL_DONE)
        if row is None:
            row = {**_finished(folder, sweep), "group_wall_seconds": seconds}
            write_trial(folder / TRIAL_DONE, row)
        rows.append(row)
    summary = {
        "runs": len(rows),
        SELECTION_METRIC: max(row.get(SELECTION_METRIC, float("nan")) for row in rows),
    }
    tune.report(summary)
    return summary


def _resumable(last: Path) -> bool:
    from duo_ai.checkpoint import read_checkpoint

    return last.exists() and read_checkpoint(last).get("training_state") is not None


def _finished(folder: Path, sweep: Sweep) -> dict[str, Any]:
    summary: dict[str, Any] = {"folder": str(folder)}
    if sweep.kind == "coord":
        test = json.loads((folder / RESULT_FILE).read_text())["test"]
        summary["test/reward_mean"] = test["reward_mean"]
    metrics = folder / METRICS_FILE
    if metrics.exists():
        values = [row.get(SELECTION_METRIC) for row in read_metrics(metrics)]
        values = [value for value in values if isinstance(value, int | float)]
        if values:
            summary[SELECTION_METRIC] = max(values)
    return summary


def read_trial(path: Path) -> dict[str, Any] | None:
    """A trial's stored result; None where there is none or it cannot be read (another tool's
    file, or one from before writes were atomic): the trial then counts as unfinished."""
    try:
        trial = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return trial if isinstance(trial, dict) else None


def write_trial(path: Path, result: dict[str, Any]) -> None:
    """Store a finished trial's result whole or not at all (a kill never leaves half a file)."""
    atomic_write((json.dumps(result, indent=2) + "\n").encode(), path)


def run_sweep(sweep: Sweep, address: str | None = None) -> list[dict[str, Any]]:
    """Run every trial (Tune's live table shows them); one line per failed trial at the end."""
    import ray
    from ray import tune

    if not ray.is_initialized():
        ray.init(address=address, log_to_driver=True, include_dashboard=False)
    param_space, search_alg = _search_space(sweep)
    scheduler = None
    if sweep.scheduler == "asha":
        from ray.tune.schedulers import ASHAScheduler

        scheduler = ASHAScheduler(metric=SELECTION_METRIC, mode="max", grace_period=1, max_t=10**9)
    trainable = tune.with_resources(
        tune.with_parameters(run_group_trial if sweep.group else run_trial, sweep=sweep),
        {"cpu": sweep.cpus, "gpu": sweep.gpus},
    )
    storage = sweep.experiment_dir / ".tune"
    tuner = tune.Tuner(
        trainable,
        param_space=param_space,
        tune_config=tune.TuneConfig(
            num_samples=sweep.num_samples, search_alg=search_alg, scheduler=scheduler
        ),
        run_config=tune.RunConfig(name="sweep", storage_path=str(storage), verbose=1),
    )
    check_resources(sweep, ray.nodes())
    interrupt = InterruptWatch()
    logging.getLogger("ray.tune.tune").addFilter(interrupt)
    try:
        results = tuner.fit()
    except RuntimeError as error:  # Ray stops the whole sweep when its memory monitor kills a trial
        if not killed_for_memory(error):
            raise
        raise SweepFailed(
            "Ray killed a trial because the machine ran out of memory: give each trial more "
            "(resources: {cpu: N} runs fewer at a time) or lower env.num_envs, then run the same duo sweep "
            "command again (finished trials are kept, cut ones resume from their last save)"
        ) from None
    finally:
        logging.getLogger("ray.tune.tune").removeFilter(interrupt)
    rows, failed, unfinished = sort_trials(results, sweep)
    cut = unfinished if interrupt.seen else 0  # else they were stopped early by the scheduler
    for line in failed:
        print(f"duo: error: {line}")
    print(
        f"sweep: {len(rows)} trials finished, {len(failed)} failed, {unfinished - cut} stopped early by the scheduler, "
        f"{cut} cut off; runs in {sweep.experiment_dir}"
    )
    if cut:
        raise SweepInterrupted(
            f"the sweep stopped before {cut} trials finished; run the same duo sweep command again: "
            "finished trials are kept and cut ones resume from their last save"
        )
    if failed:
        raise SweepFailed(f"{len(failed)} of {len(rows) + len(failed)} trials failed (listed above)")
    return rows


def _search_space(sweep: Sweep) -> tuple[dict[str, Any], Any]:
    """Tune's parameter space of the sweep (its groups' indices, for a grouped sweep) and its
    searcher (Optuna's TPE where the sweep searches)."""
    from ray import tune

    if sweep.group:
        return {"group": tune.grid_search(list(range(len(sweep.groups()))))}, None
    param_space: dict[str, Any] = {key: tune.grid_search(values) for key, values in sweep.axes().items()}
    if not sweep.search:
        return param_space, None
    from ray.tune.search.optuna import OptunaSearch

    param_space.update(
        {key: getattr(tune, kind)(*args) for key, spec in sweep.search.items() for kind, args in spec.items()}
    )
    return param_space, OptunaSearch(metric=SELECTION_METRIC, mode="max")


def sort_trials(results: Any, sweep: Sweep) -> tuple[list[dict[str, Any]], list[str], int]:
    """Tune's results as finished rows, one line per failed trial, and how many trials did not
    finish without failing (stopped early by the scheduler, or cut off)."""
    rows, failed, unfinished = [], [], 0
    groups = sweep.groups() if sweep.group else []
    for result in results:
        metrics = result.metrics or {}
        config = result.config or {}
        points = groups[config["group"]] if "group" in config else [config] if config else []
        names = [sweep.trial_name(point) for point in points]
        label = f"trial {', '.join(names)}" if names else "trial (not started)"
        if result.error is not None:
            detail = str(result.error).strip().splitlines()
            failed.append(f"{label}: {detail[-1] if detail else type(result.error).__name__}")
        elif TRIAL_ERROR in metrics:
            where = f" (log: {metrics['log']})" if metrics.get("log") else ""
            failed.append(f"{label}: {metrics[TRIAL_ERROR]}{where}")
        elif not points:
            unfinished += 1  # not started
        else:
            for point, name in zip(points, names, strict=True):
                stored = read_trial(sweep.experiment_dir / name / TRIAL_DONE)
                if stored is not None:
                    rows.append({**point, **(stored if "group" in config else metrics)})
                else:
                    unfinished += 1
    return rows, failed, unfinished


class InterruptWatch(logging.Filter):
    """Tells whether Ray Tune stopped on an interrupt (it says so only in its log), and drops
    its hint to resume with ``Tuner.restore``, which is not how a duo sweep continues."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = False

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        self.seen |= "Stop signal received" in message or "has been interrupted" in message
        return "Tuner.restore" not in message


def check_resources(sweep: Sweep, nodes: list[dict[str, Any]]) -> None:
    """Refuse a trial that no node could ever hold (Ray would leave it pending forever)."""
    alive = [node.get("Resources", {}) for node in nodes if node.get("Alive", True)]
    for key, asked, unit in (("CPU", sweep.cpus, "cpu"), ("GPU", sweep.gpus, "gpu")):
        largest = max((float(resources.get(key, 0)) for resources in alive), default=0.0)
        if asked > largest:
            raise ConfigError(
                f"resources.{unit}: each trial asks for {asked:g}, but the largest node offers {largest:g}; "
                f"valid: 0 to {largest:g}"
            )


def killed_for_memory(error: BaseException | None) -> bool:
    """Whether Ray's memory monitor killed a trial: its ``OutOfMemoryError`` is ``error`` or one
    that ``error`` was raised from (Tune wraps it in a RuntimeError)."""
    from ray.exceptions import OutOfMemoryError

    seen: list[BaseException] = []
    while error is not None and error not in seen:
        if isinstance(error, OutOfMemoryError):
            return True
        seen.append(error)
        error = error.__cause__ or error.__context__
    return False


class SweepFailed(DuoError):
    """Some trials failed; the others finished and their folders hold their results."""


class SweepInterrupted(DuoError):
    """The sweep stopped (an interrupt) before every trial finished; a rerun continues it."""
