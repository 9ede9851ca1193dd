"""duo plot: learning curves of runs, seeds pooled into a band, written only where duo may write."""

import json

import pytest
from PIL import Image
from scipy import stats

from duo_ai.cli.main import main
from duo_ai.reporting.curves import MAKER, band, group_runs, is_coordinator
from tests.algorithms.test_ppo import train_agent


def train(tmp_path, name, *extra):
    return train_agent(tmp_path, name, 1024, "algorithm.log_freq=2", *extra)


def test_every_iteration_is_a_point_and_validations_come_at_log_freq(tmp_path):
    rows = [json.loads(line) for line in (train(tmp_path, "run") / "metrics.jsonl").read_text().splitlines()]
    train_steps = [row["step"] for row in rows if "train/episode_reward" in row]
    assert train_steps == [256, 512, 768, 1024]  # 8 copies x 32 steps an iteration
    assert [row["step"] for row in rows if "val_sim/reward_mean" in row] == [512, 1024]
    assert all("train/episode_base_reward" in row for row in rows if "train/episode_reward" in row)


def test_seeds_of_one_configuration_form_one_band():
    steps, mean, half = band([{0: 1.0, 10: 2.0}, {0: 3.0, 10: 4.0, 20: 9.0}])
    assert steps.tolist() == [0, 10]  # only the steps every seed logged
    assert mean.tolist() == [2.0, 3.0]
    assert half.tolist() == pytest.approx([stats.t.ppf(0.975, 1) * 2**0.5 / 2**0.5] * 2)


def test_runs_are_grouped_by_the_settings_that_differ(tmp_path):
    folders = [
        train(tmp_path, "a0", "seed=0"),
        train(tmp_path, "a1", "seed=1"),
        train(tmp_path, "b0", "seed=0", "algorithm.ent_coef=0.05"),
    ]
    groups = group_runs(folders)
    assert groups == {
        "algorithm.ent_coef=0.0 (2 runs)": folders[:2],
        "algorithm.ent_coef=0.05 (1 runs)": folders[2:],
    }
    out = tmp_path / "curves.png"
    assert main(["plot", str(tmp_path), "--out", str(out)]) == 0
    with Image.open(out) as image:
        assert image.info["Software"] == MAKER
    assert main(["plot", str(tmp_path), "--out", str(out)]) == 0  # its own figure: replaced
    assert not any(is_coordinator(folder) for folder in folders)  # agents: no expert share panel


def test_a_long_difference_is_labelled_by_the_runs_folders(tmp_path):
    settings = ["algorithm.ent_coef=0.05", "algorithm.gae_lambda=0.9", "algorithm.clip_coef=0.1"]
    folders = [train(tmp_path / "wide", "seed0"), train(tmp_path / "narrow", "seed0", *settings)]
    assert sorted(group_runs(folders)) == ["narrow/seed0 (1 runs)", "wide/seed0 (1 runs)"]


def test_plot_never_replaces_a_file_it_did_not_write(tmp_path, capsys):
    train(tmp_path, "run")
    mine = tmp_path / "notes.png"
    mine.write_bytes(b"my own picture")
    assert main(["plot", str(tmp_path / "run"), "--out", str(mine)]) == 2
    assert "exists and is not a figure duo plot wrote" in capsys.readouterr().err
    assert mine.read_bytes() == b"my own picture"
    assert main(["plot", str(tmp_path / "nothing_here")]) == 2
    assert "plot: no such folder" in capsys.readouterr().err
    out = str(tmp_path / "curves.png")
    assert main(["plot", str(tmp_path / "run"), "--out", out, "--splits", "validation"]) == 2
    assert (
        "unknown split validation; valid choices: train, val_sim, val_true, test" in capsys.readouterr().err
    )
    only_val_sim = train(tmp_path, "val_sim_only", "validation_splits=[val_sim]")
    assert main(["plot", str(only_val_sim), "--out", out, "--splits", "val_true"]) == 2
    assert "logged none of the splits val_true" in capsys.readouterr().err


def test_a_torn_last_line_is_read_past_and_a_broken_run_is_skipped_with_a_warning(tmp_path, capsys):
    """What a kill leaves (half a row at the end) still plots; garbage or a row without a step is a
    one-line warning naming the run, and the other runs are drawn."""
    good = train(tmp_path, "good")
    with (good / "metrics.jsonl").open("a") as file:
        file.write('{"step": 2048, "train/episode_rew')  # torn mid-write
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "metrics.jsonl").write_bytes(b'{"step": 1}\n\xff\xfe garbage\n{"step": 2}\n')
    no_step = tmp_path / "no_step"
    no_step.mkdir()
    (no_step / "metrics.jsonl").write_text('{"train/episode_reward": 1.0}\n{"step": 2}\n')
    out = tmp_path / "curves.png"
    assert main(["plot", str(tmp_path), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"skipping {bad}: metrics.jsonl line 2 is not a JSON row" in err
    assert f"skipping {no_step}: metrics.jsonl line 1 has no step" in err
    assert out.exists()


def test_by_default_the_figure_goes_beside_the_runs_not_into_the_working_folder(tmp_path, monkeypatch):
    folder = train(tmp_path, "run")
    monkeypatch.chdir(tmp_path)
    assert main(["plot", str(folder)]) == 0
    assert (folder / "learning_curves.png").exists() and not (tmp_path / "learning_curves.png").exists()
