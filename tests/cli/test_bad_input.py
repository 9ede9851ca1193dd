"""Every bad input gives one clear line naming the problem, and exit status 2."""

import subprocess
import sys

import pytest

from benchmarks.hostile_inputs import HOSTILE, TOY_RUN, command_line, disk, prepare_workspace
from duo_ai.cli.main import main

CASES = [
    (["algoritm.name=random"], "unknown config key 'algoritm' (did you mean 'algorithm'?)"),
    (
        ["algorithm.name=random", "algorithm.prob=[0.1]"],
        "unknown config key 'algorithm.prob' (did you mean 'probs'?)",
    ),
    (["env.lenght=3"], "unknown config key 'env.lenght' (did you mean 'length'?)"),
    (["env.train.shfit=1"], "unknown config key 'env.train.shfit'"),
    (
        ["env.name=toyy"],
        "unknown environment 'toyy' for env.name; valid choices: gym, minigrid, procgen, toy (did you mean 'toy'?)",
    ),
    (["policy.name=alway"], "unknown policy 'alway' for policy.name; valid choices:"),
    (["algorithm.name=nope"], "unknown algorithm 'nope' for algorithm.name; valid choices:"),
    (
        ["policy.name=ppo", "policy.model.name=impala"],
        "unknown model 'impala' for policy.model.name; valid choices: impala_coord_ppo, impala_ppo",
    ),
    (["algorithm.name=ppo", "algorithm.num_steps=-8"], "algorithm.num_steps: must be >= 1, got -8"),
    (
        ["evaluation.num_episodes=abc"],
        "evaluation.num_episodes: Value 'abc' of type 'str' could not be converted to Integer",
    ),
    (
        ["coordination.expert_query_cost_weight=-0.5"],
        "coordination.expert_query_cost_weight: must be >= 0, got -0.5",
    ),
    (
        ["coordination.switch_agent_cost_weight=-1"],
        "coordination.switch_agent_cost_weight: must be >= 0",
    ),
    (["coordination.temperature=-1"], "coordination.temperature: must be >= 0, got -1.0"),
    (["env.num_envs=0"], "env.num_envs: must be >= 1, got 0"),
    (["evaluation.num_episodes=-3"], "evaluation.num_episodes: must be >= 1, got -3"),
    (
        ["policy.name=always", "policy.agent=both"],
        "policy.agent: 'both' is not valid; valid choices: novice, expert",
    ),
    (
        ["algorithm.name=random", "algorithm.probs=[0.5,2]"],
        "algorithm.probs: need probabilities in [0, 1]",
    ),
    (["device=gpu"], "device: 'gpu' is not a torch device"),
    (["seed"], "override 'seed' must have the form key=value"),
    (["eval_splits=[tset]"], None),  # checked in eval mode below
]


@pytest.mark.parametrize(("overrides", "message"), [case for case in CASES if case[1]])
def test_bad_overrides(overrides, message, tmp_path, capsys):
    status = main(["train", "--type", "agent", f"experiment_dir={tmp_path}", "env.name=toy", *overrides])
    err = capsys.readouterr().err
    assert status == 2
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_unknown_eval_split(tmp_path, capsys):
    assert (
        main(["eval", "--type", "agent", f"experiment_dir={tmp_path}", "env.name=toy", "eval_splits=[tset]"])
        == 2
    )
    assert (
        "eval_splits: split tset is unknown; valid choices: train, val_sim, val_true, test"
        in capsys.readouterr().err
    )


def test_missing_and_malformed_yaml(tmp_path, capsys):
    assert main(["train", "--config", str(tmp_path / "none.yaml")]) == 2
    assert "config file not found" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("env:\n  name: toy\n   num_envs: [1\n")
    assert main(["train", "--config", str(bad)]) == 2
    assert f"malformed YAML in {bad}" in capsys.readouterr().err


def test_wrong_type_for_a_section(tmp_path, capsys):
    config = tmp_path / "c.yaml"
    config.write_text("evaluation: 3\n")
    assert main(["train", "--config", str(config)]) == 2
    assert "evaluation: expected a mapping of keys, got 3" in capsys.readouterr().err


def test_a_component_that_is_not_a_mapping(tmp_path, capsys):
    config = tmp_path / "c.yaml"
    config.write_text("env: 0\n")
    assert main(["train", "--config", str(config), f"experiment_dir={tmp_path}"]) == 2
    assert "env: expected a mapping with a 'name' key, got 0" in capsys.readouterr().err


def test_coordinator_needs_agent_checkpoints(tmp_path, capsys):
    assert main(["train", "--type", "coord", f"experiment_dir={tmp_path}", "env.name=toy"]) == 2
    assert "train_novice: a checkpoint path is required" in capsys.readouterr().err
    paths = [
        f"{key}={tmp_path}/missing.ckpt"
        for key in ("train_novice", "train_expert", "test_novice", "test_expert")
    ]
    assert (
        main(
            ["train", "--type", "coord", f"experiment_dir={tmp_path}", "env.name=toy", "overwrite=1", *paths]
        )
        == 2
    )
    assert "checkpoint not found" in capsys.readouterr().err


def test_installed_command_exits_2_without_traceback(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "duo_ai.cli.main",
            "train",
            f"experiment_dir={tmp_path}",
            "algorithm.total_timestep=1",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("duo: error: unknown config key 'algorithm.total_timestep'")
    assert "Traceback" not in result.stderr


# A hostile user's inputs (benchmarks/hostile_inputs.py): each is refused with exit status 2 and
# one line on stderr, and nothing on disk changes.
@pytest.fixture(scope="module")
def previous_run(tmp_path_factory):
    """A finished run of duo's own, to be overwritten or resumed."""
    root = tmp_path_factory.mktemp("previous")
    assert main(["train", "--type", "agent", *TOY_RUN, f"experiment_dir={root}", "name=previous"]) == 0
    return root / "previous"


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_input_changes_nothing(case, tmp_path, previous_run, capsys):
    experiments = prepare_workspace(tmp_path, previous_run)
    before = disk(tmp_path)
    status = main(command_line(case, tmp_path, experiments))
    err = capsys.readouterr().err
    message = HOSTILE[case][1]
    assert status == 2, err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err, err
    assert disk(tmp_path) == before


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["train", "--nope"], "duo train: error: unrecognized arguments: --nope (see duo train -h)"),
     (["oracle", "--layouts", "x"], "duo oracle: error: argument --layouts: invalid int value: 'x'"),
     (["trian"], "duo: error: argument command: invalid choice: 'trian'")],
)  # fmt: skip
def test_a_usage_error_is_one_line_naming_its_command(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1
