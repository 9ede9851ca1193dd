"""Generated hostile content for every reader of files and settings: each answers with a result it
checked or with its own one-line error, never with another exception (Hypothesis, a few seconds
each)."""

import json
import math
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from duo_ai.checkpoint import read_checkpoint
from duo_ai.config import load_config
from duo_ai.errors import CheckpointError, DuoError
from duo_ai.protocol.result import read_result
from duo_ai.reporting.curves import read_series
from duo_ai.run_folder import METRICS_FILE, RESULT_FILE
from duo_ai.sweep import read_sweep

QUICK = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
KEYS = ["seed", "name", "env.num_envs", "algorithm.learning_rate", "coordination.expert_query_cost_weight",
        "validation_splits", "evaluation.num_episodes", "policy.name", "env.name", "algorithm.gamma"]  # fmt: skip
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


def one_line(error: Exception) -> None:
    assert str(error).strip() and "\n" not in str(error).strip(), repr(error)


@QUICK
@given(st.lists(st.tuples(st.sampled_from(KEYS) | st.text(max_size=12), st.text(max_size=12)), max_size=3))
def test_any_override_is_a_config_or_one_line(pairs):
    overrides = [f"{key}={value}" for key, value in pairs]
    try:
        config = load_config(None, overrides)
    except DuoError as error:
        one_line(error)
    else:
        assert all(math.isfinite(v) for v in (config.algorithm.learning_rate, config.algorithm.gamma))


@QUICK
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_config_file_is_a_config_or_one_line(content):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.yaml"
        path.write_bytes(content)
        try:
            load_config(path)
        except DuoError as error:
            one_line(error)


@QUICK
@given(
    json_values,
    st.dictionaries(
        st.sampled_from(["method", "task", "alpha", "seed", "oracle", "upper_reference", "version"]),
        json_values,
    ),
)
def test_any_result_file_is_checked_or_refused(test, fields):
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / RESULT_FILE).write_text(json.dumps({**fields, "test": test}))
        (Path(folder) / "config.yaml").write_text("{}")
        try:
            result = read_result(Path(folder))
        except (ValueError, DuoError) as error:
            one_line(error)
        else:
            assert isinstance(result["method"], str) and isinstance(result["upper_reference"], bool)
            assert all(math.isfinite(reward) for reward in result["test"]["episode_rewards"])


@QUICK
@given(st.lists(json_values.map(json.dumps) | st.text(max_size=20), max_size=6))
def test_any_metrics_file_is_a_series_or_one_line(lines):
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / METRICS_FILE).write_text("\n".join(lines))
        try:
            series = read_series(Path(folder))
        except ValueError as error:
            one_line(error)
        else:
            assert all(isinstance(step, int) for values in series.values() for step in values)


@QUICK
@given(st.dictionaries(st.sampled_from(["base", "grid", "overrides", "resources", "name", "search", "type", "x"]),
                       json_values, max_size=4))  # fmt: skip
def test_any_sweep_file_is_a_sweep_or_one_line(spec):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sweep.yaml"
        path.write_text(json.dumps(spec))  # JSON is YAML
        try:
            read_sweep(path)
        except DuoError as error:
            one_line(error)


@QUICK
@given(st.binary(max_size=300), st.booleans())
def test_any_checkpoint_file_is_refused_in_one_line(content, as_zip):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bad.ckpt"
        if as_zip:  # the container torch.save writes, holding junk
            with zipfile.ZipFile(path, "w") as archive:
                archive.writestr("archive/data.pkl", content)
        else:
            path.write_bytes(content)
        with pytest.raises(CheckpointError) as refused:
            read_checkpoint(path)
        one_line(refused.value)


@QUICK
@given(json_values | st.fixed_dictionaries({"version": st.just(1), "tasks": json_values}))
def test_any_calibration_file_is_read_checked_or_one_line(content):
    from duo_ai.protocol.costs import CALIBRATION_VERSION, read_calibration

    if isinstance(content, dict) and content.get("version") == 1:
        content = {**content, "version": CALIBRATION_VERSION}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "calibration.json"
        path.write_text(json.dumps(content))
        try:
            data = read_calibration(path)
        except DuoError as error:
            one_line(error)
        else:
            assert all(0 <= entry["reward_per_action"] < math.inf for entry in data["tasks"].values())
