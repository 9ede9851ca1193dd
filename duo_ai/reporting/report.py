"""Gather finished coordinator runs into a results table, AUC over cost weights, and a Pareto plot.

A finished run is a folder with ``test_result.json`` (written at the end of ``duo train --type
coord``, see ``duo_ai.protocol.result``). Runs of one method, task and cost weight (seeds) are pooled by
episode. Runs that selected on test or trained on it (skyline), and the exact optimum, are upper
references, marked so and kept apart from the honest methods.
"""

from __future__ import annotations

import csv
import sys
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from duo_ai.errors import DuoError
from duo_ai.evaluation.stats import mean_std_ci, mean_t_interval
from duo_ai.protocol.result import EXACT_OPTIMUM, read_result
from duo_ai.provenance import MODIFIED
from duo_ai.reporting.gain import (
    FIXED_METHODS,
    AvailableGain,
    Share,
    correct_for_many,
    envelope_area,
    gain_interval,
    method_share,
)
from duo_ai.run_folder import RESULT_FILE, configuration_key, configuration_label, run_settings

UPPER_REFERENCE_FLAG = " (upper reference)"  # beside a row that is no honest method

BOOTSTRAP_SAMPLES = 1000
ALPHA_KEY = "coordination.expert_query_cost_weight"
REPORT_MARKER = ".duo_report"  # in every folder duo report writes: it rewrites only those


@dataclass
class FinishedRun:
    folder: Path
    method: str
    task: str
    alpha: float
    seed: int
    upper_reference: bool
    test: dict[str, Any]
    code_version: str


@dataclass
class Cell:
    """Pooled episodes of one method on one task at one cost weight."""

    rewards: list[float] = field(default_factory=list)
    base_means: list[tuple[float, int]] = field(default_factory=list)
    expert_fractions: list[float] = field(default_factory=list)
    run_means: list[float] = field(default_factory=list)  # one mean reward per run
    seed_means: dict[int, float] = field(default_factory=dict)  # seed -> its run's mean reward
    runs: int = 0
    upper_reference: bool = False


def find_runs(paths: list[str | Path]) -> list[FinishedRun]:
    runs = []
    for path in map(Path, paths):
        if not path.exists():
            raise DuoError(f"report: no such folder {path}")
        for result_file in sorted(path.rglob(RESULT_FILE)):
            try:
                runs.append(read_run(result_file.parent))
            except Exception as error:  # noqa: BLE001 - one bad run must not hide the others
                detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
                print(
                    f"duo: warning: report: skipping {result_file.parent}: unreadable run ({detail})",
                    file=sys.stderr,
                )
    if not runs:
        raise DuoError(f"report: no finished run (test_result.json) under {', '.join(map(str, paths))}")
    return label_configurations(runs)


def label_configurations(runs: list[FinishedRun]) -> list[FinishedRun]:
    """Runs of one method on one task pool only when their configurations match (cost weight and
    seed aside): other configurations of a method get the settings that differ in their label."""
    settings = {run.folder: comparable_settings(run.folder) for run in runs}
    for method, task in sorted({(run.method, run.task) for run in runs}):
        members = [run for run in runs if (run.method, run.task) == (method, task)]
        variants = {configuration_key(settings[run.folder]): settings[run.folder] for run in members}
        if len(variants) > 1:
            print(
                f"{task} {method}: {len(variants)} configurations, reported apart (their settings in the label)"
            )
            folders = {key: [run.folder for run in members if configuration_key(settings[run.folder]) == key]
                       for key in variants}  # fmt: skip
            for run in members:
                key = configuration_key(settings[run.folder])
                label = configuration_label(settings[run.folder], list(variants.values()), folders[key],
                                            [run.folder for run in members])  # fmt: skip
                run.method = f"{method} [{label}]"
    return runs


def comparable_settings(folder: Path) -> dict[str, Any]:
    """A run's configuration less its seed and cost weight (the table's own columns)."""
    return {key: value for key, value in run_settings(folder).items() if key != ALPHA_KEY}


def read_run(folder: Path) -> FinishedRun:
    result = read_result(folder)
    return FinishedRun(
        folder=folder,
        method=result["method"],
        task=result["task"],
        alpha=float(result["alpha"]),
        seed=int(result["seed"]),
        upper_reference=bool(result["upper_reference"]),
        test=result["test"],
        code_version=result["code_version"],
    )


