"""A research grid trained several ways under `duo sweep`: one process per run, and grouped.

    python benchmarks/grouped.py                      # 6 cost weights x 5 seeds, 200k steps each
    python benchmarks/grouped.py --ways per_core      # one process per run and a group per core only
    python benchmarks/grouped.py --steps 40000 --seeds 2
    python benchmarks/grouped.py --device cuda --ways grouped   # on a GPU machine: one group of every run

Every way runs the same sweep file (the shipped DistShift config, PPO, `grid` over seeds and
cost weights) on Ray from a fresh start, one after the other on this machine: first one trial
per run with one CPU each (two at a time on 2 cores: `docs/SCALE.md` measured that as the faster
use of them), then `group: true` as one group of every run on all the CPUs (`grouped`) and as a
group per core (`per_core`). Run it on an idle machine: it times wall clock. Then two floors
that no way of training can go below: the simulation (envpool stepping every run's copies with
random actions for the grid's training steps) and the update (every run's PPO minibatch steps,
in grouped layers, a group per core, on random inputs). Then each cost weight's test reward over
seeds, every way, with 95% t-intervals over the seeds. Writes the block of docs/SCALE.md."""

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
CORES = os.cpu_count() or 1


def ways(runs: int, gpu: bool = False) -> dict[str, tuple[str, dict]]:
    """Each way of running the grid: its label, and what its sweep file sets (with ``gpu``, every
    trial also gets its share of the one GPU)."""
    cores, size = CORES, -(-runs // CORES)

    def resources(cpu: int, trials_at_once: int) -> dict:
        return {"cpu": cpu, "gpu": round(1 / trials_at_once, 4)} if gpu else {"cpu": cpu}

    def shown(settings: dict) -> str:
        return "{" + ", ".join(f"{key}: {value}" for key, value in settings.items()) + "}"

    alone, grouped, per_core = resources(1, cores), resources(cores, 1), resources(1, cores)
    return {
        "alone": (f"one process per run (`resources: {shown(alone)}`, one per core)", {"resources": alone}),
        "grouped": (f"grouped (`group: true`, `resources: {shown(grouped)}`)", {"group": True, "resources": grouped}),
        "per_core": (f"a group per core (`group: true`, `group_size: {size}`, `resources: {shown(per_core)}`)",
                     {"group": True, "group_size": size, "resources": per_core}),
    }  # fmt: skip


def timed_sweep(work: Path, way: str, steps: int, seeds: int, alphas: list[float], device: str) -> float:
    """Wall seconds of a fresh sweep of the grid, one of ``ways``, its networks on ``device``."""
    folder = work / way
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    spec = {
        "base": str(ROOT / "configs" / "minigrid_distshift.yaml"),
        "experiment_dir": str(folder / "runs"),
        "overrides": [f"algorithm.total_timesteps={steps}", f"device={device}"],
        "grid": {"seed": list(range(seeds)), "coordination.expert_query_cost_weight": alphas},
        "name": "alpha{coordination.expert_query_cost_weight}/seed{seed}",
        **ways(seeds * len(alphas), gpu=device != "cpu")[way][1],
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


def update_seconds(size: int, device: str, repeats: int = 20) -> tuple[float, float]:
    """Seconds of one PPO minibatch step (forward, backward, Adam; 256 samples a run) of ``size``
    DistShift coordinators on one torch thread (and ``device``), as a group per core runs them:
    stacked (grouped layers), and one run after the other (as runs alone do)."""
    import torch

    from duo_ai import load_config, make_policy
    from duo_ai.jobs import make_group_envs
    from duo_ai.models.stacked import StackedModels

    torch.set_num_threads(1)
    config = load_config(ROOT / "configs" / "minigrid_distshift.yaml", [])
    env = make_group_envs(config, 1)[1]["train"]
    models = [make_policy(config.policy, env).model.to(device) for _ in range(size)]
    obs = {
        "base_obs": torch.randint(0, 6, (size, 256, 7, 7, 3), dtype=torch.uint8, device=device),
        "novice_logits": torch.randn(size, 256, 7, device=device),
    }

    def finish() -> None:  # a GPU's work is queued: time it done
        if device != "cpu":
            torch.cuda.synchronize()

    def timed(step) -> float:
        for _ in range(3):
            step()
        finish()
        started = time.perf_counter()
        for _ in range(repeats):
            step()
        finish()
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

    return timed(stacked_step), timed(separate_steps)


def minibatch_steps(steps: int) -> int:
    """The PPO minibatch steps of one run of ``steps`` under the shipped config."""
    from duo_ai import load_config

    config = load_config(ROOT / "configs" / "minigrid_distshift.yaml", [])
    iterations = -(-steps // (config.algorithm.num_steps * config.env.num_envs))
    return iterations * config.algorithm.update_epochs * config.algorithm.num_minibatches


def cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


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
        "--ways",
        nargs="+",
        choices=["alone", "grouped", "per_core"],
        default=["alone", "grouped", "per_core"],
        help="the ways to time (one process per run is always the first)",
    )
    parser.add_argument(
        "--device",
        choices=["cpu", "cuda"],
        default="cpu",
        help="where the networks run (cuda: every trial gets a share of the GPU)",
    )
    parser.add_argument(
        "--from-results", action="store_true", help="rewrite the block from the last run's figures"
    )
    args = parser.parse_args()
    if args.device == "cuda" and not cuda_available():
        parser.error("--device cuda: torch sees no CUDA device on this machine")
    runs = args.seeds * len(args.alphas)
    grid = (
        ""
        if (args.steps, args.seeds, args.alphas, args.device) == (200_000, 5, list(ALPHAS), "cpu")
        else " ".join(sys.argv[1:])
    )
    work = WORK / (re.sub(r"[^\w.]+", "_", grid.replace("--from-results", "")).strip("_") or "default")
    work.mkdir(parents=True, exist_ok=True)
    saved = work / "seconds.json"
    if args.from_results:
        seconds = json.loads(saved.read_text())
    else:
        chosen = ["alone", *(way for way in args.ways if way != "alone")]
        seconds = {
            way: timed_sweep(work, way, args.steps, args.seeds, args.alphas, args.device) for way in chosen
        }
        seconds["floor"] = simulation_floor(args.steps, runs)
        saved.write_text(json.dumps(seconds))
    if "update_stacked" not in seconds:  # measured last (a saved run from before it lacks it)
        seconds["update_stacked"], seconds["update_separate"] = update_seconds(-(-runs // CORES), args.device)
        saved.write_text(json.dumps(seconds))
    floor = seconds["floor"]
    labels = {way: label for way, (label, _) in ways(runs, gpu=args.device != "cpu").items()}
    done = [way for way in labels if way in seconds]  # a saved run from before a way was added lacks it
    rewards = {way: test_rewards(work, way, args.alphas, args.seeds) for way in done}
    command = " ".join(
        ["python benchmarks/grouped.py", *(arg for arg in sys.argv[1:] if arg != "--from-results")]
    )
    lines = [
        f"Measured by `{command}` on {CORES} idle CPU cores{' and one GPU' if args.device != 'cpu' else ''}: {runs} PPO coordinators (MiniGrid DistShift, the shipped "
        f"config, {args.steps:,} steps each: {len(args.alphas)} cost weights x {args.seeds} seeds), one `duo sweep` "
        "per row, Ray started by each.",
        "",
        *table_head("way", "wall time", "runs per hour", "vs one process per run"),
    ]
    for way in done:
        lines.append(f"| {labels[way]} | {seconds[way]:.0f} s | {3600 * runs / seconds[way]:.0f} | "
                     f"{seconds['alone'] / seconds[way]:.2f}x |")  # fmt: skip
    size = -(-runs // CORES)
    per_run = minibatch_steps(args.steps)
    update = {
        key: seconds[f"update_{key}"] * per_run * -(-runs // size) / CORES for key in ("stacked", "separate")
    }
    lines += [
        f"| simulation floor (envpool alone, every run's copies in one env, random actions) | {floor:.1f} s | "
        f"{3600 * runs / floor:.0f} | {seconds['alone'] / floor:.2f}x |",
        f"| update floor (every run's {per_run:,} PPO minibatch steps, groups of {size} in grouped layers, "
        f"a group per core, random inputs) | {update['stacked']:.0f} s | {3600 * runs / update['stacked']:.0f} | "
        f"{seconds['alone'] / update['stacked']:.2f}x |",
        f"| both floors | {floor + update['stacked']:.0f} s | {3600 * runs / (floor + update['stacked']):.0f} | "
        f"{seconds['alone'] / (floor + update['stacked']):.2f}x |",
    ]
    lines += [
        "",
        "Test reward of each cost weight, mean over seeds ± 95% t-interval over the seeds (each run's "
        "`test_result.json`):",
        "",
        *table_head(
            "alpha",
            *(labels[way].split(" (")[0] for way in done),
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
    lines += ["", "Where the time goes: " + "; ".join(
        f"{labels[way].split(' (')[0]} trains at {training_rate(work, way):,.0f} steps/s (median of its "
        f"iterations{', every run of a group' if way != 'alone' else ''}), "
        f"{runs * args.steps / training_rate(work, way) / (CORES if way != 'grouped' else 1):.0f} s of its "
        f"{seconds[way]:.0f} s" for way in done
    ) + ". The rest is Ray's start, building envs and loading agents, validation and each run's final test.", ""]  # fmt: skip
    lines.append(
        f"The update bounds every way: one PPO minibatch step (forward, backward, Adam; 256 samples a run) of "
        f"{size} coordinators on one torch thread takes {1000 * seconds['update_stacked']:.0f} ms in grouped layers "
        f"and {1000 * seconds['update_separate']:.0f} ms one run after the other (random inputs, measured by this "
        f"script after the sweeps); the grid's {runs} x {per_run:,} steps are {update['stacked']:.0f} s on "
        f"{CORES} cores that way and {update['separate']:.0f} s one run after the other."
    )
    # a grid other than the has a block of its own
    block = "".join(f" {arg}" for arg in sys.argv[1:] if arg != "--from-results")  # a block per grid
    publish("SCALE.md", "Sweeps at scale", "\n".join(lines), block=block)


if __name__ == "__main__":
    main()
