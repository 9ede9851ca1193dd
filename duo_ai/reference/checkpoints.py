"""Checkpoints of the reference implementation (duo-ai 1.0.1), read without running code from them.

A reference checkpoint is a ``torch.save`` of ``policy_config`` (the reference's config dataclasses,
pickled), ``model_state_dict`` and, for PPO, the optimizer state and step. Unpickling it as
written would import and run the reference's classes, and a pickle can run anything. It is read
with torch's weights-only unpickler instead, which builds only tensors and plain containers:
each reference config class becomes an inert stand-in that keeps the object's fields, numpy
scalars are admitted (a threshold from ``np.percentile``), and anything else is refused by name.
The weights are then renamed to duo's layers (the same IMPALA network, other names).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from duo_ai.errors import CheckpointError

REFERENCE = "duo-ai 1.0.1"
NUMPY_DATA = [np._core.multiarray.scalar, np.dtype,
              *(kind for kind in vars(np.dtypes).values() if isinstance(kind, type))]  # numbers, not code  # fmt: skip
# duo's name of each reference IMPALA layer (block i, residual j, conv k count from 1 there)
LAYER_NAMES = [
    (r"^embedder\.block(\d)\.conv\.", lambda m: f"trunk.stages.{int(m[1]) - 1}.conv."),
    (r"^embedder\.block(\d)\.res(\d)\.conv(\d)\.",
     lambda m: f"trunk.stages.{int(m[1]) - 1}.res{int(m[2]) - 1}.conv{int(m[3]) - 1}."),
    (r"^embedder\.fc\.", lambda m: "trunk.fc."),
    (r"^fc_policy\.", lambda m: "policy_head."),
    (r"^fc_value\.", lambda m: "value_head."),
]  # fmt: skip
AGENT_MODELS = {"impala_ppo": "impala_ppo"}
COORDINATOR_MODELS = {"impala_coord_ppo": "impala_coord_ppo"}


class ReferenceObject:
    """An inert stand-in for one of the reference's pickled objects: its fields, nothing else."""

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.__dict__})"