def pool(runs: list[FinishedRun]) -> dict[tuple[str, str, float], Cell]:
    """Each row's runs, one per seed: a run that repeats a seed of its row (a copy, or a rerun in
    another folder) is left out with a warning, so a row's seeds are distinct seeds."""
    cells: dict[tuple[str, str, float], Cell] = defaultdict(Cell)
    for run in runs:
        cell = cells[(run.method, run.task, run.alpha)]
        if run.seed in cell.seed_means:
            print(
                f"duo: warning: report: leaving out {run.folder}: it repeats seed {run.seed} of "
                f"{run.method} at α={run.alpha:g} (another folder of that row has it)",
                file=sys.stderr,
            )
            continue
        cell.rewards.extend(run.test["episode_rewards"])
        cell.base_means.append((run.test["base_reward_mean"], run.test["num_episodes"]))
        cell.expert_fractions.append(run.test["action_1_fraction"])
        cell.run_means.append(float(np.mean(run.test["episode_rewards"])))
        cell.seed_means[run.seed] = cell.run_means[-1]
        cell.runs += 1
        cell.upper_reference |= run.upper_reference
    return dict(cells)


def row_rng(seed: int, task: str, method: str) -> np.random.Generator:
    """A bootstrap generator of one row's own: its interval does not move when other rows are
    added to or left out of a report."""
    return np.random.default_rng([seed, zlib.crc32(f"{task}|{method}".encode())])


def auc(
    alphas: np.ndarray, rewards: list[np.ndarray], rng: np.random.Generator
) -> tuple[float, float, float]:
    """Trapezoid area of mean reward over alpha, with a 95% bootstrap interval over episodes."""
    point = float(np.trapezoid([r.mean() for r in rewards], alphas))
    samples = [
        np.trapezoid([rng.choice(r, size=r.size).mean() for r in rewards], alphas)
        for _ in range(BOOTSTRAP_SAMPLES)
    ]
    low, high = np.percentile(samples, [2.5, 97.5])
    return point, float(low), float(high)


def seed_rewards(cells: list[Cell]) -> dict[int, list[float]]:
    """Each seed's own mean test reward at every alpha of ``cells``, for the seeds run at all of them."""
    seeds = sorted(set.intersection(*(set(cell.seed_means) for cell in cells)))
    return {seed: [cell.seed_means[seed] for cell in cells] for seed in seeds}


def seed_auc(areas: dict[int, float]) -> tuple[float, float] | None:
    """Mean and 95% half-width over seeds of each seed's own area."""
    return mean_t_interval(np.array(list(areas.values()))) if len(areas) >= 2 else None


