"""Train and evaluate through the command line; experiment folders are never clobbered."""

import json

from duo_ai.cli.main import main


def coord_args(tmp_path, checkpoints, *extra):
    return [
        f"experiment_dir={tmp_path}/exp",
        "env.name=toy",
        "name=run",
        "evaluation.num_episodes=6",
        f"train_novice={checkpoints['novice']}",
        f"train_expert={checkpoints['novice']}",
        f"test_novice={checkpoints['novice']}",
        f"test_expert={checkpoints['expert']}",
        *extra,
    ]


def test_train_refuses_an_existing_folder_without_overwrite(tmp_path, agent_checkpoints, capsys):
    args = [
        "train",
        "--type",
        "coord",
        *coord_args(
            tmp_path, agent_checkpoints, "policy.name=always", "algorithm.name=always", "policy.agent=expert"
        ),
    ]
    assert main(args) == 0
    assert main(args) == 2
    assert "already exists; pass overwrite=1" in capsys.readouterr().err
    assert (tmp_path / "exp" / "run" / "best_test.ckpt").exists()  # nothing was lost
    assert main([*args, "overwrite=1"]) == 0


def test_eval_writes_its_log_beside_the_loaded_policy(tmp_path, agent_checkpoints, capsys):
    common = coord_args(tmp_path, agent_checkpoints, "coordination.base_penalty=0.5")
    train = [
        "train",
        "--type",
        "coord",
        *common,
        "policy.name=random",
        "algorithm.name=random",
        "algorithm.probs=[0.0,1.0]",
    ]
    assert main(train) == 0
    folder = tmp_path / "exp" / "run"
    evaluate = [
        "eval",
        "--type",
        "coord",
        *common,
        "policy.name=random",
        f"policy.load_path={folder}/best_test.ckpt",
        "eval_name=final",
    ]
    assert main(evaluate) == 0
    log = (folder / "final.eval.log").read_text()
    assert "test split" in log and "Action 1 fraction: 1.00" in log
    results = json.loads((folder / "final.eval.json").read_text())
    assert results["test"]["num_episodes"] == 6
    assert results["test"]["reward_mean"] == 5 * (1 - 0.4 * 0.5)