def read_reference_checkpoint(path: str | Path) -> dict[str, Any]:
    """The checkpoint's contents, reference objects turned into plain dicts."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no reference checkpoint at {path}")
    try:
        found = torch.serialization.get_unsafe_globals_in_checkpoint(str(path))
    except Exception as error:  # noqa: BLE001 - any unreadable file is one clear error
        raise CheckpointError(f"{path} is not a torch checkpoint ({str(error).splitlines()[0]})") from None
    reference = [name for name in found if name.startswith("duo_ai.")]
    code = sorted(set(found) - set(reference) - {_qualified(obj) for obj in NUMPY_DATA})
    if code:
        hint = (
            " (a pyod checkpoint holds a fitted detector object: refit it with policy.name=ood)"
            if any(name.startswith(("pyod.", "sklearn.")) for name in code)
            else ""
        )
        raise CheckpointError(
            f"{path} holds objects of {', '.join(code)}: reading them would run code from the file{hint}"
        )
    stand_ins = [_stand_in(name) for name in reference]
    try:
        with torch.serialization.safe_globals([*stand_ins, *NUMPY_DATA]):
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001
        raise CheckpointError(f"cannot read {path}: {str(error).splitlines()[0]}") from None
    if not isinstance(payload, dict) or not {"policy_config", "model_state_dict"} <= set(payload):
        raise CheckpointError(
            f"{path} is not a checkpoint of {REFERENCE} (it needs policy_config and model_state_dict)"
        )
    return _plain(payload)


def _qualified(obj: Any) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


def _stand_in(qualified: str) -> type:
    module, _, name = qualified.rpartition(".")
    return type(name, (ReferenceObject,), {"__module__": module, "__qualname__": name})


def _plain(value: Any) -> Any:
    if isinstance(value, ReferenceObject):
        return {key: _plain(item) for key, item in vars(value).items()}
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


def converted_policy(payload: dict[str, Any]) -> tuple[str, list[str], dict[str, Any]]:
    """What the reference checkpoint becomes in duo: ``agent`` or ``coord``, the policy's config
    overrides, and its parameters."""
    config, params = payload["policy_config"], payload["model_state_dict"]
    if not isinstance(config, dict) or not isinstance(params, dict):
        raise CheckpointError(
            f"a {REFERENCE} checkpoint holds its policy_config and model_state_dict as mappings; this one "
            f"holds a {type(config).__name__} and a {type(params).__name__}"
        )
    name = config.get("name")
    if name == "ppo":
        return _ppo_policy(config, params)
    if name == "logit":
        threshold = params.get("threshold")
        if threshold is None:
            raise CheckpointError(
                "this logit checkpoint has no threshold: it was saved before its sweep chose one"
            )
        _check_number("threshold", threshold)
        if params.get("temperature") is not None:
            _check_number("temperature", params["temperature"], low=0.0, low_open=True)
        overrides = ["policy.name=logit", f"policy.metric={config.get('metric', 'max_logit')}",
                     f"policy.score_temperature={params.get('temperature') or 1.0}",
                     "policy.recalibrate=false"]  # the reference kept no percentile to carry  # fmt: skip
        return "coord", overrides, {"threshold": float(threshold), "percentile": None, "rollout": {}}
    if name == "random":
        _check_number("prob", params.get("prob"), low=0.0, high=1.0)
        return "coord", ["policy.name=random"], {"prob": float(params["prob"])}
    if name == "always":
        agent = config.get("agent", "novice")
        if agent not in ("novice", "expert"):
            raise CheckpointError(f"policy_config.agent is '{agent}'; valid: novice, expert")
        return "coord", ["policy.name=always", f"policy.agent={agent}"], {}
    if name == "pyod":
        raise CheckpointError(
            "a pyod checkpoint holds a fitted detector object: refit it with policy.name=ood"
        )
    raise CheckpointError(
        f"reference policy '{name}' has no duo counterpart; valid: ppo, logit, random, always"
    )


def _ppo_policy(config: dict[str, Any], params: dict[str, Any]) -> tuple[str, list[str], dict[str, Any]]:
    """A reference PPO agent or coordinator: its duo model and renamed weights."""
    model = config.get("model") or {}
    if not isinstance(model, dict):
        raise CheckpointError(f"policy_config.model is a {type(model).__name__}, not a mapping of settings")
    not_weights = [key for key, value in params.items() if not isinstance(value, torch.Tensor)]
    if not_weights or not all(isinstance(key, str) for key in params):
        raise CheckpointError(f"model_state_dict holds something other than named weights: {not_weights[:3]}")
    model_name = model.get("name")
    if model_name in AGENT_MODELS:
        return (
            "agent",
            ["policy.name=ppo", f"policy.model.name={AGENT_MODELS[model_name]}"],
            _renamed(params),
        )
    if model_name in COORDINATOR_MODELS:
        feature_type = model.get("feature_type", "obs")
        overrides = ["policy.name=ppo", f"policy.model.name={COORDINATOR_MODELS[model_name]}",
                     f"policy.model.feature_type={feature_type}", "policy.model.head_sizes=[]"]  # fmt: skip
        weights = _renamed(params)
        if "obs" not in feature_type.split("_"):  # the reference builds an unused IMPALA trunk
            weights = {key: value for key, value in weights.items() if not key.startswith("trunk.")}
        return "coord", overrides, weights
    valid = ", ".join([*AGENT_MODELS, *COORDINATOR_MODELS])
    raise CheckpointError(f"reference model '{model_name}' has no duo counterpart; duo converts {valid}")


def _check_number(
    key: str, value: Any, low: float | None = None, high: float | None = None, low_open: bool = False
) -> None:
    """A converted number must be finite and in range: a checkpoint never converts to a policy
    that could not have been trained."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if number is None or not np.isfinite(number):
        raise CheckpointError(f"model_state_dict.{key} must be a finite number, got {value!r}")
    if (low is not None and (number <= low if low_open else number < low)) or (
        high is not None and number > high
    ):
        bounds = f"{'(' if low_open else '['}{low}, {high if high is not None else 'inf'}]"
        raise CheckpointError(f"model_state_dict.{key} is {number}, outside {bounds}")


def _renamed(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    renamed = {}
    for key, value in state.items():
        new = key
        for pattern, replacement in LAYER_NAMES:
            new = re.sub(pattern, replacement, new)
        renamed[new] = value
    return renamed
