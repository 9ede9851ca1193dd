"""A research grid trained two ways under `duo sweep`: one process per run, and grouped.

    python benchmarks/grouped.py                      # 6 cost weights x 5 seeds, 200k steps each
    python benchmarks/grouped.py --steps 40000 --seeds 2

Both ways run the same sweep file (the shipped DistShift config, PPO, `grid` over seeds and
cost weights) on Ray from a fresh start, one after the other on this machine: first one trial
per run with one CPU each (two at a time on 2 cores: `docs/SCALE.md` measured that as the faster
use of them), then `group: true` (the whole grid is one group: one trial of all the CPUs). Run it
on an idle machine: it times wall clock. Then the simulation floor: envpool stepping the group's
copies (every run's) with random actions for the grid's training steps, which no way of training
can skip. Then each cost weight's test reward over seeds, both ways, with 95% t-intervals over
the seeds. Writes the block of docs/SCALE.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import yaml
from harness import duo, publish, table_head

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "experiments" / "grouped"
ALPHAS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


def ways(runs: int) -> dict[str, tuple[str, dict]]:
    """Each way of running the grid: its label, and what its sweep file sets."""
    cores = os.cpu_count() or 1
    size = -(-runs // cores)
    return {
        "alone": ("one process per run (`resources: {cpu: 1}`, one per core)", {"resources": {"cpu": 1}}),
        "grouped": (f"grouped (`group: true`, `resources: {{cpu: {cores}}}`)", {"group": True, "resources": {"cpu": cores}}),
        "per_core": (f"a group per core (`group: true`, `group_size: {size}`, `resources: {{cpu: 1}}`)",
                     {"group": True, "group_size": size, "resources": {"cpu": 1}}),
    }  # fmt: skip


def timed_sweep(work: Path, way: str, steps: int, seeds: int, alphas: list[float]) -> float:
    """Wall seconds of a fresh sweep of the grid, one of ``ways``."""
    folder = work / way
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    spec = {
        "base": str(ROOT / "configs" / "minigrid_distshift.yaml"),
        "experiment_dir": str(folder / "runs"),
        "overrides": [f"algorithm.total_timesteps={steps}"],
        "grid": {"seed": list(range(seeds)), "coordination.expert_query_cost_weight": alphas},
        "name": "alpha{coordination.expert_query_cost_weight}/seed{seed}",
        **ways(seeds * len(alphas))[way][1],
    }
    (folder / "sweep.yaml").write_text(yaml.safe_dump(spec))
    started = time.perf_counter()
    duo("sweep", str(folder / "sweep.yaml"), capture=True)
    return time.perf_counter() - started


def simulation_floor(steps: int, runs: int) -> float:
    """Seconds envpool needs to step every run's copies (one env) for ``steps`` each, random actions."""
    from duo_ai import load_config
    from duo_ai.envs import make_env

    config = load_config(ROOT / "configs" / "minigrid_distshift.yaml", [])
    copies = config.env.num_envs * runs
    wide = load_config(ROOT / "configs" / "minigrid_distshift.yaml", [f"env.num_envs={copies}"])
    env = make_env(wide.env, "train", 0)
    env.reset()
    actions = np.random.default_rng(0).integers(0, env.single_action_space.n, (64, copies))
    started = time.perf_counter()
    batches = 0
    while time.perf_counter() - started < 5.0:
        env.step(actions[batches % 64])
        batches += 1
    per_batch = (time.perf_counter() - started) / batches
    return per_batch * steps / config.env.num_envs


def update_seconds(runs: int, repeats: int = 20) -> tuple[float, float, int]:
    """Seconds of one PPO minibatch step (forward, backward, Adam; 256 samples a run) of ``runs``
    DistShift coordinators: stacked into one computation, and one after the other."""
    import torch

    from duo_ai import load_config, make_policy
    from duo_ai.jobs import make_group_envs
    from duo_ai.models.stacked import StackedModels

    config = load_config(ROOT / "configs" / "minigrid_distshift.yaml", [])
    env = make_group_envs(config, 1)[1]["train"]
    models = [make_policy(config.policy, env).model for _ in range(runs)]
    obs = {
        "base_obs": torch.randint(0, 6, (runs, 256, 7, 7, 3), dtype=torch.uint8),
        "novice_logits": torch.randn(runs, 256, 7),
    }

    def timed(step) -> float:
        for _ in range(3):
            step()
        started = time.perf_counter()
        for _ in range(repeats):
            step()
        return (time.perf_counter() - started) / repeats

    stacked = StackedModels(models)
    together = torch.optim.Adam(stacked.parameters(), lr=1e-4)

    def stacked_step() -> None:
        logits, values = stacked(obs)
        together.zero_grad()
        (logits.logsumexp(-1).mean(-1) + values.square().mean(-1)).sum().backward()
        together.step()

    alone = [torch.optim.Adam(model.parameters(), lr=1e-4) for model in models]

    def separate_steps() -> None:
        for index, (model, optimizer) in enumerate(zip(models, alone, strict=True)):
            out = model({key: value[index] for key, value in obs.items()})
            optimizer.zero_grad()
            (out.logits.logsumexp(-1).mean() + out.value.square().mean()).backward()
            optimizer.step()

    return timed(stacked_step), timed(separate_steps), torch.get_num_threads()


