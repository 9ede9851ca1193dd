"""The coordinator learned from the exact optimum of a simulated task family."""

import json
import re

import pytest

from duo_ai.cli.main import main

FAMILY = "algorithm.family=[{task: MiniGrid-DistShift1-v0, kwargs: {strip2_row: 3}}]"


def train(tmp_path, *extra):
    args = [
        "--config", "configs/minigrid_distshift.yaml", f"experiment_dir={tmp_path}", "name=imitation",
        "simulated_pairing=shifted_tasks", "algorithm.name=optimum_imitation", "algorithm.layouts=1",
        "algorithm.val_layouts=1", "algorithm.update_steps=20", "env.num_envs=2", "evaluation.num_episodes=4",
        "validation_splits=[val_sim]", "torch_threads=1", *extra,
    ]  # fmt: skip
    return main(["train", "--type", "coord", *args])


def test_it_learns_the_familys_optimum_and_is_tested_like_any_coordinator(tmp_path):
    assert train(tmp_path, FAMILY, "algorithm.iterations=4") == 0
    folder = tmp_path / "imitation"
    rows = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    rewards = [row["val_sim/reward_mean"] for row in rows if "val_sim/reward_mean" in row]
    assert len(rewards) == 4
    # DistShift row 3 with the real novice and the planner: the optimum is 0.9371 at alpha 0.4;
    # the learner starts below it and ends within 0.01 of it (the view tells its states apart)
    assert rewards[0] < rewards[-1] and rewards[-1] > 0.927
    assert (folder / "best_val_sim.ckpt").exists() and (folder / "last.ckpt").exists()
    result = json.loads((folder / "test_result.json").read_text())
    assert result["method"] == "optimum_imitation on ppo obs_dist (shifted tasks)"
    assert result["selection_split"] == "val_sim" and not result["upper_reference"]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("algorithm.family=[]", "algorithm.family: name the simulated tasks"),
        ("algorithm.family=[MiniGrid-DistShift1-v0]", r"algorithm.family\[0\]: expected \{task"),
        (
            "algorithm.family=[{task: MiniGrid-DistShift1-v0, kwargs: {strip2_row: 5}}]",
            r"algorithm.family\[0\]: .* is the test task MiniGrid-DistShift2-v0",
        ),
        (
            FAMILY.replace("}}]", "}, layouts: 0}]"),
            r"algorithm.family\[0\].layouts: expected a whole number >= 1, got 0",
        ),
        (
            FAMILY.replace("family", "val_family").replace("strip2_row: 3", "strip2_row: 5"),
            r"algorithm.val_family\[0\]: .* is the test task",
        ),
    ],
)
def test_a_bad_family_is_one_line_naming_the_problem(tmp_path, capsys, override, message):
    assert train(tmp_path, FAMILY, override) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("duo: error:")
    assert re.search(message, error)


def test_a_family_selects_on_resets_after_the_most_any_member_learned_on(tmp_path, monkeypatch):
    from duo_ai.algorithms import optimum_imitation

    calls = []
    real = optimum_imitation.family_layouts
    monkeypatch.setattr(optimum_imitation, "family_layouts",
                        lambda family, per_task, first: calls.append((family, per_task, first)) or real(family, per_task, first))  # fmt: skip
    family = "algorithm.family=[{task: MiniGrid-DistShift1-v0, kwargs: {strip2_row: 3}, layouts: 3}]"
    assert train(tmp_path, family, "algorithm.iterations=1", "algorithm.val_layouts=2") == 0
    (learn_family, _, learn_first), (select_family, _, select_first) = calls
    assert learn_first == 0 and learn_family[0]["layouts"] == 3
    assert select_first == 3 and select_family[0]["layouts"] == 2  # seeds 3, 4: none learned on
