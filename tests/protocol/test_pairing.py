"""What each split of a coordinator run sees under each pairing, and what the pairings refuse."""

import json
from pathlib import Path

import pytest

import duo_ai
from duo_ai.cli.main import main
from duo_ai.config.loader import load_config
from duo_ai.envs.toy import ChainEnv
from duo_ai.protocol import pairing
from tests.conftest import RANDOM_SWEEP, coord_args, scripted

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


@pytest.fixture
def variant_expert(tmp_path):
    """An expert of the chain with shift 2: a held-out variant (novice's task: 0, test: 1)."""
    env = ChainEnv(num_envs=2, shift=2)
    path = tmp_path / "agents" / "variant_expert.ckpt"
    duo_ai.save_checkpoint(path, scripted(env, 2), env)
    return path


def shifted_args(tmp_path, agent_checkpoints, variant_expert, *extra):
    return coord_args(
        tmp_path,
        agent_checkpoints,
        "simulated_pairing=shifted_tasks",
        f"shifted_tasks.expert={variant_expert}",
        "shifted_tasks.env.train.shift=2",
        "shifted_tasks.env.val_sim.shift=2",
        *extra,
    )


def test_shifted_tasks_pairs_the_real_novice_with_the_variant_expert_on_the_variant(
    tmp_path, agent_checkpoints, variant_expert
):
    config = duo_ai.load_config(None, shifted_args(tmp_path, agent_checkpoints, variant_expert))
    envs = duo_ai.make_coord_envs(config, duo_ai.make_base_envs(config))
    shifts = {split: env.base_env.shift for split, env in envs.items()}
    assert shifts == {"train": 2, "val_sim": 2, "val_true": 1, "test": 1}
    novices = {split: env.novice.config.shift for split, env in envs.items()}
    experts = {split: env.expert.config.shift for split, env in envs.items()}
    assert novices == {"train": 0, "val_sim": 0, "val_true": 0, "test": 0}  # the real novice everywhere
    assert experts == {"train": 2, "val_sim": 2, "val_true": 1, "test": 1}
    assert {env.base_penalty for env in envs.values()} == {1.0}  # the test expert's task: 5 / 5


def test_the_pairing_decides_what_is_selected_and_the_result_says_which(
    tmp_path, agent_checkpoints, variant_expert
):
    # weak_novice: on val_sim the stand-in expert is the novice, so asking never pays (p = 0).
    assert main(["train", "--type", "coord", *coord_args(tmp_path, agent_checkpoints, *RANDOM_SWEEP)]) == 0
    weak = json.loads((tmp_path / "exp" / "run" / "test_result.json").read_text())
    # shifted_tasks: the novice fails on the variant and its expert does not, so p = 1 is chosen,
    # which is right on test too: 5 steps, reward 1 each, minus 0.4 * BP (1) each.
    args = shifted_args(tmp_path, agent_checkpoints, variant_expert, *RANDOM_SWEEP, "name=shifted")
    assert main(["train", "--type", "coord", *args]) == 0
    shifted = json.loads((tmp_path / "exp" / "shifted" / "test_result.json").read_text())
    assert (weak["test"]["action_1_fraction"], shifted["test"]["action_1_fraction"]) == (0.0, 1.0)
    assert shifted["test"]["reward_mean"] == pytest.approx(5 * (1 - 0.4))
    assert (weak["pairing"], weak["method"]) == ("weak_novice", "random")
    assert (shifted["pairing"], shifted["method"]) == ("shifted_tasks", "random (shifted tasks)")
    assert (shifted["alpha"], shifted["beta"], shifted["base_penalty"], shifted["seed"]) == (0.4, 0.0, 1.0, 0)
    assert (
        shifted["task"] == "toy"
        and shifted["selection_split"] == "val_sim"
        and not shifted["upper_reference"]
    )


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("shifted_tasks.env.train.shift=1", "shifted_tasks.env: the train split is the test task"),
        ("shifted_tasks.env.val_sim.shift=1", "shifted_tasks.env: the val_sim split is the test task"),
        ("shifted_tasks.env.train.shfit=2", "unknown config key 'shifted_tasks.env.train.shfit'"),
        ("shifted_tasks.expert=TEST_EXPERT", "shifted_tasks.expert: it is the test expert"),
        ("shifted_tasks.expert=null", "shifted_tasks.expert: a checkpoint path is required"),
    ],
)
def test_shifted_tasks_never_sees_the_test_task_or_expert(
    tmp_path, agent_checkpoints, variant_expert, capsys, override, message
):
    override = override.replace("TEST_EXPERT", str(agent_checkpoints["expert"]))
    args = shifted_args(tmp_path, agent_checkpoints, variant_expert, *RANDOM_SWEEP, override)
    assert main(["train", "--type", "coord", *args]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "exp" / "run").exists()  # refused before anything was written


