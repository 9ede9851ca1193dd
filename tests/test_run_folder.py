"""Run folders: duo writes only into folders it made, one process at a time, and a resumed run
is the run that was saved."""

import fcntl
import os
from pathlib import Path

import pytest

from benchmarks.hostile_inputs import disk
from duo_ai.cli.main import main
from duo_ai.run_folder import MARKER, take_lock

TOY = ["--type", "agent", "env.name=toy", "policy.name=ppo", "policy.model.name=mlp_ppo", "env.num_envs=4",
       "algorithm.num_steps=8", "algorithm.total_timesteps=64", "evaluation.num_episodes=4"]  # fmt: skip


def train(tmp_path, *overrides):
    return main(["train", *TOY, f"experiment_dir={tmp_path / 'experiments'}", *overrides])


def test_a_run_folder_is_marked_and_locked_while_in_use(tmp_path, capsys):
    assert train(tmp_path, "name=run") == 0
    folder = tmp_path / "experiments" / "run"
    assert (folder / MARKER).exists()
    lock = take_lock(folder)  # another process writing into it
    try:
        assert train(tmp_path, "name=run", "resume=1") == 2
        err = capsys.readouterr().err
        assert f"{folder} is in use by process" in err and err.count("\n") == 1
    finally:
        lock.close()
    assert train(tmp_path, "name=run", "resume=1") == 0  # free again


def test_overwrite_and_resume_refuse_a_folder_duo_did_not_make(tmp_path, capsys):
    folder = tmp_path / "experiments" / "mine"
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text("my own notes\n")
    (folder / "metrics.jsonl").write_text("my data\n")
    before = disk(tmp_path)
    for flag in ("overwrite=1", "resume=1"):
        assert train(tmp_path, "name=mine", flag) == 2
        assert "duo did not write" in capsys.readouterr().err
    assert disk(tmp_path) == before


def test_overwrite_checks_every_input_before_deleting_the_previous_run(tmp_path, capsys):
    assert train(tmp_path, "name=run") == 0
    before = disk(tmp_path)
    assert train(tmp_path, "name=run", "overwrite=1", "env.length=0") == 2  # env creation fails
    capsys.readouterr()
    assert disk(tmp_path) == before
    assert train(tmp_path, "name=run", "overwrite=1", "seed=5") == 0
    assert disk(tmp_path) != before


def test_resume_refuses_a_changed_config_and_names_the_change(tmp_path, capsys):
    assert train(tmp_path, "name=run") == 0
    before = disk(tmp_path)
    assert train(tmp_path, "name=run", "resume=1", "env.num_envs=2") == 2
    err = capsys.readouterr().err
    assert "resume=1: the config differs from the saved run" in err
    assert "env.num_envs: 4 -> 2" in err and err.count("\n") == 1
    assert disk(tmp_path) == before
    # the documented safe changes are accepted
    assert train(tmp_path, "name=run", "resume=1", "algorithm.total_timesteps=128") == 0


def test_the_lock_is_released_when_the_process_ends(tmp_path):
    assert train(tmp_path, "name=run") == 0
    with (tmp_path / "experiments" / "run" / MARKER).open() as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # would raise if still held


@pytest.mark.parametrize("name", ["..", "''", ".", "/tmp/elsewhere", "a/../..", "a//b"])
def test_run_names_stay_inside_the_experiment_dir(tmp_path, capsys, name):
    (tmp_path / "experiments").mkdir()
    (tmp_path / "experiments" / "keep.txt").write_text("user data")
    before = disk(tmp_path)
    assert train(tmp_path, f"name={name}", "overwrite=1") == 2
    err = capsys.readouterr().err
    assert "is not a run name" in err and err.count("\n") == 1
    assert disk(tmp_path) == before


def test_a_full_disk_is_one_line_and_the_run_resumes(tmp_path, capsys, monkeypatch):
    import errno

    import duo_ai.checkpoint

    def full_disk(payload, path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    with monkeypatch.context() as patch:
        patch.setattr(duo_ai.checkpoint, "atomic_save", full_disk)
        assert train(tmp_path, "name=run") == 2
    err = capsys.readouterr().err
    assert err.startswith("duo: error: no space left on the device (") and err.count("\n") == 1
    assert train(tmp_path, "name=run", "resume=1") == 0  # space freed: the run goes on


def test_evaluations_never_overwrite_and_survive_a_read_only_folder(tmp_path, monkeypatch):
    assert train(tmp_path, "name=run") == 0
    folder = tmp_path / "experiments" / "run"
    evaluate = ["eval", *TOY, f"experiment_dir={tmp_path / 'experiments'}", "name=evals",
                f"policy.load_path={folder / 'last.ckpt'}"]  # fmt: skip
    assert main(evaluate) == 0 and main(evaluate) == 0
    assert (folder / "eval.json").exists() and (folder / "eval-2.json").exists()
    real_access = os.access  # root may write anywhere: make the folder read-only for duo's check
    monkeypatch.setattr(
        os, "access", lambda path, mode: False if Path(path) == folder else real_access(path, mode)
    )
    assert main(evaluate) == 0
    assert (tmp_path / "experiments" / "evals" / "eval.json").exists()
    assert not (folder / "eval-3.json").exists()


def test_the_demo_never_replaces_a_folder_it_did_not_make(tmp_path, capsys):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    assert main(["demo", f"experiment_dir={tmp_path}", "name=mine"]) == 2
    assert "duo did not write" in capsys.readouterr().err
    assert disk(tmp_path) == {Path("mine/notes.txt"): b"mine"}


def test_a_configuration_is_labelled_by_its_difference_or_by_its_folders_where_that_is_long(tmp_path):
    from duo_ai.run_folder import configuration_label

    short, other = {"algorithm.ent_coef": 0.05}, {"algorithm.ent_coef": 0.0}
    runs = [tmp_path / "a" / "seed0", tmp_path / "a" / "seed1", tmp_path / "b" / "seed0"]
    assert configuration_label(short, [short, other], runs[:2], runs) == "algorithm.ent_coef=0.05"
    family, wider = {"algorithm.family": ["task"] * 20}, {"algorithm.family": ["task"] * 30}
    assert configuration_label(family, [family, wider], runs[:2], runs) == "a"
    assert configuration_label(wider, [family, wider], runs[2:], runs) == "b/seed0"
