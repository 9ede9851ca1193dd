"""Does the PPO coordinator learn the best coordination when it sees the right problem, and does
it stay there? Skyline runs (trained on the test pairing) against the exact optimum.

    python benchmarks/skyline.py --pairs distshift --group            # 3 alphas x 5 seeds x variants
    python benchmarks/skyline.py --variants kl0.02 --alphas 0.4 0.8 --seeds 0 1
    python benchmarks/skyline.py --pairs distshift --variants terminal scaled --alphas 0.4 0.8
    python benchmarks/skyline.py --pairs distshift --variants noadvnorm --threads 2   # other float sums
    python benchmarks/skyline.py --pairs doorkey --variants noadvnorm_ent0.001_anneal --steps 500000   # a larger budget

Each run trains a PPO coordinator with ``skyline=1`` (200k steps unless ``--steps``), selects its
checkpoint on val_sim (the test distribution, for a skyline) and reports it on test; its
``last.ckpt`` is evaluated on test too. The runs of a pair and variant are one ``duo sweep`` over
cost weights and seeds: with ``--group`` they train as one group (one process, every core;
``group: true``), otherwise one run per trial with ``--threads`` torch threads each (one, as the
YRC grid ran them: collapse depends on the thread count), as many at a time as the cores allow.
Variants a group cannot train (``max_kl``, ``target_kl``) run one per trial either way.
A run collapsed when its last checkpoint is more than 10% of the optimum's gain below its
selected one. The share of the gain is (selected - best of always-novice and always-expert) /
(optimum - that best), all exact but the selected reward; where that gain is under 0.01 (α = 0,
where the optimum is always-expert plus 0.001-0.004) the share and the collapse count are "-".
Finished runs are skipped: an interrupted benchmark continues. Each set of variants has its own
block in docs/LEARNING.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from itertools import product
from pathlib import Path

import numpy as np
import yaml
from harness import duo, publish, table_head
from oracle import RANDOM_LAYOUTS, best_always, exact_rows, share_of_gain

from duo_ai.envs.minigrid import PAIRS
from duo_ai.evaluation.stats import mean_std_ci
from duo_ai.reporting.gain import MIN_GAIN

ROOT = Path(__file__).resolve().parent.parent

RUNS = ROOT / "experiments" / "skyline"
DEFAULT_STEPS = 200_000
# The PPO settings of configs/minigrid_*.yaml before they became the recipe below; the variants
# measured then are changes to them, so they name them.
PREVIOUS = ["algorithm.norm_adv=true", "algorithm.ent_coef=0.01", "algorithm.anneal_lr=false"]
RECIPE = "noadvnorm_ent0.001_anneal"  # what configs/minigrid_*.yaml now set: RESULTS.md's skyline rows
WIDE = ["policy.model.hidden_dim=128", "policy.model.head_sizes=[128]"]
RECIPE_SETTINGS = ["algorithm.norm_adv=false", "algorithm.ent_coef=0.001", "algorithm.anneal_lr=true"]
VARIANTS = {
    "previous_default": PREVIOUS,
    "ent0.05": [*PREVIOUS, "algorithm.ent_coef=0.05"],
    "kl0.02": [*PREVIOUS, "algorithm.target_kl=0.02"],  # stop an update's epochs once the policy moved this far
    "novclip": [*PREVIOUS, "algorithm.clip_vloss=false"],  # value targets on raw returns, unclipped
    "scaled": [*PREVIOUS, "algorithm.normalize_reward=true"],  # rewards / running std of discounted returns
    "terminal": [*PREVIOUS, "algorithm.bootstrap_truncated=false"],  # the time limit ends the game
    "maxkl0.03": [*PREVIOUS, "algorithm.max_kl=0.03"],  # an update that moved the policy further is undone
    "noadvnorm": [*PREVIOUS, "algorithm.norm_adv=false"],  # raw advantages: near-zero ones stay small
    "noadvnorm_ent0.001": [*PREVIOUS, "algorithm.norm_adv=false", "algorithm.ent_coef=0.001"],
    "noadvnorm_ent0.001_maxkl0.03": [
        *PREVIOUS, "algorithm.norm_adv=false", "algorithm.ent_coef=0.001", "algorithm.max_kl=0.03",
    ],
    "terminal_scaled": [*PREVIOUS, "algorithm.bootstrap_truncated=false", "algorithm.normalize_reward=true"],
    RECIPE: RECIPE_SETTINGS,
    f"{RECIPE}_bf16": [*RECIPE_SETTINGS, "algorithm.precision=bf16"],  # bf16 forward passes (CPU autocast)
    f"{RECIPE}_gamma0.999": [*RECIPE_SETTINGS, "algorithm.gamma=0.999"],  # tests score undiscounted episodes
    f"{RECIPE}_epochs8": [*RECIPE_SETTINGS, "algorithm.update_epochs=8"],  # more passes over each rollout
    f"{RECIPE}_wide": [*RECIPE_SETTINGS, *WIDE],  # twice the coordinator's feature and head widths
    f"{RECIPE}_wide_epochs8": [*RECIPE_SETTINGS, *WIDE, "algorithm.update_epochs=8"],
    f"{RECIPE}_lambda0.99": [*RECIPE_SETTINGS, "algorithm.gae_lambda=0.99"],  # less biased advantages
    f"{RECIPE}_envs32": [*RECIPE_SETTINGS, "env.num_envs=32"],  # twice the rollout: less noisy updates
    # the novice's own features of the view (its hidden layer) instead of, or beside, the raw view
    f"{RECIPE}_hidden_dist": [*RECIPE_SETTINGS, "policy.model.feature_type=hidden_dist"],
    f"{RECIPE}_obs_hidden_dist": [*RECIPE_SETTINGS, "policy.model.feature_type=obs_hidden_dist"],
}  # fmt: skip


def run_suffix(steps: int, threads: int, grouped: bool = False) -> str:
    """What a variant's folder adds for a non-default budget, thread count or grouped training,
    e.g. ``_500k_2threads``."""
    budget = "" if steps == DEFAULT_STEPS else f"_{steps // 1000}k"
    if grouped:
        return budget + "_grouped"
    return budget + ("" if threads == 1 else f"_{threads}threads")


def groupable(variant: str) -> bool:
    return not any(
        setting.startswith(("algorithm.max_kl", "algorithm.target_kl")) for setting in VARIANTS[variant]
    )


def variant_folder(variant: str, args: argparse.Namespace) -> str:
    """Where a variant's runs go under each pair: its name and what ``run_suffix`` adds."""
    return f"{variant}{run_suffix(args.steps, args.threads, args.group and groupable(variant))}"


