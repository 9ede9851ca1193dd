"""``duo report`` pools finished runs into a table, an AUC over cost weights and a Pareto plot."""

import csv
import json

import numpy as np
import pytest

from duo_ai.cli.main import main
from duo_ai.protocol import result as result_module
from duo_ai.reporting.gain import holm
from duo_ai.reporting.report import across_tasks, build_report


@pytest.fixture
def finished_runs(tmp_path, agent_checkpoints, monkeypatch):
    """always-expert and always-novice at alpha 0.2 and 0.4 on the toy chain (BP 0.5), written by
    code version abc1234 (a committed one, whatever state this checkout is in)."""
    monkeypatch.setattr(result_module, "code_version", lambda: "abc1234")
    for agent in ("expert", "novice"):
        for alpha in (0.2, 0.4):
            args = [
                f"experiment_dir={tmp_path}/runs", f"name={agent}_{alpha}", "env.name=toy",
                "policy.name=always", f"policy.agent={agent}", "algorithm.name=always",
                f"coordination.expert_query_cost_weight={alpha}", "coordination.base_penalty=0.5",
                "evaluation.num_episodes=6", f"train_novice={agent_checkpoints['novice']}",
                f"train_expert={agent_checkpoints['novice']}", f"test_novice={agent_checkpoints['novice']}",
                f"test_expert={agent_checkpoints['expert']}",
            ]  # fmt: skip
            assert main(["train", "--type", "coord", *args]) == 0
    return tmp_path / "runs"


def test_report_table_auc_and_plot(finished_runs, tmp_path):
    out = tmp_path / "report"
    assert main(["report", str(finished_runs), "--out", str(out)]) == 0
    rows = list(csv.DictReader((out / "results.csv").open()))
    expert = {float(r["alpha"]): float(r["reward_mean"]) for r in rows if r["method"] == "always expert"}
    assert expert == pytest.approx({0.2: 5 * (1 - 0.2 * 0.5), 0.4: 5 * (1 - 0.4 * 0.5)})
    assert {float(r["reward_mean"]) for r in rows if r["method"] == "always novice"} == {0.0}
    markdown = (out / "results.md").read_text()
    assert "| toy | always expert | 0.2 | 4.500 ± 0.000 | - | 5.000 | 1.000 | 1 | 6 |" in markdown
    assert "| toy | always expert | 0.2, 0.4 | 0.850 [0.850, 0.850] |" in markdown  # 0.2 * (4.5 + 4.0) / 2
    assert (out / "pareto.png").stat().st_size > 1000


def test_report_without_finished_runs(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["report", str(tmp_path / "empty")]) == 2
    assert "no finished run (test_result.json)" in capsys.readouterr().err


