"""Train the shipped agents and measure them.

    python scripts/zoo.py train [NAME ...]   # train (resumable: rerun to continue), copy into duo_ai/zoo
    python scripts/zoo.py export [NAME ...]  # copy an unfinished (interrupted) run into the zoo
    python scripts/zoo.py measure [NAME ...] # evaluate on each split, write duo_ai/zoo/<suite>/<task>/results.json
    python scripts/zoo.py doc                # write docs/ZOO.md from the measured results

Every agent is trained by ``duo train --type agent`` with a recipe in configs/zoo/.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from duo_ai.checkpoint import export_policy, read_checkpoint

ROOT = Path(__file__).resolve().parent.parent
ZOO = ROOT / "duo_ai" / "zoo"
EXPERIMENTS = ROOT / "experiments" / "zoo"
MINIGRID = "configs/zoo/minigrid_agent.yaml"
PROCGEN = "configs/zoo/procgen_agent.yaml"
MEASURE_EPISODES = 256
HAND_WRITTEN = "## Procgen agents"  # docs/ZOO.md from this heading on is prose, kept by `doc`


@dataclass
class Agent:
    name: str  # <suite>/<task>/<role>
    config: str
    overrides: list[str] = field(default_factory=list)
    checkpoint: str = "best_val_sim.ckpt"
    trained_by: str | None = None  # the command that trained it, where not `duo train` on this machine

    @property
    def run_name(self) -> str:
        return self.name.replace("/", "_")

    @property
    def role(self) -> str:
        return Path(self.name).name

    @property
    def suite_overrides(self) -> list[str]:
        """The env settings its measurement uses: the task pair, and for a variant expert its
        variant as val_sim (the others are measured on the novice's task there)."""
        own_task = ("env.val_sim.",) if self.role == "variant_expert" else ()
        return [o for o in self.overrides if o.startswith(("env.pair=", "env.task=", "env.name=", *own_task))]


def task_overrides(task: str, options: dict[str, int] | None = None) -> list[str]:
    """Train and validate an agent on ``task`` (with envpool ``options``) instead of the novice's task."""
    overrides = [f"env.train.task={task}", f"env.val_sim.task={task}"]
    for key, value in (options or {}).items():
        overrides += [f"env.train.kwargs.{key}={value}", f"env.val_sim.kwargs.{key}={value}"]
    return overrides


def minigrid_agents(
    pair: str,
    novice_task: str,
    expert_task: str,
    steps: tuple[int, int, int, int],
    variant: tuple[str, dict[str, int]],
) -> list[Agent]:
    """Novice, expert, weak novice (YRC-0's simulated novice) and the expert of a held-out variant
    of the novice's task (the shifted_tasks pairing's simulated expert; never the test task)."""
    novice_steps, expert_steps, weak_steps, variant_steps = steps
    pair_override = f"env.pair={pair}"
    expert_task_overrides = task_overrides(expert_task)
    return [
        Agent(
            f"minigrid/{pair}/novice", MINIGRID, [pair_override, f"algorithm.total_timesteps={novice_steps}"]
        ),
        Agent(
            f"minigrid/{pair}/expert",
            MINIGRID,
            [pair_override, *expert_task_overrides, f"algorithm.total_timesteps={expert_steps}"],
        ),
        Agent(
            f"minigrid/{pair}/novice_weak",
            MINIGRID,
            [pair_override, f"algorithm.total_timesteps={weak_steps}", "algorithm.log_freq=2"],
            checkpoint="last.ckpt",
        ),
        Agent(
            f"minigrid/{pair}/variant_expert",
            MINIGRID,
            [pair_override, *task_overrides(*variant), f"algorithm.total_timesteps={variant_steps}"],
        ),
    ]


def procgen_pair(game: str) -> list[Agent]:
    """A Procgen game's novice (easy levels) and expert (hard levels) with the recipe as it is now,
    trained on the GPU machine (``scripts/gpu_zoo.py run --agents procgen/<game>``)."""
    trained_by = f"python scripts/gpu_zoo.py run --agents procgen/{game}"
    return [
        Agent(f"procgen/{game}/novice", PROCGEN, [f"env.task={game}", "env.train.distribution_mode=easy"],
              trained_by=trained_by),
        Agent(f"procgen/{game}/expert", PROCGEN, [f"env.task={game}", "env.train.distribution_mode=hard",
              "env.val_sim.distribution_mode=hard"], trained_by=trained_by),
    ]  # fmt: skip


AGENTS = [
    *minigrid_agents(
        "distshift",
        "MiniGrid-DistShift1-v0",
        "MiniGrid-DistShift2-v0",
        (200_000, 200_000, 49_152, 200_000),
        ("MiniGrid-DistShift1-v0", {"strip2_row": 4}),
    ),
    *minigrid_agents(
        "lavagap",
        "MiniGrid-LavaGapS5-v0",
        "MiniGrid-LavaGapS7-v0",
        (300_000, 500_000, 40_960, 500_000),
        ("MiniGrid-LavaGapS6-v0", {}),
    ),
    *minigrid_agents(
        "doorkey",
        "MiniGrid-DoorKey-5x5-v0",
        "MiniGrid-DoorKey-8x8-v0",
        (500_000, 2_000_000, 81_920, 614_400),
        ("MiniGrid-DoorKey-6x6-v0", {}),
    ),  # fmt: skip
    Agent(
        "procgen/coinrun/novice",
        PROCGEN,
        # trained before the recipe scaled rewards and ended the game at the time limit
        [
            "env.task=coinrun",
            "env.train.distribution_mode=easy",
            "algorithm.normalize_reward=0",
            "algorithm.bootstrap_truncated=1",
        ],
        trained_by="python scripts/gpu_zoo.py run --minutes 8.4",
    ),
    Agent(
        "procgen/coinrun/novice_weak",
        PROCGEN,
        # YRC-0's simulated novice on coinrun: the novice's recipe (easy levels) stopped early, on the CPU
        [
            "env.task=coinrun",
            "env.train.distribution_mode=easy",
            "algorithm.total_timesteps=327680",
            "algorithm.precision=bf16",
            "algorithm.log_freq=4",
        ],
        checkpoint="last.ckpt",
    ),
    Agent(
        "procgen/coinrun/expert",
        PROCGEN,
        ["env.task=coinrun", "env.train.distribution_mode=hard", "env.val_sim.distribution_mode=hard"],
        trained_by="python scripts/gpu_zoo.py run --agents procgen/coinrun/expert --minutes 8.5 "
        "--set env.num_threads=15 algorithm.bootstrap_truncated=1 (the shipped checkpoint); then "
        "2.9 min more with algorithm.bootstrap_truncated=0",
    ),
    *procgen_pair("maze"),  # the next pairs of issue 32, in the paper's order: not trained yet
    *procgen_pair("bossfight"),
]


def select(names: list[str]) -> list[Agent]:
    chosen = [agent for agent in AGENTS if not names or any(agent.name.startswith(n) for n in names)]
    if not chosen:
        sys.exit(f"no agent matches {names}; agents: {', '.join(a.name for a in AGENTS)}")
    return chosen


def duo(*args: str) -> None:
    command = [sys.executable, "-m", "duo_ai.cli.main", *args]
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True, cwd=ROOT)


