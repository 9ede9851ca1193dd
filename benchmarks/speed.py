"""Throughput of duo beside the reference implementation (duo-ai 1.0.1), and beside the floor.

    python benchmarks/speed.py                        # every case, writes docs/PERFORMANCE.md
    python benchmarks/speed.py --cases distshift2 --iterations 20

For each case both implementations train a PPO coordinator (random-weight novice and expert,
which is fine for throughput) for warm-up + measured iterations, then evaluate it; steps/s are
counted over the measured iterations only. Each case measures enough iterations to last seconds,
not fractions of one (2 on coinrun, 20 on DistShift2's small batches), unless --iterations says
otherwise. Each run is a fresh process. The reference is installed from PyPI into its own
virtualenv (experiments/speed/reference-venv) on first use.

duo trains at both precisions (``algorithm.precision``: float32, the default, and bf16); it
evaluates in float32 only (the Evaluator has no precision setting). The reference has float32 only.

The floor is the work no implementation can skip, timed op by op in isolation at the precision
of the row: envpool stepping alone, one novice forward per step, the expert forward on the
queried copies, the coordinator's forward, and its PPO update (forward + backward + Adam on every
minibatch).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import publish, table_head

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "experiments" / "speed"
REFERENCE_VENV = WORK / "reference-venv"
RESULTS = WORK / "results.json"
REFERENCE = "duo-ai==1.0.1"
TORCH = "torch==2.13.0"  # installed first: the reference's unpinned torch would pull a CUDA build

COINRUN = {
    "suite": "procgen", "task_id": "CoinrunHard-v0", "num_envs": 64, "num_steps": 256, "update_epochs": 3,
    "num_minibatches": 8, "gamma": 0.999, "coord_model": "impala_coord_ppo", "eval_episodes": 128,
    "iterations": 2, "precision": "float32",
}  # fmt: skip
CASES: dict[str, dict[str, Any]] = {
    "coinrun_obs": {**COINRUN, "feature_type": "obs"},
    "coinrun_dist": {**COINRUN, "feature_type": "dist"},
    "distshift2": {
        "suite": "minigrid",
        "task_id": "MiniGrid-DistShift2-v0",
        "num_envs": 16,
        "num_steps": 128,
        "update_epochs": 4,
        "num_minibatches": 8,
        "gamma": 0.99,
        "coord_model": "minigrid_coord_ppo",
        "feature_type": "obs_dist",
        "eval_episodes": 64,
        "iterations": 20,
        "precision": "float32",
    },  # fmt: skip
}
PRECISIONS = ("float32", "bf16")


# ---- duo, in a worker process ------------------------------------------------------------------


def duo_config(case: dict[str, Any], folder: str) -> Any:
    """duo's config for a case: the same networks as the reference (no MLP head on the features)."""
    from duo_ai import load_config

    if case["suite"] == "procgen":
        env = ["env.name=procgen", "env.task=coinrun", "env.test.num_levels=0"]
    else:
        env = ["env.name=minigrid", "env.pair=distshift"]
    batch = case["num_envs"] * case["num_steps"]
    iterations = case["warmup_iterations"] + case["iterations"]
    return load_config(
        None,
        [
            *env, f"env.num_envs={case['num_envs']}", "name=speed", f"experiment_dir={folder}",
            "policy.name=ppo", f"policy.model.name={case['coord_model']}",
            f"policy.model.feature_type={case['feature_type']}", "policy.model.head_sizes=[]",
            f"algorithm.num_steps={case['num_steps']}", f"algorithm.total_timesteps={iterations * batch}",
            f"algorithm.update_epochs={case['update_epochs']}",
            f"algorithm.num_minibatches={case['num_minibatches']}", f"algorithm.gamma={case['gamma']}",
            "algorithm.log_freq=1000000", "algorithm.save_freq=1000000",
            f"evaluation.num_episodes={case['eval_episodes']}", "evaluation.max_num_steps=256",
            f"torch_threads={case.get('torch_threads', 0)}", f"algorithm.precision={case['precision']}",
        ],
    )  # fmt: skip


def agent_model(case: dict[str, Any]) -> str:
    return "impala_ppo" if case["suite"] == "procgen" else "minigrid_ppo"