def run_variant(pair: str, variant: str, args: argparse.Namespace) -> None:
    """Every (alpha, seed) of a pair's variant as one ``duo sweep`` (finished runs are kept), then
    each run's ``last.ckpt`` evaluated on test."""
    grouped = args.group and groupable(variant)
    folder = variant_folder(variant, args)
    spec = {
        "base": str(ROOT / "configs" / f"minigrid_{pair}.yaml"),
        "experiment_dir": str(RUNS / pair / folder),
        "overrides": ["skyline=1", f"algorithm.total_timesteps={args.steps}", "validation_splits=[val_sim]",
                      *VARIANTS[variant]],
        "grid": {"coordination.expert_query_cost_weight": args.alphas, "seed": args.seeds},
        "name": "alpha{coordination.expert_query_cost_weight}/seed{seed}",
        "group": grouped,
        "resources": {"cpu": os.cpu_count() if grouped else args.threads},
    }  # fmt: skip
    sweep = RUNS / "sweeps" / f"{pair}_{folder}.yaml"
    sweep.parent.mkdir(parents=True, exist_ok=True)
    sweep.write_text(yaml.safe_dump(spec, sort_keys=False))
    print("+", pair, folder, flush=True)
    duo("sweep", str(sweep))
    for alpha, seed in product(args.alphas, args.seeds):
        run = RUNS / pair / folder / f"alpha{alpha:g}" / f"seed{seed}"
        if not (run / "last.json").exists():
            duo("eval", "--type", "coord", "--config", f"configs/minigrid_{pair}.yaml", "skyline=1",
                f"seed={seed}", f"coordination.expert_query_cost_weight={alpha}", *VARIANTS[variant],
                f"policy.load_path={run / 'last.ckpt'}", "eval_name=last", "eval_splits=[test]")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", nargs="+", default=list(PAIRS), choices=list(PAIRS))
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--alphas", nargs="+", type=float, default=[0.2, 0.4, 0.8])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS, help="training steps of each run")
    parser.add_argument("--threads", type=int, default=1, help="torch threads a run (collapse depends on it)")
    parser.add_argument("--group", action="store_true", help="train each variant's runs as one group")
    parser.add_argument("--jobs", type=int, help="accepted so the commands of earlier blocks run: Ray now "
                        "runs as many trials at a time as the cores hold at --threads each")  # fmt: skip
    args = parser.parse_args()
    for pair, variant in product(args.pairs, args.variants):
        run_variant(pair, variant, args)
    variants = [variant_folder(variant, args) for variant in args.variants]
    command = " ".join(["python benchmarks/skyline.py", *sys.argv[1:]])
    grouping = f"{args.threads} torch thread(s) a run" + (
        "; each variant a group can hold trained as one group on every core" if args.group else ""
    )
    measured = "\n".join(
        [f"Measured by `{command}` ({args.steps:,} steps, {grouping}; the table "
         "holds every finished run of these variants at this budget, earlier invocations' too).", "",
         *table(variants)]
    )  # fmt: skip
    # one block per set of variants (budget, threads), so that measuring a new one keeps the others
    suffix = run_suffix(args.steps, args.threads, args.group)
    block = f" --variants {' '.join(args.variants)}{suffix.replace('_', ' ')}"  # a block per set of variants
    publish("LEARNING.md", "Learning", measured, block=block)