def train_command(agent: Agent) -> str:
    if agent.trained_by:
        return agent.trained_by
    return " ".join(
        ["duo train --type agent --config", agent.config, *agent.overrides, f"name={agent.run_name}"]
    )


def train(agent: Agent, extra: list[str]) -> None:
    duo("train", "--type", "agent", "--config", agent.config, *agent.overrides,
        f"experiment_dir={EXPERIMENTS}", f"name={agent.run_name}", "resume=1", *extra)  # fmt: skip
    export(agent)


def export(agent: Agent) -> None:
    """Copy the run's chosen checkpoint (weights only), config, log and figures into the zoo."""
    run = EXPERIMENTS / agent.run_name
    target = ZOO / agent.name
    target.parent.mkdir(parents=True, exist_ok=True)
    state = read_checkpoint(run / "last.ckpt")["training_state"]
    device = yaml.safe_load((run / "config.yaml").read_text())["device"]
    meta_file = target.with_suffix(".meta.json")
    previous = json.loads(meta_file.read_text()) if meta_file.exists() else {}
    chosen_split = agent.checkpoint.removeprefix("best_").removesuffix(".ckpt")
    chosen_step = state["best"][chosen_split]["at_step"] if agent.checkpoint.startswith("best_") else None
    meta = {
        "steps": chosen_step or state["global_step"],  # of the shipped checkpoint
        "trained_steps": state["global_step"],
        # cumulative over resumes; runs saved before duo recorded it keep their earlier figure
        "wall_clock_seconds": round(state.get("elapsed_seconds", previous.get("wall_clock_seconds", 0.0)), 1),
        "checkpoint": agent.checkpoint,
        "device": device,
        "command": train_command(agent),
    }
    meta_file.write_text(json.dumps(meta, indent=2) + "\n")
    export_policy(run / agent.checkpoint, target.with_suffix(".ckpt"))
    shutil.copy(run / "config.yaml", target.with_suffix(".config.yaml"))
    shutil.copy(run / "train.log", target.with_suffix(".train.log"))


