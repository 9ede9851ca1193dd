"""Train, evaluate or watch a coordinator on a MiniGrid pair with the shipped agents.

    python examples/minigrid_yrc.py --mode train overwrite=1
    python examples/minigrid_yrc.py --mode eval policy.load_path=experiments/minigrid_distshift_coord/best_val_sim.ckpt
    python examples/minigrid_yrc.py --mode visualize policy.load_path=experiments/minigrid_distshift_coord/best_val_sim.ckpt

The config defaults to configs/minigrid_distshift.yaml (``--config configs/minigrid_lavagap.yaml``
or ``minigrid_doorkey.yaml`` for the other pairs); any ``key=value`` overrides it. ``visualize``
films test episodes framed in the colour of the agent that acted, and maps where the coordinator
asks (``duo watch``).
"""

import argparse
import sys

from duo_ai import jobs
from duo_ai.cli.main import add_run_arguments, guarded, parse_with_overrides, run_job
from duo_ai.config import load_config


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mode", default="train", choices=("train", "eval", "visualize"))
    parser.add_argument("--episodes", type=int, default=4, help="episodes to film (visualize)")
    add_run_arguments(parser)
    args = parse_with_overrides(parser, None)
    args.config = args.config or "configs/minigrid_distshift.yaml"
    if args.mode == "visualize":
        return guarded(
            lambda: jobs.watch(load_config(args.config, args.overrides), "test", args.episodes, fps=8)
        )
    return guarded(run_job, args.mode, args.type, args.config, args.overrides)


if __name__ == "__main__":
    sys.exit(main())