def across_tasks(areas: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    """Per method, the interquartile mean (IQM) and the mean of its per-seed areas over seeds and
    tasks, with rliable's 95% stratified bootstrap intervals: the field's aggregate statistics.
    A method counts where it has the same seeds (at least 2) on every task it ran, on one grid."""
    from rliable import library, metrics

    aggregates = []
    for method in sorted({area["method"] for area in areas}):
        mine = [area for area in areas if area["method"] == method]
        seeds = sorted(set.intersection(*(set(area["seed_areas"]) for area in mine)))
        if len(seeds) < 2 or len({tuple(area["alphas"]) for area in mine}) > 1:
            continue
        scores = np.array([[area["seed_areas"][s] for area in mine] for s in seeds])  # seeds x tasks
        np.random.seed(seed)  # rliable's bootstrap draws from numpy's global generator
        points, intervals = library.get_interval_estimates(
            {method: scores}, lambda x: np.array([metrics.aggregate_iqm(x), metrics.aggregate_mean(x)]),
            reps=BOOTSTRAP_SAMPLES,
        )  # fmt: skip
        (iqm, mean), ((iqm_low, mean_low), (iqm_high, mean_high)) = points[method], intervals[method]
        aggregates.append({"method": method, "tasks": len(mine), "seeds": len(seeds), "alphas": mine[0]["alphas"],
                           "iqm": (float(iqm), float(iqm_low), float(iqm_high)),
                           "mean": (float(mean), float(mean_low), float(mean_high)),
                           "upper_reference": any(area["upper_reference"] for area in mine)})  # fmt: skip
    return aggregates


def table_rows(cells: dict[tuple[str, str, float], Cell]) -> list[dict[str, Any]]:
    """One row per method, task and cost weight: its pooled test reward with intervals over
    episodes and over seeds."""
    rows = []
    for (method, task, alpha), cell in sorted(
        cells.items(), key=lambda item: (item[0][1], item[0][0], item[0][2])
    ):
        mean, std, ci = mean_std_ci(np.array(cell.rewards))
        weights = np.array([n for _, n in cell.base_means], dtype=float)
        base = float(np.average([m for m, _ in cell.base_means], weights=weights))
        rows.append(
            {
                "task": task,
                "method": method,
                "alpha": alpha,
                "reward_mean": mean,
                "reward_ci": ci,
                "seeds_ci": mean_t_interval(np.array(cell.run_means))[1],  # over the runs' means
                "base_reward_mean": base,
                "expert_fraction": float(np.mean(cell.expert_fractions)),
                "runs": cell.runs,
                "episodes": len(cell.rewards),
                "upper_reference": cell.upper_reference,
            }
        )
    return rows


def area_rows(
    rows: list[dict[str, Any]], cells: dict[tuple[str, str, float], Cell], seed: int
) -> list[dict[str, Any]]:
    """One row per method and task run at two cost weights or more: its area under test reward
    over α, over episodes and over seeds (shares are attached later)."""
    areas = []
    for task, method in sorted({(row["task"], row["method"]) for row in rows}):
        points = sorted((alpha, cell) for (m, t, alpha), cell in cells.items() if (m, t) == (method, task))
        if len(points) >= 2:
            alphas = np.array([alpha for alpha, _ in points])
            area = auc(alphas, [np.array(cell.rewards) for _, cell in points], row_rng(seed, task, method))
            rewards = seed_rewards([cell for _, cell in points])
            per_seed = {seed: float(np.trapezoid(means, alphas)) for seed, means in rewards.items()}
            areas.append({"task": task, "method": method, "alphas": alphas.tolist(), "auc": area,
                          "seed_rewards": rewards, "seed_areas": per_seed, "auc_seeds": seed_auc(per_seed),
                          "upper_reference": any(cell.upper_reference for _, cell in points)})  # fmt: skip
    return areas


def build_report(paths: list[str | Path], out: str | Path, seed: int = 0) -> dict[str, Any]:
    """Write results.md, results.csv (pooled rows), seeds.csv (every seed) and pareto.png into
    ``out``; return the pooled rows."""
    out = Path(out)
    runs = find_runs(paths)
    versions = code_versions(runs)
    cells = pool(runs)
    if out.exists() and any(out.iterdir()) and not (out / REPORT_MARKER).exists():
        raise DuoError(f"report: {out} holds files that duo report did not write; choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    (out / REPORT_MARKER).touch()
    rows = table_rows(cells)
    write_csv(out / "results.csv", rows)

    areas = area_rows(rows, cells, seed)
    no_share = attach_shares(areas, cells, seed)
    for task in {area["task"] for area in areas}:  # a best-of-K claim on a task reads Holm's p
        correct_for_many([area["share"] for area in areas if area["task"] == task and is_honest(area)])
    aggregates = across_tasks(areas, seed)
    write_csv(out / "seeds.csv", seed_rows(areas))

    notes = "".join(f"\n{line}\n" for line in [*no_share, versions])
    (out / "results.md").write_text(markdown(rows, areas, aggregates) + notes)
    pareto_plot(rows, out / "pareto.png")
    print(share_table(areas), end="")
    print("".join(f"{line}\n" for line in no_share), end="")
    print(
        f"report of {sum(row['runs'] for row in rows)} runs written to {out}/: results.md, results.csv, seeds.csv, pareto.png"
    )
    return {"rows": rows, "auc": areas, "across_tasks": aggregates}


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]) if rows else [])
        writer.writeheader()
        writer.writerows(rows)


