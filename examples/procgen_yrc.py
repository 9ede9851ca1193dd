"""Train or evaluate an agent or a coordinator, as in the tutorial.

    python examples/procgen_yrc.py --config configs/procgen_ppo.yaml --mode train --type coord overwrite=1

Any ``key=value`` after the flags overrides the config. ``duo train|eval`` does the same.
"""

import argparse
import sys

from duo_ai.cli.main import add_run_arguments, guarded, parse_with_overrides, run_job


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mode", default="train", choices=("train", "eval"))
    add_run_arguments(parser)
    args = parse_with_overrides(parser, None)
    return guarded(run_job, args.mode, args.type, args.config, args.overrides)


if __name__ == "__main__":
    sys.exit(main())