def measure(agent: Agent) -> None:
    """Evaluate the shipped checkpoint on every split; results.json keeps one entry per role."""
    suite_dir = (ZOO / agent.name).parent
    role = agent.role
    eval_name = f"{role}.measure"
    for previous in (EXPERIMENTS / agent.run_name).glob(f"{eval_name}.*"):
        previous.unlink()  # duo eval never overwrites: make room for this measurement's files
    duo("eval", "--type", "agent", "--config", agent.config, *agent.suite_overrides,
        f"policy.load_path=zoo:{agent.name}", f"eval_name={eval_name}",
        f"experiment_dir={EXPERIMENTS}", f"name={agent.run_name}",
        f"evaluation.num_episodes={MEASURE_EPISODES}", "eval_splits=[val_sim,test]")  # fmt: skip
    results_file = suite_dir / "results.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else {}
    measured = json.loads((EXPERIMENTS / agent.run_name / f"{eval_name}.json").read_text())
    results[role] = {"command": f"python scripts/zoo.py measure {agent.name}", **measured}
    results_file.write_text(json.dumps(results, indent=2) + "\n")


def fmt(result: dict) -> str:
    return f"{result['reward_mean']:.3f} ± {result['reward_ci']:.3f}"


def separated(low: dict, high: dict) -> bool:
    """True when the 95% intervals do not overlap and ``high`` is above."""
    return high["reward_mean"] - high["reward_ci"] > low["reward_mean"] + low["reward_ci"]


def checkpoint_label(meta: dict) -> str:
    """The shipped checkpoint, with the step it was taken at where that differs from the last."""
    label = meta.get("checkpoint", "?")
    if "trained_steps" in meta and meta["steps"] != meta["trained_steps"]:
        label += f" (step {meta['steps']:,})"
    return label


def write_doc() -> None:
    lines = [
        "# The agent zoo",
        "",
        "Novice and expert agents shipped in `duo_ai/zoo/`, named `zoo:<suite>/<task>/<role>` in configs.",
        "Each was trained by `duo train --type agent` with a recipe in `configs/zoo/`; its training",
        "config and log sit beside the checkpoint. `novice_weak` is the novice after a short",
        "training: the simulated novice of the YRC-0 protocol (coordinators train with it and the",
        "novice as stand-in expert on the novice's task, never seeing the test task or expert).",
        "",
        "Rewards are means over 256 episodes (sampling at temperature 1) ± the 95% confidence",
        "half-width; `val_sim` is the novice's task, `test` the shifted task. `variant_expert` is",
        "the simulated expert of the `shifted_tasks` pairing: trained on a held-out variant of the",
        "novice's task (its `val_sim` column is that variant; see its command), never on the test task.",
        "The variant experts' wall-clock figures were taken with other jobs on the machine (upper bounds).",
        "",
        "Reproduce: `python scripts/zoo.py train NAME` (resumable) then `python scripts/zoo.py measure NAME`",
        "and `python scripts/zoo.py doc`.",
        "",
        "| agent | steps | device | wall-clock | val_sim reward | test reward | checkpoint | training command |",
        "|---|---|---|---|---|---|---|---|",
    ]
    verdicts = []
    for suite_dir in sorted({(ZOO / a.name).parent for a in AGENTS}):
        results_file = suite_dir / "results.json"
        if not results_file.exists():
            continue
        results = json.loads(results_file.read_text())
        name = suite_dir.relative_to(ZOO)
        for role, result in results.items():
            meta_file = suite_dir / f"{role}.meta.json"
            meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
            minutes = f"{meta['wall_clock_seconds'] / 60:.1f} min" if meta else "?"
            lines.append(
                f"| `zoo:{name}/{role}` | {meta.get('trained_steps', meta.get('steps', '?')):,} | {meta.get('device', 'cpu')} | {minutes} | "
                f"{fmt(result['val_sim'])} | "
                f"{fmt(result['test'])} | {checkpoint_label(meta)} | `{meta.get('command', '?')}` |"
            )
        if "novice" in results and "expert" in results:
            ok = separated(results["novice"]["test"], results["expert"]["test"])
            verdicts.append(
                f"- `{name}`: the expert {'beats' if ok else 'does NOT beat'} the novice on test with "
                f"{'non-overlapping' if ok else 'overlapping (or reversed)'} 95% CIs "
                f"({fmt(results['expert']['test'])} vs {fmt(results['novice']['test'])})."
            )
    lines += ["", "## Expert vs novice on the test split", "", *verdicts, ""]
    # the hand-written sections (from the first one after the tables) are kept as they are
    doc = ROOT / "docs" / "ZOO.md"
    old = doc.read_text() if doc.exists() else ""
    hand_written = old[old.index(HAND_WRITTEN) :] if HAND_WRITTEN in old else ""
    doc.write_text("\n".join([*lines, hand_written]))
    print("wrote docs/ZOO.md")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("action", choices=("train", "export", "measure", "doc"))
    parser.add_argument("names", nargs="*", help="agent name prefixes (default: all)")
    parser.add_argument("--set", nargs="*", default=[], help="extra key=value overrides for training")
    args = parser.parse_args()
    if args.action == "doc":
        return write_doc()
    for agent in select(args.names):
        if args.action == "train":
            train(agent, args.set)
        elif args.action == "export":
            export(agent)
        else:
            measure(agent)


if __name__ == "__main__":
    main()