def seed_rows(areas: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every seed of every method with seeds run at each α of its grid: its own mean test reward
    at each α, its area and its share of the gain (empty where none is shown), one row per α."""
    return [
        {"task": area["task"], "method": area["method"], "seed": seed, "alpha": alpha, "reward_mean": reward,
         "seed_area": area["seed_areas"][seed], "seed_share": seed_share(area, seed)}
        for area in areas
        for seed, rewards in area["seed_rewards"].items()
        for alpha, reward in zip(area["alphas"], rewards, strict=True)
    ]  # fmt: skip


def seed_share(area: dict[str, Any], seed: int) -> float | None:
    """The seed's own share of the gain; None where the row shows no share."""
    return area["share"].seed_shares.get(seed) if area["share"] is not None else None


def seed_lines(areas: list[dict[str, Any]]) -> list[str]:
    """The table of every seed of the methods run with two or more (seeds.csv has them all)."""
    seeded = [area for area in areas if len(area["seed_areas"]) >= 2]
    if not seeded:
        return []
    lines = [
        "",
        "Every seed of the methods run with several: its own mean test reward at each α of the grid, "
        "its area and its share of the available gain (where one is shown):",
        "",
        "| task | method | seed | test reward at each α | area | share of the gain |",
        "|---|---|---|---|---|---|",
    ]
    for area in seeded:
        flag = UPPER_REFERENCE_FLAG if area["upper_reference"] else ""
        for seed, rewards in area["seed_rewards"].items():
            share = seed_share(area, seed)
            lines.append(
                f"| {area['task']} | {area['method']}{flag} | {seed} | {', '.join(f'{r:.3f}' for r in rewards)} | "
                f"{area['seed_areas'][seed]:.3f} | {'-' if share is None else percent(share)} |"
            )
    return lines


def code_versions(runs: list[FinishedRun]) -> str:
    """The line naming the code versions of the runs (``duo_ai.provenance``), with a warning where
    there are several: a table should come from one version of the code."""
    counts = Counter(run.code_version for run in runs)
    listing = ", ".join(
        f"{version} ({count} run{'s' if count > 1 else ''})" for version, count in sorted(counts.items())
    )
    if len(counts) > 1 or any(version.endswith(MODIFIED) for version in counts):
        print(
            f"duo: warning: report: these runs do not come from one committed code version ({listing}); "
            "a published table should: rerun the others at one commit",
            file=sys.stderr,
        )
    return f"Code versions of these runs: {listing}."


def episodes_at(cells: dict[tuple[str, str, float], Cell], method: str, task: str, alphas: list[float]):
    """The method's test episodes at each α, or None if it misses one."""
    found = [cells.get((method, task, alpha)) for alpha in alphas]
    return None if None in found else [np.array(cell.rewards) for cell in found]


def is_method(label: str, method: str) -> bool:
    """Whether a row's label is ``method``, under any pairing mark (fixed agents fit nothing)."""
    return label == method or label.startswith(f"{method} (")


def available_gain(
    task: str, alphas: list[float], cells: dict[tuple[str, str, float], Cell], seed: int
) -> AvailableGain | None:
    """The gain a share on this task and α grid divides by: the exact optimum's area above the
    better fixed agent (always novice, always expert), else the best skyline's (labelled so).
    None where a fixed agent or every reference misses an α of the grid."""
    methods = sorted({method for method, t, _ in cells if t == task})
    fixed = [
        next((found for m in methods if is_method(m, fixed) and (found := episodes_at(cells, m, task, alphas))), None)
        for fixed in FIXED_METHODS
    ]  # fmt: skip
    if any(episodes is None for episodes in fixed):
        return None
    grid = np.array(alphas)
    envelope = envelope_area(grid, *[np.array([e.mean() for e in episodes]) for episodes in fixed])
    for reference, candidates in (
        ("optimum", [m for m in methods if m.startswith(EXACT_OPTIMUM)]),
        ("skyline", [m for m in methods if m.endswith("(skyline)")]),
    ):
        found = {m: episodes for m in candidates if (episodes := episodes_at(cells, m, task, alphas))}
        areas = {m: float(np.trapezoid([e.mean() for e in episodes], grid)) for m, episodes in found.items()}
        if areas:
            best = max(areas, key=areas.get)
            interval = gain_interval(grid, found[best], *fixed, row_rng(seed, task, f"gain of {best}"))
            return AvailableGain(reference, best, areas[best], envelope, interval)
    return None


def attach_shares(
    areas: list[dict[str, Any]], cells: dict[tuple[str, str, float], Cell], seed: int
) -> list[str]:
    """Give each area row its share of the available gain (None where no clear gain is there to
    divide by); return one line per task and grid saying why its shares are missing."""
    gains: dict[tuple[str, tuple[float, ...]], AvailableGain | None] = {}
    for area in areas:
        key = (area["task"], tuple(area["alphas"]))
        if key not in gains:
            gains[key] = available_gain(area["task"], area["alphas"], cells, seed)
        gain = gains[key]
        area["share"] = (
            method_share(area["auc"][0], area["seed_areas"], gain.envelope, gain.best, gain.reference)
            if gain is not None and gain.clear
            else None
        )
    return [gain.why_no_share(task, list(alphas)) for (task, alphas), gain in gains.items()
            if gain is not None and not gain.clear]  # fmt: skip


def is_honest(area: dict[str, Any]) -> bool:
    """A learned method that never saw the test (not an upper reference, not a fixed agent)."""
    fixed = any(is_method(area["method"], method) for method in FIXED_METHODS)
    return area["share"] is not None and not area["upper_reference"] and not fixed


def percent(value: float) -> str:
    return f"{round(value, 2) + 0:.0%}"  # + 0: no "-0%"


def format_share(share: Share | None) -> str:
    if share is None:
        return "-"
    text = percent(share.point)
    if share.seeds_mean is not None:
        text += f" (seeds: {percent(share.seeds_mean)} ± {share.seeds_ci:.0%}, {share.seeds}"
        if share.p_holm is not None:
            text += f"; above 0: p {share.p_above:.3f}, Holm over {share.family}: {share.p_holm:.3f}"
        text += ")"
    return text + (" of skyline" if share.reference == "skyline" else "")


def share_table(areas: list[dict[str, Any]]) -> str:
    """The headline: each method's share of the available gain, per task."""
    shown = [area for area in areas if area.get("share") is not None]
    if not shown:
        return ""
    width = max(len(area["method"]) for area in shown)
    lines = ["share of the available gain (area above the better fixed agent, over the optimum's):"]
    lines += [f"  {area['task']}  {area['method']:<{width}}  {format_share(area['share'])}" for area in shown]
    return "\n".join(lines) + "\n"


def area_lines(areas: list[dict[str, Any]]) -> list[str]:
    """The table of areas over the α grid, with each row's share of the gain."""
    if not areas:
        return []
    lines = [
        "",
        "Area under test reward vs α (trapezoid): 95% bootstrap interval over episodes, mean ± 95% "
        "Student's t interval over seeds (each seed's own area), what the exact optimum's area "
        "exceeds it by, and its share of the available gain: its area above the better fixed agent "
        "at each α over the optimum's (the best skyline's where no optimum was computed, marked "
        "'of skyline'), from the pooled means, and the mean ± 95% t interval of the seeds' own "
        "shares with their count; for a learned method, the one-sided t test's p that its seeds' mean "
        "share is above 0 (better than the better fixed agent) and that p after Holm's correction "
        "over every learned method of the task with seeds (read this one for a best-of-K claim):",
        "",
        "| task | method | α grid | AUC [episodes] | AUC over seeds | below the optimum | share of the gain |",
        "|---|---|---|---|---|---|---|",
    ]
    optima = {
        (a["task"], tuple(a["alphas"])): a["auc"][0] for a in areas if a["method"].startswith(EXACT_OPTIMUM)
    }
    for area in areas:
        point, low, high = area["auc"]
        grid = ", ".join(f"{a:g}" for a in area["alphas"])
        seeds = area["auc_seeds"]
        over_seeds = f"{seeds[0]:.3f} ± {seeds[1]:.3f}" if seeds else "-"
        optimum = optima.get((area["task"], tuple(area["alphas"])))
        gap = f"{optimum - point:.3f}" if optimum is not None else "-"
        flag = UPPER_REFERENCE_FLAG if area["upper_reference"] else ""
        lines.append(
            f"| {area['task']} | {area['method']}{flag} | {grid} | {point:.3f} [{low:.3f}, {high:.3f}] | "
            f"{over_seeds} | {gap} | {format_share(area.get('share'))} |"
        )
    return lines


def markdown(
    rows: list[dict[str, Any]], areas: list[dict[str, Any]], aggregates: list[dict[str, Any]]
) -> str:
    lines = [
        "| task | method | α | test reward (± over episodes) | ± over seeds | base reward | expert fraction "
        "| runs | episodes |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        flag = UPPER_REFERENCE_FLAG if row["upper_reference"] else ""
        seeds = f"± {row['seeds_ci']:.3f}" if np.isfinite(row["seeds_ci"]) else "-"  # one run: no interval
        lines.append(
            f"| {row['task']} | {row['method']}{flag} | {row['alpha']:g} | {row['reward_mean']:.3f} ± "
            f"{row['reward_ci']:.3f} | {seeds} | {row['base_reward_mean']:.3f} | "
            f"{row['expert_fraction']:.3f} | "
            f"{row['runs']} | {row['episodes']} |"
        )
    lines += area_lines(areas)
    lines += seed_lines(areas)
    if aggregates:
        lines += [
            "",
            "Across tasks (rliable): the interquartile mean (IQM) and the mean of the per-seed areas "
            "over seeds x tasks, 95% stratified bootstrap intervals. Areas are in reward units: compare "
            "them across tasks only where the tasks share a reward scale (MiniGrid: 0 to 1).",
            "",
            "| method | tasks | seeds | α grid | IQM of areas | mean of areas |",
            "|---|---|---|---|---|---|",
        ]
        for aggregate in aggregates:
            iqm, mean = aggregate["iqm"], aggregate["mean"]
            flag = UPPER_REFERENCE_FLAG if aggregate["upper_reference"] else ""
            grid = ", ".join(f"{a:g}" for a in aggregate["alphas"])
            lines.append(
                f"| {aggregate['method']}{flag} | {aggregate['tasks']} | {aggregate['seeds']} | {grid} | "
                f"{iqm[0]:.3f} [{iqm[1]:.3f}, {iqm[2]:.3f}] | {mean[0]:.3f} [{mean[1]:.3f}, {mean[2]:.3f}] |"
            )
    return "\n".join(lines) + "\n"


def pareto_plot(rows: list[dict[str, Any]], path: Path) -> None:
    """Test reward against expert-query fraction: one marker per method and cost weight, each
    labelled with its α."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = sorted({row["task"] for row in rows})
    methods = sorted({row["method"] for row in rows})
    colors = dict(
        zip(methods, plt.cm.tab20(np.linspace(0, 1, 20))[:: max(1, 20 // len(methods))], strict=False)
    )
    figure, axes = plt.subplots(1, len(tasks), figsize=(5 * len(tasks), 4.2), squeeze=False)
    for axis, task in zip(axes[0], tasks, strict=True):
        for method in sorted({row["method"] for row in rows if row["task"] == task}):
            points = sorted(
                (row["alpha"], row["expert_fraction"], row["reward_mean"], row["reward_ci"])
                for row in rows
                if row["task"] == task and row["method"] == method
            )
            alphas, x, y, err = zip(*points, strict=True)
            # points, not a line: neighbouring cost weights are other problems, nothing lies between
            axis.errorbar(
                x,
                y,
                yerr=err,
                marker="o",
                linestyle="none",
                capsize=2,
                label=method,
                color=colors.get(method),
            )
            for alpha, x_point, y_point in zip(alphas, x, y, strict=True):
                axis.annotate(
                    f"α={alpha:g}", (x_point, y_point), textcoords="offset points", xytext=(3, 3), fontsize=6
                )
        axis.set_title(task)
        axis.set_xlabel("expert-query fraction")
        axis.set_ylabel("test reward")
    handles, labels = axes[0][0].get_legend_handles_labels()
    columns = max(1, min(len(labels), 2 * len(tasks)))  # as many as the figure's width holds
    figure.legend(handles, labels, loc="lower center", ncol=columns, fontsize=8)
    figure.tight_layout(rect=(0, 0.06 * (1 + (len(labels) - 1) // columns), 1, 1))
    figure.savefig(path, dpi=120)
    plt.close(figure)