def duo_coord_env(case: dict[str, Any], config: Any) -> Any:
    """CoordEnv on the test split with random-weight novice and expert, costs set."""
    from duo_ai import CoordEnv, load_config, make_env, make_policy

    base_env = make_env(config.env, "test", config.seed)
    agent_config = load_config(None, ["policy.name=ppo", f"policy.model.name={agent_model(case)}"]).policy
    novice, expert = make_policy(agent_config, base_env), make_policy(agent_config, base_env)
    env = CoordEnv(config.coordination, base_env, novice, expert)
    env.set_costs(0.1)
    return env


def duo_run(case: dict[str, Any]) -> tuple[Any, Any]:
    """A started duo run for ``case`` (in a temporary folder), and its CoordEnv."""
    from duo_ai import start_run

    config = duo_config(case, tempfile.mkdtemp())
    start_run(config)
    return config, duo_coord_env(case, config)


def run_duo(case: dict[str, Any]) -> dict[str, Any]:
    import torch

    from duo_ai import Evaluator, make_algorithm, make_policy

    config, env = duo_run(case)
    policy = make_policy(config.policy, env)
    algorithm = make_algorithm(config.algorithm)
    ends: list[float] = []
    update = algorithm.improve

    def timed_update(*args: Any) -> dict[str, float]:
        losses = update(*args)
        ends.append(time.perf_counter())
        return losses

    algorithm.improve = timed_update
    algorithm.train(policy, env, {})
    measured = ends[case["warmup_iterations"] - 1 :]
    batch = case["num_envs"] * case["num_steps"]
    train = {
        "train_steps_per_second": case["iterations"] * batch / (measured[-1] - measured[0]),
        "torch_threads": torch.get_num_threads(),
    }
    if case["precision"] != "float32":  # the Evaluator runs float32 whatever the training ran
        return train

    eval_env = duo_coord_env(case, config)
    batches = 0  # batched steps of the evaluation (it steps only the copies with episodes left)
    step_copies = eval_env.step_copies

    def counted_step_copies(actions: Any, copies: Any) -> Any:
        nonlocal batches
        batches += 1
        return step_copies(actions, copies)

    eval_env.step_copies = counted_step_copies
    started = time.perf_counter()
    summary = Evaluator(config.evaluation, eval_env).evaluate(policy)
    eval_seconds = time.perf_counter() - started
    return {
        **train,
        "eval_steps_per_second": summary["steps"] / eval_seconds,
        "eval_steps": summary["steps"],
        "eval_mean_batch": summary["steps"] / batches,
        "expert_fraction": summary["action_1_fraction"],
    }


def seconds_per_call(fn: Any, repeats: int, min_seconds: float = 1.0) -> float:
    """Mean seconds per call over at least ``repeats`` calls and ``min_seconds``, after one
    untimed call."""
    fn()
    calls, started = 0, time.perf_counter()
    while calls < repeats or time.perf_counter() - started < min_seconds:
        fn()
        calls += 1
    return (time.perf_counter() - started) / calls


