"""duo sweep on Ray Tune: every trial is a duo run; reruns train only what did not finish."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from duo_ai.cli.main import main
from duo_ai.errors import ConfigError
from duo_ai.sweep import read_sweep

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["env.num_envs=2", "evaluation.num_episodes=2", "validation_splits=[val_sim]"]
TINY = [*SMALL, "policy.name=random", "algorithm.name=random", "algorithm.probs=[1.0]"]


@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


def sweep_file(tmp_path, grid, **extra):
    spec = {"base": str(ROOT / "configs" / "minigrid_distshift.yaml"), "experiment_dir": str(tmp_path / "runs"),
            "overrides": TINY, "grid": grid, "resources": {"cpu": 1}, **extra}  # fmt: skip
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def finished(tmp_path):
    return {path.parent.name: path.stat().st_mtime_ns for path in (tmp_path / "runs").glob("*/trial.json")}


def test_four_trials_are_four_duo_runs_with_their_results(tmp_path, ray_cluster):
    grid = {"seed": [0, 1], "coordination.expert_query_cost_weight": [0.2, 0.4]}
    assert main(["sweep", str(sweep_file(tmp_path, grid))]) == 0
    runs = sorted(finished(tmp_path))
    assert runs == [f"coordination.expert_query_cost_weight={a},seed={s}" for a in (0.2, 0.4) for s in (0, 1)]
    for name in runs:
        result = json.loads((tmp_path / "runs" / name / "test_result.json").read_text())
        assert result["alpha"] == float(name.split("=")[1].split(",")[0])
        assert result["test"]["action_1_fraction"] == 1.0  # always the expert (probs=[1.0])


def test_a_killed_driver_rerun_trains_only_the_missing_trials(tmp_path, ray_cluster):
    path = sweep_file(tmp_path, {"seed": [0, 1, 2, 3]})
    driver = subprocess.Popen([sys.executable, "-m", "duo_ai.cli.main", "sweep", str(path), "--address", ray_cluster],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.time() + 300
    while len(finished(tmp_path)) < 1 and time.time() < deadline and driver.poll() is None:
        time.sleep(0.2)
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait()
    before = finished(tmp_path)
    assert driver.returncode == -signal.SIGKILL and 1 <= len(before) < 4, (
        "the driver must be killed mid-sweep"
    )
    assert main(["sweep", str(path)]) == 0
    after = finished(tmp_path)
    assert len(after) == 4
    assert all(after[name] == stamp for name, stamp in before.items())  # finished trials were not rerun


def test_a_failing_trial_is_reported_and_the_others_finish(tmp_path, ray_cluster, capsys):
    grid = {"train_novice": ["zoo:minigrid/distshift/novice_weak", str(tmp_path / "missing.ckpt")]}
    assert main(["sweep", str(sweep_file(tmp_path, grid))]) == 2
    out, err = capsys.readouterr()
    assert "missing.ckpt" in out and "1 of 2 trials failed" in err
    assert len(finished(tmp_path)) == 1
    (line,) = [line for line in out.splitlines() if line.startswith("duo: error: trial")]
    assert line.startswith("duo: error: trial train_novice=") and "missing.ckpt" in line  # its own one line
    assert "Traceback" not in out + err


def test_a_trial_no_node_can_hold_is_refused_before_any_starts(tmp_path):
    from duo_ai.sweep.tune import check_resources

    sweep = read_sweep(sweep_file(tmp_path, {"seed": [0]}, resources={"cpu": 4, "gpu": 1}))
    nodes = [{"Alive": True, "Resources": {"CPU": 2.0}}, {"Alive": False, "Resources": {"CPU": 8.0}}]
    with pytest.raises(
        ConfigError, match="resources.cpu: each trial asks for 4, but the largest node offers 2"
    ):
        check_resources(sweep, nodes)
    sweep = read_sweep(sweep_file(tmp_path, {"seed": [0]}, resources={"cpu": 2, "gpu": 1}))
    with pytest.raises(
        ConfigError, match="resources.gpu: each trial asks for 1, but the largest node offers 0"
    ):
        check_resources(sweep, nodes)


def test_an_interrupted_sweep_says_what_was_cut_and_how_to_continue(tmp_path, ray_cluster):
    path = sweep_file(tmp_path, {"seed": [0, 1, 2, 3]})
    driver = subprocess.Popen([sys.executable, "-m", "duo_ai.cli.main", "sweep", str(path), "--address", ray_cluster],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    deadline = time.time() + 300
    while len(finished(tmp_path)) < 1 and time.time() < deadline and driver.poll() is None:
        time.sleep(0.2)
    driver.send_signal(signal.SIGINT)
    output = driver.communicate(timeout=300)[0]
    assert driver.returncode == 2, output
    assert "cut off" in output and "run the same duo sweep command again" in output
    assert "Tuner.restore" not in output


@pytest.mark.parametrize(
    ("change", "message"),
    [({"grdi": {}}, "unknown sweep key 'grdi'"), ({"grid": {"algorithm.totl": [1]}}, "algorithm.totl"),
     ({"search": {"algorithm.ent_coef": {"normal": [0, 1]}}}, "expected one of uniform"),
     ({"scheduler": "hyperband"}, "valid choices: none, asha")],
)  # fmt: skip
def test_a_bad_sweep_file_is_one_line_and_exit_2(tmp_path, capsys, change, message):
    change = dict(change)
    path = sweep_file(tmp_path, change.pop("grid", {"seed": [0]}), **change)
    assert main(["sweep", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "runs").exists()


def test_a_search_samples_settings_and_reads_only_the_val_sim_reward(tmp_path, ray_cluster):
    path = sweep_file(tmp_path, {}, overrides=[*SMALL, "policy.name=random", "algorithm.name=always"],
                      search={"policy.prob": {"uniform": [0.0, 1.0]}}, num_samples=2, scheduler="asha")  # fmt: skip
    assert main(["sweep", str(path)]) == 0
    folders = [config.parent for config in (tmp_path / "runs").glob("*/config.yaml")]
    assert len(folders) == 2  # ASHA may stop the weaker one after its first report: it still ran
    probs = {yaml.safe_load((folder / "config.yaml").read_text())["policy"]["prob"] for folder in folders}
    assert len(probs) == 2 and all(0.0 <= prob <= 1.0 for prob in probs)
    assert finished(tmp_path)
    for folder in [tmp_path / "runs" / name for name in finished(tmp_path)]:
        assert "val_sim/reward_mean" in json.loads((folder / "trial.json").read_text())


def test_bundles_and_a_name_template_make_each_trial_folder_and_overrides(tmp_path):
    path = sweep_file(tmp_path, {"seed": [0, 1]}, overrides=SMALL, bundles={"method": {"expert": ["policy.name=always",
                      "policy.agent=expert", "algorithm.name=always"], "random": ["policy.name=random"]}},
                      name="{method}/seed{seed}")  # fmt: skip
    sweep = read_sweep(path)
    trials = {sweep.trial_name(params): sweep.trial_overrides(params, "x") for params in sweep.grid_points()}
    assert sorted(trials) == ["expert/seed0", "expert/seed1", "random/seed0", "random/seed1"]
    assert "policy.agent=expert" in trials["expert/seed1"] and "seed=1" in trials["expert/seed1"]
    assert "policy.name=random" in trials["random/seed0"]


@pytest.mark.parametrize(
    ("name", "message"), [("{method}/seed{sed}", "names 'sed', not an axis"), ("{method}", "one folder")]
)
def test_a_name_template_must_name_every_axis(tmp_path, name, message):
    path = sweep_file(
        tmp_path, {"seed": [0, 1]}, bundles={"method": {"a": ["policy.name=random"]}}, name=name
    )
    with pytest.raises(ConfigError, match=message):
        read_sweep(path)


def test_a_trial_cut_off_after_its_last_save_starts_again_unless_it_can_resume(tmp_path, ray_cluster):
    path = sweep_file(tmp_path, {"seed": [0]})
    assert main(["sweep", str(path)]) == 0
    folder = tmp_path / "runs" / "seed=0"
    first = json.loads((folder / "test_result.json").read_text())
    for name in ("trial.json", "test_result.json"):  # as if killed right after last.ckpt (no resume point)
        (folder / name).unlink()
    assert main(["sweep", str(path)]) == 0
    # the random sweep cannot resume: it trained again from the start, to the same result
    assert json.loads((folder / "test_result.json").read_text()) == first
    log = (folder / "train.log").read_text()
    assert log.count("train run, folder") == 1 and "resumed from" not in log  # a fresh start


TINY_PPO = [*SMALL, "algorithm.total_timesteps=256", "algorithm.num_steps=32", "algorithm.log_freq=2"]


def test_a_grouped_sweep_trains_each_group_in_one_trial_and_each_run_in_its_folder(tmp_path, ray_cluster):
    grid = {
        "seed": [0, 1],
        "coordination.expert_query_cost_weight": [0.2, 0.6],
        "algorithm.ent_coef": [0.0, 0.01],
    }
    path = sweep_file(tmp_path, grid, overrides=TINY_PPO, group=True, name="ent{algorithm.ent_coef}/a{coordination.expert_query_cost_weight}/s{seed}")  # fmt: skip
    sweep = read_sweep(path)
    assert [len(group) for group in sweep.groups()] == [4, 4]  # one per entropy weight
    assert main(["sweep", str(path)]) == 0
    runs = tmp_path / "runs"
    done = {
        str(trial.parent.relative_to(runs)): trial.stat().st_mtime_ns
        for trial in runs.glob("*/*/*/trial.json")
    }
    assert len(done) == 8
    for name in done:
        result = json.loads((runs / name / "test_result.json").read_text())
        assert f"a{result['alpha']:g}/s{result['seed']}" in name
        assert "train group of 4 runs" in (runs / name / "train.log").read_text()
    assert main(["sweep", str(path)]) == 0  # finished: nothing trains again
    assert {name: (runs / name / "trial.json").stat().st_mtime_ns for name in done} == done


@pytest.mark.parametrize(
    ("change", "message"),
    [({"search": {"algorithm.ent_coef": {"uniform": [0, 1]}}}, "a grouped sweep trains a grid"),
     ({"group": "yes"}, "group: expected true or false")],
)  # fmt: skip
def test_a_grouped_sweep_refuses_what_it_cannot_group(tmp_path, change, message):
    change = {"group": True, **change}
    with pytest.raises(ConfigError, match=message):
        read_sweep(sweep_file(tmp_path, {"seed": [0, 1]}, **change))


def test_a_grouped_sweep_runs_alone_the_trials_it_cannot_group(tmp_path):
    """Methods that are not PPO coordinators (here `random`) and PPO settings a group refuses run
    one per trial; the PPO trials that differ only in seed and alpha still train together."""
    budget = TINY_PPO[len(SMALL) :]
    methods = {"ppo": budget, "random": ["policy.name=random", "algorithm.name=random"],
               "ppo_kl": [*budget, "algorithm.max_kl=0.03"]}  # fmt: skip
    path = sweep_file(tmp_path, {"seed": [0, 1]}, overrides=SMALL, group=True, name="{method}/s{seed}",
                      bundles={"method": methods})  # fmt: skip
    groups = sorted(
        [read_sweep(path).trial_name(point) for point in group] for group in read_sweep(path).groups()
    )
    assert groups == [["ppo/s0", "ppo/s1"], ["ppo_kl/s0"], ["ppo_kl/s1"], ["random/s0"], ["random/s1"]]


def test_an_unreadable_trial_json_counts_as_unfinished_and_is_written_again(tmp_path, ray_cluster):
    path = sweep_file(tmp_path, {"seed": [0]})
    assert main(["sweep", str(path)]) == 0
    folder = tmp_path / "runs" / "seed=0"
    result = (folder / "test_result.json").read_text()
    (folder / "trial.json").write_bytes(b'{"folder": "half a wri')  # another tool's write, cut short
    with (folder / "metrics.jsonl").open("a") as metrics:
        metrics.write('{"step": 99, "val_sim/rew')  # and the half line a kill leaves
    assert main(["sweep", str(path)]) == 0
    assert json.loads((folder / "trial.json").read_text())["folder"] == str(folder)
    assert (folder / "test_result.json").read_text() == result  # finished: not trained again
    assert not list(folder.glob(".trial.json*"))


def test_group_size_splits_a_group_and_needs_group(tmp_path):
    grid = {"seed": [0, 1], "coordination.expert_query_cost_weight": [0.2, 0.4, 0.6]}
    sweep = read_sweep(sweep_file(tmp_path, grid, overrides=TINY_PPO, group=True, group_size=4))
    assert [len(group) for group in sweep.groups()] == [3, 3]  # the fewest groups of at most 4, even
    for group in sweep.groups():  # dealt in turn by cost weight: each group holds every one
        assert {point["coordination.expert_query_cost_weight"] for point in group} == {0.2, 0.4, 0.6}
    assert sorted(sweep.trial_name(point) for group in sweep.groups() for point in group) == sorted(
        sweep.trial_name(point) for point in sweep.grid_points()
    )
    with pytest.raises(ConfigError, match="group_size: it limits the groups of group: true"):
        read_sweep(sweep_file(tmp_path, grid, overrides=TINY_PPO, group_size=4))


def test_a_trial_killed_for_memory_is_recognised_through_tunes_wrapping():
    from ray.exceptions import OutOfMemoryError

    from duo_ai.sweep.tune import killed_for_memory

    try:
        try:
            raise OutOfMemoryError("1 worker(s) were killed due to the node running low on memory")
        except OutOfMemoryError as killed:
            raise RuntimeError("Caught unexpected exception") from killed
    except RuntimeError as wrapped:
        assert killed_for_memory(wrapped)
    assert not killed_for_memory(RuntimeError("a bug"))
    assert not killed_for_memory(MemoryError())  # duo's own process: guarded's business, not Ray's
