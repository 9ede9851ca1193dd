"""The reference implementation's config keys and values, read as duo's.

A config written for duo-ai 1.0.1 runs on duo: each reference key or value with a duo counterpart
is rewritten to it with a one-line note of the new name; one without is refused with the exact
replacement. Applied to the merged YAML and overrides before validation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from duo_ai.errors import ConfigError

logger = logging.getLogger("duo_ai")
SPLITS = ("train", "val_sim", "val_true", "test")
REFUSED = {  # (section, key) -> the exact replacement
    ("algorithm", "num_rollouts"): "duo collects novice states by steps: algorithm.rollout_steps=N",
    ("algorithm", "accept_rate"): "duo sweeps thresholds over algorithm.percentiles; remove the key",
    ("algorithm", "critic_pretrain_steps"): "duo has no critic pre-training; remove the key",
    ("algorithm", "log_action_id"): "duo logs a coordinator's expert fraction itself; remove the key",
    ("", "eval_mode"): "evaluate with `duo eval` (or `--mode eval` in the examples); remove the key",
}


def from_reference(raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` with the reference's keys and values rewritten as duo's (notes logged)."""
    raw = {key: dict(value) if isinstance(value, dict) else value for key, value in raw.items()}
    for (section, key), replacement in REFUSED.items():
        holder = _section(raw, section) if section else raw
        if key in holder:
            raise ConfigError(
                f"{section + '.' if section else ''}{key} is a key of duo-ai 1.0.1: {replacement}"
            )
    for rewrite in REWRITES:
        rewrite(raw)
    return raw


def _section(raw: dict[str, Any], name: str) -> dict[str, Any]:
    """``raw[name]`` where it is a mapping; an empty one otherwise (the schema refuses a section
    that is not a mapping, with its own one-line error, after these rewrites)."""
    value = raw.get(name)
    return value if isinstance(value, dict) else {}


def _note(old: str, new: str) -> None:
    logger.warning("note: %s (duo-ai 1.0.1) is %s in duo", old, new)


def _device(raw: dict[str, Any]) -> None:
    device = raw.get("device")
    if isinstance(device, int) and not isinstance(device, bool):
        raw["device"] = f"cuda:{device}" if device >= 0 else "cpu"
        _note(f"device={device}", f"device={raw['device']}")


def _pyod(raw: dict[str, Any]) -> None:
    policy, algorithm = _section(raw, "policy"), _section(raw, "algorithm")
    if policy.get("name") == "pyod":
        policy["name"] = "ood"
        _note("policy.name=pyod", "policy.name=ood")
    if algorithm.get("name") == "pyod":
        algorithm["name"] = "ood"
        _note("algorithm.name=pyod", "algorithm.name=ood")
    if "method" in policy:
        method = str(policy.pop("method"))
        policy["detector"] = method.rsplit(".", 1)[-1]  # "deepsvdd.DeepSVDD": module.Class in PyOD
        _note(f"policy.method={method}", f"policy.detector={policy['detector']}")
    if "pyod_config" in policy:
        policy["detector_kwargs"] = policy.pop("pyod_config") or {}
        _note("policy.pyod_config", "policy.detector_kwargs")


def _logit(raw: dict[str, Any]) -> None:
    policy, algorithm = _section(raw, "policy"), _section(raw, "algorithm")
    if policy.get("name") == "logit" and "temperature" in policy:
        policy["score_temperature"] = policy.pop("temperature") or 1.0
        _note("policy.temperature", "policy.score_temperature")
    if "score_temps" in algorithm:
        temps = algorithm.pop("score_temps")
        if not isinstance(temps, list) or len(temps) != 1:
            raise ConfigError(
                f"algorithm.score_temps={temps} is a key of duo-ai 1.0.1: duo scores with one temperature, "
                "policy.score_temperature=T"
            )
        policy["score_temperature"] = temps[0]
        if raw.get("policy") is None or isinstance(raw["policy"], dict):  # else the schema refuses it
            raw["policy"] = policy
        _note(f"algorithm.score_temps={temps}", f"policy.score_temperature={temps[0]}")


def _minigrid_tasks(raw: dict[str, Any]) -> None:
    env = _section(raw, "env")
    if env.get("name") != "minigrid":
        return
    for split in SPLITS:
        if isinstance(env.get(split), str):
            task = env[split] if env[split].startswith("MiniGrid-") else f"MiniGrid-{env[split]}"
            _note(f"env.{split}={env[split]}", f"env.{split}.task={task}")
            env[split] = {"task": task}


REWRITES: list[Callable[[dict[str, Any]], None]] = [_device, _pyod, _logit, _minigrid_tasks]