def test_shifted_tasks_needs_its_variants(tmp_path, agent_checkpoints, variant_expert, capsys):
    args = coord_args(
        tmp_path, agent_checkpoints, *RANDOM_SWEEP, "simulated_pairing=shifted_tasks",
        f"shifted_tasks.expert={variant_expert}",
    )  # fmt: skip
    assert main(["train", "--type", "coord", *args]) == 2
    assert "shifted_tasks.env: name the held-out variants" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("overrides", "reasons"),
    [
        (
            ("train_expert=TEST_EXPERT", "env.train.shift=1", "env.val_sim.shift=1"),
            [
                "its train expert (train_expert) is the test expert TEST_EXPERT",
                "its train split is the test task ({'suite': 'toy', 'task': 'chain', 'shift': 1})",
                "its val_sim expert (train_expert) is the test expert TEST_EXPERT",
                "its val_sim split is the test task ({'suite': 'toy', 'task': 'chain', 'shift': 1})",
            ],
        ),
        (
            ("env.val_sim.shift=1",),
            ["its val_sim split is the test task ({'suite': 'toy', 'task': 'chain', 'shift': 1})"],
        ),
        (
            ("selection_split=val_true", "validation_splits=[val_sim,val_true]"),
            ["it selects on val_true (the test task with the test agents)"],
        ),
    ],
)
def test_a_run_that_trains_or_selects_on_the_test_pairing_is_recorded_as_a_skyline(
    tmp_path, agent_checkpoints, overrides, reasons
):
    expert = str(agent_checkpoints["expert"])
    args = coord_args(
        tmp_path, agent_checkpoints, *RANDOM_SWEEP, *(o.replace("TEST_EXPERT", expert) for o in overrides)
    )
    assert main(["train", "--type", "coord", *args]) == 0
    result = json.loads((tmp_path / "exp" / "run" / "test_result.json").read_text())
    assert result["trained_on_test_because"] == [reason.replace("TEST_EXPERT", expert) for reason in reasons]
    assert (result["pairing"], result["declared_pairing"], result["method"]) == (
        "skyline",
        "weak_novice",
        "random (skyline)",
    )
    assert result["skyline"] and result["upper_reference"]
    log = (tmp_path / "exp" / "run" / "train.log").read_text()
    assert log.count("trains on the test pairing") == 1  # said once, at the start


def test_an_honest_run_has_no_test_side_reasons(tmp_path, agent_checkpoints):
    assert main(["train", "--type", "coord", *coord_args(tmp_path, agent_checkpoints, *RANDOM_SWEEP)]) == 0
    result = json.loads((tmp_path / "exp" / "run" / "test_result.json").read_text())
    assert "trained_on_test_because" not in result and not result["upper_reference"]


@pytest.mark.parametrize(
    ("config", "reasons"),
    [
        ("procgen_coinrun", []),
        (
            "procgen_ppo",  # the tutorial's: the test agents on the test levels
            [
                "its train expert (train_expert) is the test expert zoo:procgen/coinrun/expert",
                "its train split is the test task ({'suite': 'procgen', 'task': 'CoinrunHard-v0', "
                "'game': 'coinrun', 'distribution_mode': 'hard', 'start_level': 0, 'num_levels': 100000})",
                "its val_sim expert (train_expert) is the test expert zoo:procgen/coinrun/expert",
            ],
        ),
    ],
)
def test_the_shipped_coinrun_configs_are_labelled_by_what_they_train_on(config, reasons):
    config = load_config(CONFIGS / f"{config}.yaml", ["env.num_envs=1"])
    assert pairing.test_side_reasons(config, pairing.make_base_envs(config)) == reasons  # module: not a test
