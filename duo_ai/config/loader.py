"""Build a validated, typed config from YAML plus ``key=value`` overrides.

Every problem becomes a one-line ConfigError that names the key and what would be valid.
"""

from __future__ import annotations

import dataclasses
import difflib
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from duo_ai import registry
from duo_ai.config.fields import check_range
from duo_ai.config.schema import DuoConfig
from duo_ai.errors import ConfigError
from duo_ai.reference.config_keys import from_reference


class UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, except that a key given twice in one mapping is an error, not a
    silent overwrite by the later value."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}'", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if path.is_dir():
        raise ConfigError(
            f"{path} is a folder, not a config file: name a YAML file, e.g. configs/minigrid_distshift.yaml"
        )
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=UniqueKeyLoader)  # noqa: S506
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not a UTF-8 text file") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        problem = getattr(error, "problem", None) or "invalid syntax"
        raise ConfigError(f"malformed YAML in {path}{where}: {problem}") from None
    if data is None:
        raise ConfigError(f"{path} is empty: a config file holds a mapping of keys (see `duo config`)")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys, got {type(data).__name__}")
    return data


def parse_overrides(dotlist: Sequence[str]) -> dict[str, Any]:
    """``a.b=1`` strings -> a nested dict, values parsed as YAML scalars."""
    for item in dotlist:
        if "=" not in item or item.startswith("="):
            raise ConfigError(f"override '{item}' must have the form key=value (e.g. seed=1)")
    try:
        return OmegaConf.to_container(OmegaConf.from_dotlist(list(dotlist)))  # type: ignore[return-value]
    except OmegaConfBaseException as error:
        raise ConfigError(f"invalid override: {_first_line(error)}") from None
    except (yaml.YAMLError, ValueError):  # a value that is not valid YAML, e.g. 'a=[b'
        raise ConfigError(_malformed_override(dotlist)) from None
    except IndexError:  # a key OmegaConf cannot split, e.g. '[=1' (it raises on an unclosed bracket)
        keys = [item.split("=", 1)[0] for item in dotlist]
        key = next((key for key in keys if "[" in key or "]" in key), keys[0])
        raise ConfigError(
            f"invalid override key '{key}': use dotted keys, e.g. algorithm.gamma=0.99"
        ) from None


def _malformed_override(dotlist: Sequence[str]) -> str:
    for item in dotlist:
        try:
            OmegaConf.from_dotlist([item])
        except (yaml.YAMLError, ValueError) as error:
            problem = getattr(error, "problem", None) or str(error).splitlines()[0]
            return f"malformed override '{item}': {problem}"
    return f"malformed overrides: {' '.join(dotlist)}"


def deep_merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``extra`` over ``base``; a component section whose ``name`` changes starts afresh, since
    the keys ``base`` gave it belong to another class (``policy.name=always`` over a PPO file)."""
    merged = dict(base)
    for key, value in extra.items():
        renamed = (
            isinstance(value, Mapping)
            and "name" in value
            and value["name"] != (merged.get(key) or {}).get("name")
        )
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping) and not renamed:
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def build_section(schema: type, raw: Mapping[str, Any] | None, path: str = "") -> DictConfig:
    """Validate ``raw`` against the dataclass ``schema`` and return a typed DictConfig."""
    raw = {} if raw is None else raw
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path.rstrip('.') or 'config'}: expected a mapping of keys, got {raw!r}")
    fields = {f.name: f for f in dataclasses.fields(schema)}
    hints = typing.get_type_hints(schema)
    for key in raw:
        if key not in fields:
            raise ConfigError(_unknown_key_message(f"{path}{key}", str(key), list(fields)))

    node = OmegaConf.structured(schema)
    plain: dict[str, Any] = {}
    for key, field in fields.items():
        kind = field.metadata.get("component")
        if kind is not None:
            sub_raw = raw.get(key)
            sub_raw = {} if sub_raw is None else sub_raw
            if not isinstance(sub_raw, Mapping):
                raise ConfigError(f"{path}{key}: expected a mapping with a 'name' key, got {sub_raw!r}")
            name = sub_raw.get("name", field.metadata["default_name"])
            cls = registry.lookup(kind, name, key=f"{path}{key}.name")
            sub = build_section(cls.config_class, {**sub_raw, "name": name}, f"{path}{key}.")
            OmegaConf.update(node, key, sub, force_add=True)
        elif key in raw and dataclasses.is_dataclass(hints[key]):
            OmegaConf.update(node, key, build_section(hints[key], raw[key], f"{path}{key}."))
        elif key in raw:
            plain[key] = raw[key]
    try:
        node = OmegaConf.merge(node, plain)
    except OmegaConfBaseException as error:
        raise ConfigError(f"{path}{error.full_key}: {_first_line(error)}") from None
    for key in plain:
        problem = check_range(f"{path}{key}", node[key], fields[key].metadata)
        if problem:
            raise ConfigError(problem)
    return node  # type: ignore[return-value]


def load_config(path: str | Path | None = None, overrides: Sequence[str] = ()) -> DictConfig:
    """The full config: defaults < YAML file < overrides (the reference's keys read as duo's)."""
    raw = read_yaml(path) if path else {}
    config = build_section(DuoConfig, from_reference(deep_merge(raw, parse_overrides(overrides))))
    _check_device(config.device)
    _check_run_name(config.name)
    _check_eval_name(config.eval_name)
    return config


def _check_run_name(name: str) -> None:
    """A run's folder is ``experiment_dir/name``: ``name`` must stay inside ``experiment_dir``."""
    parts = str(name).replace("\\", "/").split("/")
    if not str(name).strip() or Path(name).is_absolute() or any(p in ("", ".", "..") for p in parts):
        raise ConfigError(
            f"name: '{name}' is not a run name; use one or more plain folder names under experiment_dir "
            "(no '..', '.', empty parts or absolute paths), e.g. name=my_run or name=sweep/run_1"
        )


def _check_eval_name(eval_name: str) -> None:
    """An evaluation's files are ``<eval_name>.log`` and the like inside the run's folder."""
    name = str(eval_name)
    if not name.strip() or name in (".", "..") or any(sep in name for sep in ("/", "\\", "\0")):
        raise ConfigError(
            f"eval_name: '{name}' is not a file name; evaluations write <eval_name>.log and "
            "<eval_name>.json inside the run's folder, so use a plain name without '/', e.g. eval_name=test_hard"
        )


def _check_device(device: str) -> None:
    try:
        torch.device(device)
    except (RuntimeError, ValueError):
        raise ConfigError(f"device: '{device}' is not a torch device; valid: cpu, cuda, cuda:N") from None
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device: '{device}' asked for but CUDA is not available; use device=cpu")


def _unknown_key_message(full_key: str, key: str, valid: list[str]) -> str:
    message = f"unknown config key '{full_key}'"
    close = difflib.get_close_matches(key, valid, n=1)
    if close:
        message += f" (did you mean '{close[0]}'?)"
    return message + f"; valid keys here: {', '.join(valid)}"


def _first_line(error: OmegaConfBaseException) -> str:
    return str(getattr(error, "msg", error)).strip().splitlines()[0]
