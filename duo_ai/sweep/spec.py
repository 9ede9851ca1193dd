"""A sweep file: a base config, the settings every trial shares, and what varies between trials.

    base: configs/minigrid_distshift.yaml   # the config every trial starts from
    type: coord                             # coord or agent
    experiment_dir: experiments/sweeps/ds   # each trial is a duo run in a folder under it
    overrides: [algorithm.total_timesteps=200000]
    grid:                                   # every combination is a trial
      seed: [0, 1, 2]
      coordination.expert_query_cost_weight: [0.2, 0.4]
    bundles:                                # optional: named sets of overrides, one axis each
      method:
        random: [policy.name=random, algorithm.name=random]
        logit: [policy.name=logit, algorithm.name=logit]
    name: "{method}/alpha{coordination.expert_query_cost_weight}/seed{seed}"   # trial folders
    search:                                 # optional: sampled by Optuna's TPE, num_samples times
      algorithm.learning_rate: {loguniform: [0.0001, 0.001]}
      algorithm.ent_coef: {uniform: [0.0, 0.01]}
    num_samples: 8
    scheduler: asha                         # optional: stop weak trials early on val_sim reward
    resources: {cpu: 1, gpu: 0}             # per trial; its torch threads = its CPUs
    group: true                             # optional: trials that differ only in seed and
                                            # alpha train together, one Ray trial per group
    group_size: 15                          # optional: at most this many runs a group (more
                                            # groups, e.g. one per core, each a mix of the grid)

Every trial's config is built and checked before anything runs, so a bad key or value in the
sweep file is one error before Ray starts.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from duo_ai.config import load_config
from duo_ai.config.loader import read_yaml
from duo_ai.errors import ConfigError
from duo_ai.run_folder import GROUP_AXES, group_refusal

KEYS = (
    "base",
    "type",
    "experiment_dir",
    "overrides",
    "grid",
    "bundles",
    "name",
    "search",
    "num_samples",
    "scheduler",
    "resources",
    "group",
    "group_size",
)
DISTRIBUTIONS = ("uniform", "loguniform", "randint", "choice")
SCHEDULERS = ("none", "asha")
SELECTION_METRIC = "val_sim/reward_mean"  # searches and early stopping never look at test


@dataclass
class Sweep:
    base: Path
    kind: str
    experiment_dir: Path
    overrides: list[str] = field(default_factory=list)
    grid: dict[str, list[Any]] = field(default_factory=dict)
    bundles: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # axis -> label -> overrides
    name: str | None = None  # a template of the trial folder, e.g. "{method}/seed{seed}"
    search: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    num_samples: int = 1
    scheduler: str = "none"
    cpus: float = 1.0
    gpus: float = 0.0
    group: bool = False  # trials differing only in GROUP_AXES train in one process (grouped_ppo)
    groupable: frozenset[str] = frozenset()  # the trials a group can hold: PPO coordinators
    group_size: int | None = None  # at most this many runs a group; None: no limit

    def axes(self) -> dict[str, list[Any]]:
        """The grid's keys and the bundles' axes (whose values are labels), each with its values."""
        return {**self.grid, **{axis: list(labels) for axis, labels in self.bundles.items()}}

    def grid_points(self) -> list[dict[str, Any]]:
        """Every combination of the axes' values ({} for a sweep without a grid)."""
        axes = self.axes()
        return [dict(zip(axes, values, strict=True)) for values in itertools.product(*axes.values())]

    def trial_name(self, params: dict[str, Any]) -> str:
        """A trial's folder under ``experiment_dir``: its settings, so a rerun finds it again."""
        if self.name:  # "{key}" fields; keys hold dots, so no str.format
            return re.sub(r"\{([^{}]+)\}", lambda field: _short(params[field[1]]), self.name)
        parts = [f"{key}={_short(value)}" for key, value in sorted(params.items())]
        return re.sub(r"[^\w.=,+-]", "_", ",".join(parts)) or "trial"

    def groups(self) -> list[list[dict[str, Any]]]:
        """The grid's points, those that differ only in ``GROUP_AXES`` together; alone, each point
        of a sweep that does not group and each that no group can hold (``groupable``). A group
        larger than ``group_size`` is dealt out in turn, in order of cost weight, to the fewest
        groups that hold it: each gets every cost weight it can. Runs at high cost weights take
        longer (they ask in loops: longer episodes, more expert steps), so groups side by side then
        end together."""
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for params in self.grid_points():
            if self.group and self.trial_name(params) in self.groupable:
                rest = {key: value for key, value in params.items() if key not in GROUP_AXES}
                groups.setdefault(("group", repr(sorted(rest.items()))), []).append(params)
            else:
                groups[("alone", self.trial_name(params))] = [params]
        size = self.group_size or max(1, len(self.grid_points()))
        split = []
        for group in groups.values():
            parts = -(-len(group) // size)
            ordered = sorted(group, key=lambda params: [params.get(axis, 0) for axis in reversed(GROUP_AXES)])
            split += [ordered[part::parts] for part in range(parts)]
        return split

    def trial_overrides(self, params: dict[str, Any], name: str) -> list[str]:
        settings = []
        for key, value in params.items():
            settings += self.bundles[key][value] if key in self.bundles else [f"{key}={value}"]
        threads = max(1, int(self.cpus))
        return [*self.overrides, *settings, f"experiment_dir={self.experiment_dir}", f"name={name}",
                f"torch_threads={threads}"]  # fmt: skip


def _short(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def read_sweep(path: str | Path) -> Sweep:
    """Parse and check a sweep file; every grid point's config is validated here."""
    raw = read_yaml(path)
    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        raise ConfigError(f"{path}: unknown sweep key '{unknown[0]}'; valid keys: {', '.join(KEYS)}")
    if "base" not in raw:
        raise ConfigError(f"{path}: 'base' (the config every trial starts from) is required")
    here = Path(path).resolve().parent
    _check_types(raw, path)
    base = _resolve(raw["base"], here)
    kind = raw.get("type", "coord")
    if kind not in ("agent", "coord"):
        raise ConfigError(f"{path}: type: '{kind}' is not valid; valid choices: agent, coord")
    resources = raw.get("resources") or {}
    if not isinstance(resources, dict) or set(resources) - {"cpu", "gpu"}:
        raise ConfigError(f"{path}: resources: a mapping of cpu and gpu per trial, got {resources!r}")
    sweep = Sweep(
        base=base,
        kind=kind,
        experiment_dir=_resolve(raw.get("experiment_dir", "experiments/sweeps"), Path.cwd()),
        overrides=[str(item) for item in _list(raw["overrides"], "overrides", path)]
        if raw.get("overrides") is not None
        else [],
        grid={
            str(key): _list(values, f"grid.{key}", path) for key, values in (raw.get("grid") or {}).items()
        },
        bundles=_bundles(raw.get("bundles") or {}, path),
        name=raw.get("name"),
        search=_search(raw.get("search") or {}, path),
        num_samples=_positive(raw.get("num_samples", 1), "num_samples", path),
        scheduler=str(raw.get("scheduler", "none")),
        cpus=_number(resources.get("cpu", 1), "resources.cpu", path),
        gpus=_number(resources.get("gpu", 0), "resources.gpu", path, minimum=0),
        group=_flag(raw.get("group", False), "group", path),
        group_size=_positive(raw["group_size"], "group_size", path)
        if raw.get("group_size") is not None
        else None,
    )
    _check_settings(sweep, path)
    if sweep.experiment_dir.exists() and not sweep.experiment_dir.is_dir():
        raise ConfigError(f"{path}: experiment_dir: {sweep.experiment_dir} is a file, not a folder")
    groupable = set()
    for params in sweep.grid_points():  # each trial's own config, its folder's name included
        name = sweep.trial_name(params)
        config = load_config(base, sweep.trial_overrides({**params, **_search_example(sweep.search)}, name))
        if group_refusal(config) is None:
            groupable.add(name)
    sweep.groupable = frozenset(groupable)
    return sweep


def _check_settings(sweep: Sweep, path: str | Path) -> None:
    """Settings that do not go together: a grouped search, an unknown scheduler, a key given
    twice, a name template that misses an axis or gives two trials one folder."""
    if sweep.group_size is not None and not sweep.group:
        raise ConfigError(
            f"{path}: group_size: it limits the groups of group: true, which this sweep does not set"
        )
    if sweep.group and (sweep.search or sweep.scheduler != "none" or sweep.kind != "coord"):
        raise ConfigError(
            f"{path}: group: a grouped sweep trains a grid of coordinators together; it takes no search, "
            "no scheduler and type coord only (leave group out to run each trial alone)"
        )
    if sweep.scheduler not in SCHEDULERS:
        raise ConfigError(
            f"{path}: scheduler: '{sweep.scheduler}' is not valid; valid choices: {', '.join(SCHEDULERS)}"
        )
    overlap = sorted((set(sweep.grid) | set(sweep.bundles)) & set(sweep.search)) or sorted(
        set(sweep.grid) & set(sweep.bundles)
    )
    if overlap:
        raise ConfigError(f"{path}: '{overlap[0]}' is given twice (grid, bundles, search); give it to one")
    try:
        names = [sweep.trial_name(params) for params in sweep.grid_points()]
    except KeyError as error:
        raise ConfigError(
            f"{path}: name: '{sweep.name}' names {error}, not an axis; valid: {', '.join(sweep.axes())}"
        ) from None
    if len(set(names)) < len(names):
        raise ConfigError(f"{path}: name: '{sweep.name}' gives two trials one folder; name every axis in it")


def _check_types(raw: dict[str, Any], path: str | Path) -> None:
    for key in ("base", "experiment_dir", "name", "scheduler"):
        if key in raw and not isinstance(raw[key], str):
            raise ConfigError(f"{path}: {key}: expected a string, got {raw[key]!r}")
    for key in ("grid", "bundles", "search"):
        if raw.get(key) is not None and not isinstance(raw[key], dict):
            raise ConfigError(f"{path}: {key}: expected a mapping, got {raw[key]!r}")


def _resolve(value: Any, relative_to: Path) -> Path:
    try:
        str(value).encode()
    except UnicodeEncodeError:
        raise ConfigError(f"{value!r} is not a path this system can name (a lone surrogate)") from None
    path = Path(str(value))
    return path if path.is_absolute() else (relative_to / path).resolve()


def _list(value: Any, key: str, path: str | Path) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{path}: {key}: expected a non-empty list, got {value!r}")
    return value


def _flag(value: Any, key: str, path: str | Path) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{path}: {key}: expected true or false, got {value!r}")
    return value


def _positive(value: Any, key: str, path: str | Path) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{path}: {key}: expected a whole number >= 1, got {value!r}")
    return value


def _number(value: Any, key: str, path: str | Path, minimum: float = 1e-9) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= minimum:
        raise ConfigError(f"{path}: {key}: expected a number >= {minimum:g}, got {value!r}")
    return float(value)


def _bundles(raw: Any, path: str | Path) -> dict[str, dict[str, list[str]]]:
    if not isinstance(raw, dict) or not all(isinstance(labels, dict) and labels for labels in raw.values()):
        raise ConfigError(f"{path}: bundles: expected axis: {{label: [key=value, ...]}}, got {raw!r}")
    return {str(axis): {str(label): [str(item) for item in _list(overrides, f"bundles.{axis}.{label}", path)]
                        for label, overrides in labels.items()} for axis, labels in raw.items()}  # fmt: skip


def _search(raw: Any, path: str | Path) -> dict[str, dict[str, list[Any]]]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: search: expected a mapping of config keys, got {raw!r}")
    for key, spec in raw.items():
        if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in DISTRIBUTIONS:
            raise ConfigError(
                f"{path}: search.{key}: expected one of {', '.join(DISTRIBUTIONS)} with its arguments, "
                f"e.g. {{loguniform: [0.0001, 0.001]}}; got {spec!r}"
            )
        _list(next(iter(spec.values())), f"search.{key}", path)
    return raw


def _search_example(search: dict[str, dict[str, list[Any]]]) -> dict[str, Any]:
    """A value inside each search range, to check the keys and types before anything runs."""
    return {key: next(iter(spec.values()))[0] for key, spec in search.items()}