def test_rewards(work: Path, way: str, alphas: list[float], seeds: int) -> dict[float, list[float]]:
    runs = work / way / "runs"
    return {
        alpha: [json.loads((runs / f"alpha{alpha:g}" / f"seed{seed}" / "test_result.json").read_text())["test"]["reward_mean"]
                for seed in range(seeds)]
        for alpha in alphas
    }  # fmt: skip


def training_rate(work: Path, way: str) -> float:
    """The median training rate of a way's runs, steps per second, as they logged it (a grouped
    run logs its group's rate: every run's steps)."""
    rates = []
    for metrics in (work / way / "runs").glob("*/*/metrics.jsonl"):
        rows = [json.loads(line) for line in metrics.read_text().splitlines()]
        rates += [row["train/steps_per_second"] for row in rows if row.get("train/steps_per_second")]
    return float(np.median(rates))


def interval(values: list[float]) -> tuple[float, float]:
    from duo_ai.evaluation.stats import mean_t_interval

    return mean_t_interval(np.array(values))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=200_000, help="PPO steps of each run")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--alphas", type=float, nargs="+", default=list(ALPHAS))
    parser.add_argument(
        "--from-results", action="store_true", help="rewrite the block from the last run's figures"
    )
    args = parser.parse_args()
    runs = args.seeds * len(args.alphas)
    grid = (
        "" if (args.steps, args.seeds, args.alphas) == (200_000, 5, list(ALPHAS)) else " ".join(sys.argv[1:])
    )
    work = WORK / (re.sub(r"[^\w.]+", "_", grid.replace("--from-results", "")).strip("_") or "default")
    work.mkdir(parents=True, exist_ok=True)
    saved = work / "seconds.json"
    if args.from_results:
        seconds = json.loads(saved.read_text())
    else:
        seconds = {way: timed_sweep(work, way, args.steps, args.seeds, args.alphas) for way in ways(runs)}
        seconds["floor"] = simulation_floor(args.steps, runs)
        saved.write_text(json.dumps(seconds))
    floor = seconds["floor"]
    done = [way for way in ways(runs) if way in seconds]  # a saved run from before a way was added lacks it
    rewards = {way: test_rewards(work, way, args.alphas, args.seeds) for way in done}
    command = " ".join(
        ["python benchmarks/grouped.py", *(arg for arg in sys.argv[1:] if arg != "--from-results")]
    )
    lines = [
        f"Measured by `{command}` on 2 idle CPU cores: {runs} PPO coordinators (MiniGrid DistShift, the shipped "
        f"config, {args.steps:,} steps each: {len(args.alphas)} cost weights x {args.seeds} seeds), one `duo sweep` "
        "per row, Ray started by each.",
        "",
        *table_head("way", "wall time", "runs per hour", "vs one process per run"),
    ]
    for way in done:
        lines.append(f"| {ways(runs)[way][0]} | {seconds[way]:.0f} s | {3600 * runs / seconds[way]:.0f} | "
                     f"{seconds['alone'] / seconds[way]:.2f}x |")  # fmt: skip
    lines += [
        f"| simulation floor (envpool alone, every run's copies in one env, random actions) | {floor:.1f} s | "
        f"{3600 * runs / floor:.0f} | {seconds['alone'] / floor:.2f}x |",
        "",
        "Test reward of each cost weight, mean over seeds ± 95% t-interval over the seeds (each run's "
        "`test_result.json`):",
        "",
        *table_head(
            "alpha",
            *(ways(runs)[way][0].split(" (")[0] for way in done),
            "grouped within each other's intervals with one process per run",
        ),
    ]
    for alpha in args.alphas:
        cells = {way: interval(rewards[way][alpha]) for way in done}
        alone, alone_ci = cells["alone"]
        agree = [
            "yes" if abs(alone - mean) <= min(alone_ci, ci) else "no"
            for way, (mean, ci) in cells.items()
            if way != "alone"
        ]
        lines.append(f"| {alpha:g} | " + " | ".join(f"{mean:.3f} ± {ci:.3f}" for mean, ci in cells.values())
                     + f" | {', '.join(agree)} |")  # fmt: skip
    rates = {way: training_rate(work, way) for way in ("alone", "grouped")}
    stacked, separate, threads = update_seconds(runs)
    training = {
        "alone": runs * args.steps / rates["alone"] / 2,
        "grouped": runs * args.steps / rates["grouped"],
    }
    lines += [
        "",
        f"Where the time goes: a run alone trains at {rates['alone']:,.0f} steps/s (median of its iterations), "
        f"so training is {training['alone']:.0f} s of the {seconds['alone']:.0f} s wall time two at a time; "
        f"the group trains at {rates['grouped']:,.0f} steps/s (every run's steps), {training['grouped']:.0f} s of its "
        f"{seconds['grouped']:.0f} s. The rest is Ray's start, building envs and loading agents, validation and "
        "each run's final test.",
        "",
        f"The update bounds the group: one PPO minibatch step (forward, backward, Adam; 256 samples a run) of the "
        f"{runs} coordinators takes {1000 * stacked:.0f} ms stacked into one computation and {1000 * separate:.0f} ms "
        f"one after the other (measured by this script after the sweeps, on random inputs, {threads} torch threads).",
    ]
    # a grid other than the has a block of its own
    block = "".join(f" {arg}" for arg in sys.argv[1:] if arg != "--from-results")  # a block per grid
    publish("SCALE.md", "Sweeps at scale", "\n".join(lines), block=block)


if __name__ == "__main__":
    main()