def test_a_corrupt_run_is_skipped_with_one_warning(finished_runs, tmp_path, capsys):
    (finished_runs / "expert_0.4" / "test_result.json").write_text('{"test": {"episode_rew')
    out = tmp_path / "report"
    assert main(["report", str(finished_runs), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"report: skipping {finished_runs / 'expert_0.4'}: unreadable run" in err and err.count("\n") == 1
    alphas = {(r["method"], r["alpha"]) for r in csv.DictReader((out / "results.csv").open())}
    assert alphas == {("always expert", "0.2"), ("always novice", "0.2"), ("always novice", "0.4")}


def test_the_report_never_writes_into_a_folder_of_the_user(finished_runs, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "results.csv").write_text("the user's table")
    assert main(["report", str(finished_runs), "--out", str(out)]) == 2
    assert "holds files that duo report did not write" in capsys.readouterr().err
    assert (out / "results.csv").read_text() == "the user's table"
    assert main(["report", str(finished_runs), "--out", str(tmp_path / "report")]) == 0
    assert main(["report", str(finished_runs), "--out", str(tmp_path / "report")]) == 0  # its own: rewritten


def test_intervals_over_seeds_beside_intervals_over_episodes(finished_runs, tmp_path):
    import json
    import shutil

    for alpha in (0.2, 0.4):  # seed 1 earns 1 more an episode than seed 0
        twin = finished_runs / f"expert_{alpha}_seed1"
        shutil.copytree(finished_runs / f"expert_{alpha}", twin)
        result = json.loads((twin / "test_result.json").read_text())
        result["test"]["episode_rewards"] = [r + 1.0 for r in result["test"]["episode_rewards"]]
        (twin / "test_result.json").write_text(json.dumps({**result, "seed": 1}))
    out = tmp_path / "report"
    assert main(["report", str(finished_runs), "--out", str(out)]) == 0
    row = next(r for r in csv.DictReader((out / "results.csv").open()) if r["method"] == "always expert"
               and r["alpha"] == "0.2")  # fmt: skip
    assert float(row["reward_mean"]) == pytest.approx(5.0) and row["runs"] == "2"
    t_two_seeds = 12.706  # Student's t, 1 degree of freedom, 97.5%
    assert float(row["seeds_ci"]) == pytest.approx(
        t_two_seeds * np.std([4.5, 5.5], ddof=1) / np.sqrt(2), rel=1e-4
    )
    # each seed's own area: 0.2 * (4.5 + 4.0) / 2 = 0.85 and 0.2 * (5.5 + 5.0) / 2 = 1.05
    half_width = t_two_seeds * np.std([0.85, 1.05], ddof=1) / np.sqrt(2)
    assert "| toy | always expert | 0.2, 0.4 | 0.950 [" in (out / "results.md").read_text()
    assert f"| 0.950 ± {half_width:.3f} | - |" in (out / "results.md").read_text()


def test_runs_of_other_configurations_are_not_pooled(finished_runs, tmp_path, agent_checkpoints):
    args = [
        f"experiment_dir={finished_runs}", "name=expert_0.2_longer", "env.name=toy", "policy.name=always",
        "policy.agent=expert", "algorithm.name=always", "coordination.expert_query_cost_weight=0.2",
        "coordination.base_penalty=0.5", "evaluation.num_episodes=12",
        f"train_novice={agent_checkpoints['novice']}", f"train_expert={agent_checkpoints['novice']}",
        f"test_novice={agent_checkpoints['novice']}", f"test_expert={agent_checkpoints['expert']}",
    ]  # fmt: skip
    assert main(["train", "--type", "coord", *args]) == 0
    out = tmp_path / "report"
    assert main(["report", str(finished_runs), "--out", str(out)]) == 0
    rows = {
        (r["method"], r["alpha"]): int(r["episodes"]) for r in csv.DictReader((out / "results.csv").open())
    }
    assert rows == {
        ("always expert [evaluation.num_episodes=6]", "0.2"): 6,
        ("always expert [evaluation.num_episodes=6]", "0.4"): 6,
        ("always expert [evaluation.num_episodes=12]", "0.2"): 12,
        ("always novice", "0.2"): 6,
        ("always novice", "0.4"): 6,
    }


def test_across_tasks_gives_the_interquartile_mean_over_seeds_and_tasks():
    def area(task, method, per_seed):
        return {
            "task": task,
            "method": method,
            "alphas": [0.0, 1.0],
            "seed_areas": per_seed,
            "upper_reference": False,
        }

    areas = [
        area("a", "m", {0: 0.0, 1: 1.0}),
        area("b", "m", {0: 2.0, 1: 100.0, 2: 7.0}),  # seed 2 ran on one task only: left out
        area("a", "single", {0: 0.5}),  # one seed: no interval, no aggregate
    ]
    (aggregate,) = across_tasks(areas, seed=0)
    assert aggregate["method"] == "m" and aggregate["tasks"] == 2 and aggregate["seeds"] == 2
    iqm, low, high = aggregate["iqm"]
    assert iqm == pytest.approx(1.5)  # scores 0, 1, 2, 100: the middle half is 1 and 2
    assert aggregate["mean"][0] == pytest.approx(25.75)
    assert low <= iqm <= high


def test_a_rows_bootstrap_interval_does_not_depend_on_the_other_rows(finished_runs, tmp_path):
    """Areas of always-novice with spread-out episode rewards, reported alone and after
    always-expert's row: the same interval (each row bootstraps with a generator of its own)."""
    for alpha in (0.2, 0.4):
        path = finished_runs / f"novice_{alpha}" / "test_result.json"
        result = json.loads(path.read_text())
        result["test"]["episode_rewards"] = [float(reward) for reward in np.linspace(0.0, 5.0, 6)]
        path.write_text(json.dumps(result))
    alone, beside = tmp_path / "alone", tmp_path / "beside"
    novices = [str(finished_runs / f"novice_{alpha}") for alpha in (0.2, 0.4)]
    assert main(["report", *novices, "--out", str(alone)]) == 0
    assert main(["report", str(finished_runs), "--out", str(beside)]) == 0

    def novice_area(out):
        lines = (out / "results.md").read_text().splitlines()
        return next(line for line in lines if "| always novice | 0.2, 0.4 |" in line)

    assert "[0.500, 0.500]" not in novice_area(alone)  # the rewards spread: a real interval
    assert novice_area(alone) == novice_area(beside)


def write_run(folder, method, alpha, seed, rewards, upper_reference=False):
    """A finished run's result written by hand: every number of the report is then known."""
    folder.mkdir(parents=True)
    test = {"episode_rewards": rewards, "base_reward_mean": 1.0, "num_episodes": len(rewards),
            "action_1_fraction": 0.5}  # fmt: skip
    result = {"version": 3, "method": method, "task": "toy", "alpha": alpha, "seed": seed,
              "upper_reference": upper_reference, "test": test}  # fmt: skip
    (folder / "test_result.json").write_text(json.dumps(result))


def test_share_of_the_gain_over_the_optimum_with_seeds(tmp_path, capsys):
    # alpha 0 and 1: the better fixed agent earns 0.5 then 0.2 (area 0.35), the optimum 0.9 and
    # 0.6 (area 0.75): an available gain of 0.4. Seed 0's area is 0.55 (share 50%), seed 1's 0.65 (75%).
    for alpha, novice, expert, optimum in ((0.0, 0.2, 0.5, 0.9), (1.0, 0.2, 0.1, 0.6)):
        write_run(tmp_path / f"runs/novice{alpha}", "always novice", alpha, 0, [novice])
        write_run(tmp_path / f"runs/expert{alpha}", "always expert", alpha, 0, [expert])
        write_run(
            tmp_path / f"runs/optimum{alpha}", "optimum (exact)", alpha, 0, [optimum], upper_reference=True
        )
    for seed, (low, high) in enumerate(((0.7, 0.4), (0.8, 0.5))):
        write_run(tmp_path / f"runs/m{seed}_0", "learned", 0.0, seed, [low])
        write_run(tmp_path / f"runs/m{seed}_1", "learned", 1.0, seed, [high])
    report = build_report([tmp_path / "runs"], tmp_path / "report")
    shares = {area["method"]: area["share"] for area in report["auc"]}
    learned = shares["learned"]  # pooled means 0.75 and 0.45: area 0.6, share 62.5%
    assert (learned.point, learned.seeds_mean, learned.seeds, learned.reference) == pytest.approx(
        (0.625, 0.625, 2, "optimum")
    )
    assert learned.seeds_ci == pytest.approx(12.706 * np.std([0.5, 0.75], ddof=1) / np.sqrt(2), rel=1e-4)
    assert shares["always expert"].point == pytest.approx(-0.125)  # area 0.3, 0.05 below the envelope
    assert shares["always novice"].point == pytest.approx(-0.375)
    assert shares["optimum (exact)"].point == pytest.approx(1.0)
    # one learned method: Holm over 1 leaves its p; t = 0.625 / (0.177 / sqrt 2) = 5 on 1 degree of freedom
    assert learned.p_above == pytest.approx(0.0628, abs=1e-4) and learned.p_holm == learned.p_above
    line = "62% (seeds: 63% ± 159%, 2; above 0: p 0.063, Holm over 1: 0.063)"
    written = (tmp_path / "report" / "results.md").read_text()
    assert f"| 0.150 | {line} |" in written
    assert f"toy  learned          {line}" in capsys.readouterr().out
    # every seed is reported: its rewards over α, its area and its own share
    assert "| toy | learned | 0 | 0.700, 0.400 | 0.550 | 50% |" in written
    assert "| toy | learned | 1 | 0.800, 0.500 | 0.650 | 75% |" in written
    with (tmp_path / "report" / "seeds.csv").open() as file:
        seeds = [row for row in csv.DictReader(file) if row["method"] == "learned"]
    assert [(row["seed"], row["alpha"]) for row in seeds] == [
        ("0", "0.0"),
        ("0", "1.0"),
        ("1", "0.0"),
        ("1", "1.0"),
    ]
    assert [float(row["reward_mean"]) for row in seeds] == pytest.approx([0.7, 0.4, 0.8, 0.5])
    assert [float(row["seed_share"]) for row in seeds] == pytest.approx([0.5, 0.5, 0.75, 0.75])


def test_without_an_optimum_the_share_is_of_the_best_skyline(tmp_path, capsys):
    for alpha in (0.0, 1.0):
        write_run(tmp_path / f"runs/novice{alpha}", "always novice", alpha, 0, [0.0])
        write_run(tmp_path / f"runs/expert{alpha}", "always expert", alpha, 0, [0.0])
        write_run(tmp_path / f"runs/sky{alpha}", "ppo obs (skyline)", alpha, 0, [0.8], upper_reference=True)
        write_run(tmp_path / f"runs/m{alpha}", "learned", alpha, 0, [0.2])
    assert main(["report", str(tmp_path / "runs"), "--out", str(tmp_path / "report")]) == 0
    assert "toy  learned            25% of skyline" in capsys.readouterr().out


def test_no_share_divides_by_a_skyline_gain_within_its_noise(tmp_path, capsys):
    # the skyline earns 0.05 more than the fixed agents on average, with episodes of 0 and 1: its
    # gain's interval spans 0, so a learned method 0.1 below would read -200% of it. No share.
    for alpha in (0.0, 1.0):
        write_run(tmp_path / f"runs/novice{alpha}", "always novice", alpha, 0, [0.0, 1.0] * 20)
        write_run(tmp_path / f"runs/expert{alpha}", "always expert", alpha, 0, [0.0] * 40)
        write_run(tmp_path / f"runs/sky{alpha}", "ppo obs (skyline)", alpha, 0, [0.0, 1.0] * 20 + [1.0, 1.0],
                  upper_reference=True)  # fmt: skip
        write_run(tmp_path / f"runs/m{alpha}", "learned", alpha, 0, [0.0, 1.0] * 20 + [0.0, 0.0])
    assert main(["report", str(tmp_path / "runs"), "--out", str(tmp_path / "report")]) == 0
    out = capsys.readouterr().out
    assert "share of the available gain" not in out
    why = "toy (α 0, 1): no share of the gain is shown: the best skyline (ppo obs (skyline)) earns +0.024"
    assert why in out and why in (tmp_path / "report" / "results.md").read_text()
    assert "not clearly above 0" in out


def test_runs_of_other_budgets_are_other_rows_and_a_repeated_seed_counts_once(tmp_path, capsys):
    """Two budgets of one method are two configurations; a copy of a run (same configuration, same
    seed, another folder) is one seed, not two."""
    for name, budget, seed in (
        ("short", 5000, 0),
        ("long", 20000, 0),
        ("long_copy", 20000, 0),
        ("long1", 20000, 1),
    ):
        write_run(tmp_path / "runs" / name, "ppo obs", 0.4, seed, [0.5 + seed * 0.1])
        (tmp_path / "runs" / name / "config.yaml").write_text(
            f"seed: {seed}\nname: {name}\nalgorithm:\n  total_timesteps: {budget}\n  log_freq: {seed + 1}\n"
        )
    report = build_report([tmp_path / "runs"], tmp_path / "report")
    rows = {row["method"]: (row["runs"], row["episodes"]) for row in report["rows"]}
    assert rows == {
        "ppo obs [algorithm.total_timesteps=5000]": (1, 1),
        "ppo obs [algorithm.total_timesteps=20000]": (2, 2),  # seeds 0 and 1; the copy of seed 0 left out
    }
    assert "leaving out" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("episode_rewards", ["a", 1.0], "test.episode_rewards must be a non-empty list of numbers"),
        ("base_reward_mean", "0.5", "test.base_reward_mean must be a number"),
        ("action_1_fraction", True, "test.action_1_fraction must be a number"),
        ("alpha", "0.4", "'alpha' must be a float"),
        ("seed", 0.5, "'seed' must be a int"),
        ("method", 3, "'method' must be a str"),
        ("alpha", -3, "'alpha' is a cost weight, >= 0; got -3"),
        ("version", 99, "version 99 is not one this duo reads (1 to 3)"),
        ("version", "2", "version '2' is not one this duo reads"),
    ],
)
def test_a_result_with_a_field_of_the_wrong_type_is_skipped_naming_it(
    tmp_path, capsys, field, value, message
):
    write_run(tmp_path / "runs" / "good", "learned", 0.4, 0, [0.5])
    write_run(tmp_path / "runs" / "bad", "learned", 0.4, 1, [0.5])
    result = json.loads((tmp_path / "runs" / "bad" / "test_result.json").read_text())
    (result["test"] if field in result["test"] else result)[field] = value
    (tmp_path / "runs" / "bad" / "test_result.json").write_text(json.dumps(result))
    report = build_report([tmp_path / "runs"], tmp_path / "report")
    assert [row["runs"] for row in report["rows"]] == [1]
    assert message in capsys.readouterr().err