def table(variants: list[str]) -> list[str]:
    """One row per pair, variant and alpha with finished seeds (the block keeps every one)."""
    lines = table_head(
        "pair",
        "variant",
        "α",
        "optimum",
        "best always",
        "selected (mean ± 95% over seeds)",
        "share of the gain",
        "last",
        "collapsed runs",
    )
    for pair in PAIRS:
        alphas = sorted(
            {float(folder.parent.parent.name.removeprefix("alpha"))
             for variant in variants for folder in (RUNS / pair / variant).glob("alpha*/seed*/last.json")}
        )  # fmt: skip
        if not alphas:
            continue
        exact = exact_rows(pair, alphas, RANDOM_LAYOUTS[pair])
        for variant, alpha in product(variants, alphas):
            folders = sorted(
                f.parent for f in (RUNS / pair / variant / f"alpha{alpha:g}").glob("seed*/last.json")
            )
            if not folders:
                continue
            selected = [
                json.loads((f / "test_result.json").read_text())["test"]["reward_mean"] for f in folders
            ]
            last = [json.loads((f / "last.json").read_text())["test"]["reward_mean"] for f in folders]
            row = exact[alpha]
            gain = row["optimum"][0] - best_always(row)
            collapsed = sum(chosen - final > 0.1 * gain for chosen, final in zip(selected, last, strict=True))
            (sel, _, sel_ci), (lst, _, lst_ci) = mean_std_ci(np.array(selected)), mean_std_ci(np.array(last))
            lines.append(
                f"| {pair} | {variant} | {alpha:g} | {row['optimum'][0]:.3f} | {best_always(row):.3f} | {sel:.3f} ± "
                f"{sel_ci:.3f} | {share_of_gain(sel, row)} | {lst:.3f} ± {lst_ci:.3f} | "
                f"{f'{collapsed} of {len(folders)}' if gain >= MIN_GAIN else '-'} |"
            )
    return lines


if __name__ == "__main__":
    main()
