"""Checkpoints that load without running code from the file.

Format (version 1): one file written by ``torch.save`` holding only tensors and plain data
(dicts, lists, strings, numbers), read back with ``torch.load(weights_only=True)``, which
refuses anything else. Keys:

- ``format``: ``"duo-checkpoint"``; ``version``: 1
- ``policy``: ``{"name", "config"}``: the registered policy name and its config as plain data
- ``params``: the policy's ``get_params()`` (tensors, numbers)
- ``observation_space``, ``action_space``: plain descriptions (``describe_space``)
- ``env``: identity of the environment it was trained on (suite, task, split)
- ``training_state``: optional, what ``resume`` needs (optimizer, RNG states, step counts)

Writes go to a temporary file in the same folder, then an atomic rename.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from gymnasium.vector import VectorEnv
from omegaconf import DictConfig, OmegaConf

from duo_ai import registry, zoo
from duo_ai.config import build_section
from duo_ai.envs.base import env_identity
from duo_ai.errors import CheckpointError
from duo_ai.policies.base import Policy
from duo_ai.run_folder import atomic_write

FORMAT, VERSION = "duo-checkpoint", 1


def describe_space(space: spaces.Space) -> dict[str, Any]:
    """A plain, comparable description of a space."""
    if isinstance(space, spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n)}
    if isinstance(space, spaces.Box):
        return {"type": "Box", "shape": list(space.shape), "dtype": str(space.dtype)}
    if isinstance(space, spaces.MultiDiscrete):
        return {"type": "MultiDiscrete", "nvec": np.asarray(space.nvec).tolist()}
    if isinstance(space, spaces.Dict):
        return {"type": "Dict", "spaces": {k: describe_space(s) for k, s in space.spaces.items()}}
    return {"type": type(space).__name__, "shape": list(space.shape or ())}


def atomic_save(payload: dict[str, Any], path: str | Path) -> None:
    """Write ``payload`` to ``path`` all at once: a reader sees the old file or the new one. The
    bytes are built in memory first, so a full disk is an OSError that names ``path`` (torch's
    own writer reports it as an unrelated RuntimeError)."""
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    atomic_write(buffer.getbuffer(), path)


def remove_partial_saves(folder: str | Path) -> None:
    """Delete the temporary files of saves that a killed process left unfinished."""
    for partial in Path(folder).glob(".*.ckpt.*"):
        if not partial.name.startswith(".best_"):  # pending bests: Validation decides on those
            partial.unlink()


def save_checkpoint(
    path: str | Path, policy: Policy, env: VectorEnv, training_state: dict[str, Any] | None = None
) -> None:
    config = policy.config
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "policy": {
            "name": config.name,
            "config": OmegaConf.to_container(config) if isinstance(config, DictConfig) else config,
        },
        "params": policy.get_params(),
        "observation_space": describe_space(env.single_observation_space),
        "action_space": describe_space(env.single_action_space),
        "env": env_identity(env),
    }
    if training_state is not None:
        payload["training_state"] = training_state
    atomic_save(payload, path)


def read_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """The checkpoint's contents, or a CheckpointError that says what is wrong with the file."""
    path = zoo.resolve(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    with path.open("rb") as file:
        if file.read(4) != b"PK\x03\x04":  # torch.save's zip container
            raise CheckpointError(f"corrupt or unreadable checkpoint {path}: not a file torch.save wrote")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        raise CheckpointError(
            f"refusing to load {path}: it holds objects other than tensors and plain data "
            f"(loading it could run code): {str(error).splitlines()[-1][:200]}"
        ) from None
    except Exception as error:  # truncated or not a torch file at all
        raise CheckpointError(f"corrupt or unreadable checkpoint {path}: {error}") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a duo checkpoint (no '{FORMAT}' header)")
    if payload.get("version") != VERSION:
        raise CheckpointError(
            f"{path} has checkpoint format version {payload.get('version')}; this duo reads version {VERSION}"
        )
    missing = [key for key in ("policy", "params", "observation_space", "action_space") if key not in payload]
    policy = payload.get("policy")
    if not missing and not (isinstance(policy, dict) and {"name", "config"} <= set(policy)):
        missing = ["policy name and config"]
    if missing:
        raise CheckpointError(f"{path} is incomplete: it has no {', '.join(missing)}")
    return payload


def export_policy(source: str | Path, target: str | Path) -> None:
    """Copy a checkpoint without its training state: what one ships or shares."""
    payload = read_checkpoint(source)
    payload.pop("training_state", None)
    atomic_save(payload, target)


def check_spaces(payload: dict[str, Any], env: VectorEnv, path: str | Path) -> None:
    for which in ("observation_space", "action_space"):
        expected = payload[which]
        found = describe_space(getattr(env, f"single_{which}"))
        if expected != found:
            trained_on = payload.get("env") or "an unrecorded environment"
            raise CheckpointError(
                f"{path} does not fit this environment: its {which} is {expected} "
                f"(trained on {trained_on}) but the environment's is {found}"
            )


def load_policy(path: str | Path, env: VectorEnv, device: str | torch.device | None = None) -> Policy:
    """Rebuild the policy saved at ``path`` for ``env`` (whose spaces must match)."""
    from duo_ai.run import current_device

    device = device or current_device()
    payload = read_checkpoint(path, map_location=device)
    check_spaces(payload, env, path)
    stored = payload["policy"]
    cls = registry.lookup("policy", stored["name"], key=f"the policy stored in {path}")
    config = build_section(cls.config_class, stored["config"], "policy.")
    check_weights(payload["params"], path)
    if "model" in config:
        check_model_size(cls, config, env, payload["params"], path)
    policy = cls(config, env, device=device)
    policy.set_params(payload["params"])
    return policy.eval()


def tensors(tree: Any) -> list[torch.Tensor]:
    if isinstance(tree, dict):
        return [t for value in tree.values() for t in tensors(value)]
    return [tree] if isinstance(tree, torch.Tensor) else []


def check_weights(params: Any, path: str | Path) -> None:
    """A checkpoint with NaN or infinite weights would act at random, silently: refuse it."""
    for tensor in tensors(params):
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise CheckpointError(f"{path} holds non-finite (NaN or infinite) weights")


def check_model_size(cls: type, config: Any, env: VectorEnv, params: Any, path: str | Path) -> None:
    """Build the stored model config without memory (torch's meta device) and refuse one that
    asks for more parameters than the checkpoint holds, before it can allocate gigabytes."""
    with torch.device("meta"):
        probe = cls(config, env, device="meta")
    needed = sum(p.numel() for p in probe.model.parameters())
    held = sum(t.numel() for t in tensors(params))
    if needed > held:
        raise CheckpointError(
            f"{path}: its stored model config builds {needed:,} parameters but it holds {held:,} weights"
        )