def test_holm_multiplies_the_smallest_p_by_the_count_and_never_lets_a_larger_one_fall_below():
    assert holm([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert holm([0.3, 0.6]) == pytest.approx([0.6, 0.6])
    assert holm([]) == []


def test_a_best_of_k_claim_is_corrected_over_the_learned_methods_of_a_task(tmp_path):
    # three learned methods with two seeds each; the fixed agents and the optimum are not counted
    for alpha, novice, expert, optimum in ((0.0, 0.2, 0.5, 0.9), (1.0, 0.2, 0.1, 0.6)):
        write_run(tmp_path / f"runs/novice{alpha}", "always novice", alpha, 0, [novice])
        write_run(tmp_path / f"runs/expert{alpha}", "always expert", alpha, 0, [expert])
        write_run(
            tmp_path / f"runs/optimum{alpha}", "optimum (exact)", alpha, 0, [optimum], upper_reference=True
        )
    for method, rewards in {"a": (0.7, 0.8), "b": (0.5, 0.6), "c": (0.3, 0.9)}.items():
        for seed, reward in enumerate(rewards):
            for alpha in (0.0, 1.0):
                write_run(tmp_path / f"runs/{method}{seed}_{alpha}", method, alpha, seed, [reward])
    report = build_report([tmp_path / "runs"], tmp_path / "report")
    shares = {area["method"]: area["share"] for area in report["auc"]}
    assert {method: shares[method].family for method in "abc"} == {"a": 3, "b": 3, "c": 3}
    assert shares["always expert"].p_holm is None and shares["optimum (exact)"].p_holm is None
    raw = [shares[method].p_above for method in "abc"]
    assert [shares[method].p_holm for method in "abc"] == pytest.approx(holm(raw))
    assert shares["a"].p_holm == pytest.approx(3 * min(raw))


def test_the_report_names_its_runs_code_versions(finished_runs, tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["report", str(finished_runs), "--out", str(out)]) == 0
    assert "Code versions of these runs: abc1234 (4 runs)." in (out / "results.md").read_text()
    assert "code version" not in capsys.readouterr().err


def test_runs_of_several_code_versions_are_named_with_a_warning(finished_runs, tmp_path, capsys):
    older = finished_runs / "novice_0.4" / "test_result.json"
    result = json.loads(older.read_text())
    older.write_text(json.dumps({**result, "code_version": "0000000"}))
    unrecorded = finished_runs / "expert_0.4" / "test_result.json"
    result = json.loads(unrecorded.read_text())
    del result["code_version"]  # written before duo recorded its version
    unrecorded.write_text(json.dumps(result))
    assert main(["report", str(finished_runs), "--out", str(tmp_path / "report")]) == 0
    listing = "0000000 (1 run), abc1234 (2 runs), not recorded (1 run)"
    assert f"Code versions of these runs: {listing}." in (tmp_path / "report" / "results.md").read_text()
    assert f"do not come from one committed code version ({listing})" in capsys.readouterr().err


def test_runs_of_uncommitted_code_are_named_with_a_warning(finished_runs, tmp_path, capsys):
    for path in finished_runs.rglob("test_result.json"):
        path.write_text(json.dumps({**json.loads(path.read_text()), "code_version": "abc1234+modified"}))
    assert main(["report", str(finished_runs), "--out", str(tmp_path / "report")]) == 0
    assert (
        "do not come from one committed code version (abc1234+modified (4 runs))" in capsys.readouterr().err
    )