def repeated_batch(obs: dict[str, Any], size: int) -> dict[str, Any]:
    """A minibatch of ``size`` rows made by repeating a batch of observations."""
    return {
        key: value.repeat(-(-size // len(value)), *[1] * (value.dim() - 1))[:size]
        for key, value in obs.items()
    }


def update_step(model: Any, samples: dict[str, Any], optimizer: Any, precision: str) -> None:
    """The floor's PPO minibatch step: forward at ``precision``, a loss on both heads, backward, Adam."""
    import torch

    from duo_ai.algorithms.ppo import autocast

    with autocast(precision, torch.device("cpu")):
        out = model(samples)
    loss = out.logits.float().logsumexp(-1).mean() + out.value.float().pow(2).mean()
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def run_floor(case: dict[str, Any], expert_fraction: float) -> dict[str, Any]:
    """Seconds per iteration of the unavoidable work at the case's precision, and the steps/s it allows."""
    import numpy as np
    import torch

    from duo_ai import make_policy
    from duo_ai.algorithms.ppo import autocast
    from duo_ai.models.base import to_tensor

    config, coord_env = duo_run(case)
    base_env, novice, expert = coord_env.base_env, coord_env.novice, coord_env.expert
    coordinator = make_policy(config.policy, coord_env).model
    n, num_steps = case["num_envs"], case["num_steps"]
    pool = base_env.pool
    pool.reset()
    actions = np.zeros(n, np.int32)

    cpu = torch.device("cpu")

    raw, _ = pool.reset()
    obs = to_tensor(base_env._obs(raw), cpu)
    asked = obs[: max(1, round(expert_fraction * n))]
    coord_obs = to_tensor(coord_env.reset()[0], cpu)
    with torch.inference_mode(), autocast(case["precision"], cpu):
        step = {
            "simulate": seconds_per_call(lambda: pool.step(actions), 200),
            "novice_forward": seconds_per_call(lambda: novice.model(obs), 50),
            "expert_forward": seconds_per_call(lambda: expert.model(asked), 50) * (expert_fraction > 0),
            "coordinator_forward": seconds_per_call(lambda: coordinator(coord_obs), 50),
        }
    batch = n * num_steps
    minibatch = batch // case["num_minibatches"]
    samples = repeated_batch(coord_obs, minibatch)
    optimizer = torch.optim.Adam(coordinator.parameters(), lr=5e-4, eps=1e-5)
    coordinator.train()
    update_seconds = seconds_per_call(
        lambda: update_step(coordinator, samples, optimizer, case["precision"]), 3
    )
    update = update_seconds * case["num_minibatches"] * case["update_epochs"]
    batched_step = sum(step.values())  # a rollout step and an evaluation step do the same work
    return {
        **{f"{key}_ms_per_step": value * 1e3 for key, value in step.items()},
        "update_s_per_iteration": update,
        "train_steps_per_second": batch / (num_steps * batched_step + update),
        "eval_steps_per_second": n / batched_step,
    }


# ---- the orchestrator --------------------------------------------------------------------------


def ensure_reference_venv() -> Path:
    python = REFERENCE_VENV / "bin" / "python"
    if (REFERENCE_VENV / ".installed").exists():
        return python
    print(f"installing the reference ({REFERENCE}) into {REFERENCE_VENV} ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(REFERENCE_VENV)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, TORCH], check=True)
    subprocess.run([*pip, REFERENCE, "envpool==1.2.5"], check=True)
    (REFERENCE_VENV / ".installed").touch()
    return python


def in_worker(python: str | Path, args: list[str]) -> dict[str, Any]:
    """Run a measurement in a fresh process; its last output line is the JSON result."""
    out = subprocess.run([str(python), *args], check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def machine() -> str:
    import torch

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())  # fmt: skip
    return (f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, torch {torch.__version__}, "
            f"{platform.system()} {platform.release()}")  # fmt: skip


def write_doc(results: dict[str, dict[str, Any]], run: dict[str, Any]) -> str:
    """The measured block of docs/PERFORMANCE.md; ``run`` says how it was measured."""
    rows = []
    for name, r in results.items():
        ref = r["reference"]
        for kind, precision in (("train", "float32"), ("train", "bf16"), ("eval", "float32")):
            duo, floor, key = r["duo"][precision], r["floor"][precision], f"{kind}_steps_per_second"
            rows.append(
                f"| {name} | {kind} | {precision} | {ref[key]:,.0f} | {duo[key]:,.0f} | {duo[key] / ref[key]:.2f}x | "
                f"{floor[key]:,.0f} | {floor[key] / ref[key]:.2f}x | {floor[key] / duo[key]:.2f}x |"
            )
    floors = [
        f"| {name} | {precision} | " + " | ".join(f"{r['floor'][precision][k]:.2f}" for k in (
            "simulate_ms_per_step", "novice_forward_ms_per_step", "expert_forward_ms_per_step",
            "coordinator_forward_ms_per_step")) + f" | {r['floor'][precision]['update_s_per_iteration']:.2f} |"
        for name, r in results.items() for precision in PRECISIONS
    ]  # fmt: skip
    batches = ", ".join(
        f"{name} {r['duo']['float32']['eval_mean_batch']:.1f} of {CASES[name]['num_envs']}"
        for name, r in results.items()
    )
    iterations = ", ".join(f"{name} {r['iterations']}" for name, r in results.items())
    first = next(iter(results.values()))
    flags = f" --iterations {run['iterations']}" if run["iterations"] else ""
    flags += f" --duo-threads {run['duo_threads']}" if run["duo_threads"] else ""
    return (
        f"Measured by `python benchmarks/speed.py{flags} --warmup {run['warmup']}` ({run['minutes']:.0f} min), "
        f"on {run['machine']}. Measured training iterations: {iterations}. Torch threads: duo "
        f"{first['duo']['float32']['torch_threads']}, reference {first['reference']['torch_threads']} (each its "
        "default unless stated). The reference runs float32 only; each row's floor is at the row's precision, and "
        "floor / reference is the most any implementation could gain over the reference here at that precision.\n\n"
        + "\n".join(
            [
                *table_head(
                    "case",
                    "phase",
                    "precision",
                    "reference steps/s",
                    "duo steps/s",
                    "duo / reference",
                    "floor steps/s",
                    "floor / reference",
                    "duo time / floor",
                ),
                *rows,
            ]
        )
        + "\n\n"
        "The floor, per batched step of all copies (ms) and per PPO update (s), at each precision:\n\n"
        + "\n".join(
            [
                *table_head(
                    "case",
                    "precision",
                    "simulate",
                    "novice forward",
                    "expert forward (queried copies)",
                    "coordinator forward",
                    "update",
                ),
                *floors,
            ]
        )
        + "\n\n"
        f"Copies duo's evaluation steps at once on average (only those with episodes left): {batches}.\n"
    )


def add_case_arguments(parser: argparse.ArgumentParser, iterations: int) -> None:
    """The options of the benchmarks that train and evaluate the cases above."""
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument(
        "--iterations",
        type=int,
        default=iterations,
        help="measured training iterations (default: each case's own)",
    )
    parser.add_argument("--warmup", type=int, default=1, help="training iterations before measuring")
    parser.add_argument("--no-doc", action="store_true", help="print only; leave docs/PERFORMANCE.md")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_case_arguments(parser, iterations=None)
    parser.add_argument("--duo-threads", type=int, default=0, help="duo's torch_threads (0: its default)")
    parser.add_argument(
        "--from-results",
        action="store_true",
        help=f"rewrite the doc from the last run's {RESULTS}, measure nothing",
    )
    parser.add_argument("--worker", choices=["duo", "floor"], help=argparse.SUPPRESS)
    parser.add_argument("--case-json", help=argparse.SUPPRESS)
    parser.add_argument("--expert-fraction", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        case = json.loads(args.case_json)
        result = run_duo(case) if args.worker == "duo" else run_floor(case, args.expert_fraction)
        print(json.dumps(result))
        return
    if args.from_results:
        publish_run(json.loads(RESULTS.read_text()), args)
        return

    started = time.time()
    reference_python = ensure_reference_venv()
    results: dict[str, dict[str, Any]] = {}
    for name in args.cases:
        iterations = args.iterations or CASES[name]["iterations"]
        case = {**CASES[name], "warmup_iterations": args.warmup, "iterations": iterations,
                "torch_threads": args.duo_threads}  # fmt: skip
        ref = in_worker(reference_python, [str(ROOT / "benchmarks" / "speed_reference.py"), json.dumps(case)])
        results[name] = {"iterations": iterations, "reference": ref, "duo": {}, "floor": {}}
        for precision in PRECISIONS:
            here = [
                str(Path(__file__).resolve()),
                "--case-json",
                json.dumps({**case, "precision": precision}),
            ]
            duo = results[name]["duo"][precision] = in_worker(sys.executable, [*here, "--worker", "duo"])
            fraction = str(
                results[name]["duo"]["float32"]["expert_fraction"]
            )  # the same work at both precisions
            floor = in_worker(sys.executable, [*here, "--worker", "floor", "--expert-fraction", fraction])
            results[name]["floor"][precision] = floor
            for kind in ("train", "eval") if precision == "float32" else ("train",):
                key = f"{kind}_steps_per_second"
                print(
                    f"{name:13s} {kind:5s} {precision:7s}  reference {ref[key]:8.0f}  duo {duo[key]:8.0f} steps/s "
                    f"({duo[key] / ref[key]:.2f}x)  floor {floor[key]:8.0f} ({floor[key] / duo[key]:.2f}x duo's time)",
                    flush=True,
                )
    run = {
        "iterations": args.iterations, "warmup": args.warmup, "duo_threads": args.duo_threads,
        "minutes": (time.time() - started) / 60, "machine": machine(), "cases": results,
    }  # fmt: skip
    WORK.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(run, indent=2))
    publish_run(run, args)


def publish_run(run: dict[str, Any], args: argparse.Namespace) -> None:
    measured = write_doc(run["cases"], run)
    publish("PERFORMANCE.md", "Performance", measured, write=not args.no_doc)


if __name__ == "__main__":
    main()
