"""A run's result under the protocol: ``test_result.json``, which says what was measured and how
(method, task, costs, seed, pairing, selection split), so a report needs nothing else."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import OmegaConf

from duo_ai import registry
from duo_ai.checkpoint import load_policy
from duo_ai.coordination.coord_env import CoordEnv
from duo_ai.evaluation import Evaluator, format_summary
from duo_ai.protocol.pairing import pairing_name, test_side_reasons
from duo_ai.protocol.transfer import carry_to_test_novice
from duo_ai.provenance import code_version
from duo_ai.run_folder import CONFIG_FILE, RESULT_FILE, best_checkpoint
from duo_ai.seeding import seed_everything

logger = logging.getLogger("duo_ai")
RESULT_VERSION = 3  # 3: the upper-reference flag is 'upper_reference' (2 called it 'oracle')
UNRECORDED_VERSION = "not recorded"  # the code version of a result written before duo recorded it
EXACT_OPTIMUM = "optimum (exact)"  # the method label of duo oracle's results
PAIRING_LABELS = {
    "weak_novice": "",
    "shifted_tasks": " (shifted tasks)",
    "task_family": " (task family)",
    "skyline": " (skyline)",
}


def method_label(config: Any, pairing: str | None = None) -> str:
    """The method's row name: the policy's own label (as the algorithm that trained it words it),
    marked with its pairing (the config's unless given) where that is not YRC-0's weak novice."""
    policy_class = registry.lookup("policy", config.policy.name, key="policy.name")
    label = policy_class.report_label(config.policy)
    algorithm = config.get("algorithm", {}).get("name")
    if algorithm:
        label = registry.lookup("algorithm", algorithm, key="algorithm.name").report_label(label)
    return label + PAIRING_LABELS[pairing or pairing_name(config)]


def task_label(config: Any) -> str:
    return registry.lookup("environment", config.env.name, key="env.name").label(config.env)


def is_upper_reference(config: Any) -> bool:
    """An upper reference, not a protocol result: it selected on test or trained on it."""
    return config.get("selection_split") == "test" or pairing_name(config) == "skyline"


def write_result(
    folder: Path,
    config: Any,
    test: dict[str, Any],
    base_penalty: float,
    test_side: Sequence[str] = (),
    **extra: Any,
) -> dict[str, Any]:
    """Write ``test_result.json``: the test summary with everything needed to place it in a table.
    A run with ``test_side`` reasons (``pairing.test_side_reasons``) is recorded as a skyline, the
    reasons beside it, whatever pairing its config names, and so is the code version that wrote it
    (``duo_ai.provenance``). ``extra`` may override the method label (an exact optimum is no
    policy) and add details."""
    pairing = "skyline" if test_side else pairing_name(config)
    if test_side:
        extra = {
            "declared_pairing": pairing_name(config),
            "trained_on_test_because": list(test_side),
            **extra,
        }
    result = {
        "version": RESULT_VERSION,
        "method": method_label(config, pairing),
        "task": task_label(config),
        "alpha": float(config.coordination.expert_query_cost_weight),
        "beta": float(config.coordination.switch_agent_cost_weight),
        "base_penalty": float(base_penalty),
        "seed": int(config.seed),
        "pairing": pairing,
        "selection_split": config.get("selection_split"),
        "selected_on_test": config.get("selection_split") == "test",
        "skyline": pairing == "skyline",
        "upper_reference": is_upper_reference(config) or bool(test_side),
        "code_version": code_version(),
        **extra,
        "test": test,
    }
    (folder / RESULT_FILE).write_text(json.dumps(result, indent=2) + "\n")
    return result


def selected_result(config: Any, envs: dict[str, CoordEnv], folder: Path) -> dict[str, Any]:
    """The protocol's number: the checkpoint chosen on ``selection_split``, evaluated on test
    (threshold coordinators first carried to the test novice), written as the run's result."""
    upper_reference = is_upper_reference(config)
    if upper_reference:
        logger.warning(
            "this run %s: an upper reference, not a YRC-0 result",
            "trains on the test distribution (skyline)" if config.skyline else "selects on the test split",
        )
    chosen = load_policy(folder / best_checkpoint(config.selection_split), envs["test"])
    carried = carry_to_test_novice(chosen, config, envs["test"])
    seed_everything(config.seed)  # as `duo eval` does: reloading the checkpoint gives these numbers
    summary = Evaluator(config.evaluation, envs["test"]).evaluate(chosen, keep_episodes=True)
    test_side = test_side_reasons(config, envs)
    logger.info(
        "TEST result of best_%s.ckpt%s: its own %d test episodes, the run's result (a 'BEST test so far' "
        "above is a validation on other episodes, kept for the curves)",
        config.selection_split, " (UPPER REFERENCE)" if upper_reference or test_side else "", config.evaluation.num_episodes,
    )  # fmt: skip
    logger.info(format_summary(summary))
    extra = {"carried_to_test_novice": carried} if carried else {}
    return write_result(folder, config, summary, envs["test"].base_penalty, test_side, **extra)


def read_result(folder: Path) -> dict[str, Any]:
    """A run's result, checked to hold what a report needs; ValueError says what is missing.
    Results written before they described themselves take the rest from the run's config."""
    result = json.loads((folder / RESULT_FILE).read_text())
    if not isinstance(result, dict) or not isinstance(result.get("test"), dict):
        raise ValueError(f"{RESULT_FILE} holds no test summary")
    version = result.get("version")
    if version is not None and version not in range(2, RESULT_VERSION + 1):
        raise ValueError(
            f"{RESULT_FILE}: version {version!r} is not one this duo reads (1 to {RESULT_VERSION}); "
            "a newer duo wrote it, or it was edited"
        )
    if version is None:
        try:
            result = {**described(OmegaConf.load(folder / CONFIG_FILE), result), **result}
        except Exception as error:  # noqa: BLE001 - an old result whose config cannot describe it
            raise ValueError(
                f"{RESULT_FILE} has no 'version' and {CONFIG_FILE} beside it cannot describe it: "
                f"{str(error).splitlines()[0] if str(error) else type(error).__name__}"
            ) from None
    if version == 2 and "oracle" in result:  # version 2 called the upper-reference flag 'oracle'
        result["upper_reference"] = result.pop("oracle")
    test = result["test"]
    rewards = test.get("episode_rewards")
    if not isinstance(rewards, list) or not rewards or not all(_is_number(reward) for reward in rewards):
        raise ValueError(f"{RESULT_FILE}: test.episode_rewards must be a non-empty list of numbers")
    for key in ("base_reward_mean", "num_episodes", "action_1_fraction"):
        if not _is_number(test.get(key)):
            raise ValueError(f"{RESULT_FILE}: test.{key} must be a number, got {test.get(key)!r}")
    for key, kind in (
        ("method", str),
        ("task", str),
        ("alpha", float),
        ("seed", int),
        ("upper_reference", bool),
    ):
        if key not in result:
            raise ValueError(f"{RESULT_FILE} has no '{key}'")
        value = result[key]
        valid = (
            _is_number(value) and (kind is float or float(value).is_integer())
            if kind in (float, int)
            else isinstance(value, kind)
        )
        if not valid:
            raise ValueError(f"{RESULT_FILE}: '{key}' must be a {kind.__name__}, got {value!r}")
    if result["alpha"] < 0:
        raise ValueError(f"{RESULT_FILE}: 'alpha' is a cost weight, >= 0; got {result['alpha']!r}")
    result.setdefault("code_version", UNRECORDED_VERSION)
    if not isinstance(result["code_version"], str):
        raise ValueError(f"{RESULT_FILE}: 'code_version' must be a string, got {result['code_version']!r}")
    return result


def _is_number(value: Any) -> bool:
    """A finite int or float (a bool is not a number here)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value)


def described(config: Any, result: dict[str, Any]) -> dict[str, Any]:
    """What a version-1 result leaves to its config."""
    return {
        "method": result.get("method") or method_label(config),
        "task": task_label(config),
        "alpha": float(config.coordination.expert_query_cost_weight),
        "seed": int(config.seed),
        "upper_reference": bool(
            result.get("selected_on_test") or result.get("skyline") or result.get("exact_optimum")
        ),
    }
