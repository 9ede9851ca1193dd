"""The ``duo`` command: ``duo train|eval --type agent|coord [--config FILE] [key=value ...]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from duo_ai.cli import pipeline
from duo_ai.config import load_config
from duo_ai.errors import DuoError

EXIT_USAGE = 2


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default=None, help="YAML config file")
    parser.add_argument("--type", default="coord", choices=pipeline.KINDS, help="what to train")
    parser.add_argument("overrides", nargs="*", help="key=value config overrides")


def run_job(mode: str, kind: str, config_path: str | None, overrides: Sequence[str]) -> None:
    config = load_config(config_path, overrides)
    if mode == "train":
        pipeline.train(config, kind)
    else:
        pipeline.evaluate(config, kind)


def guarded(job, *args) -> int:
    """Run ``job``; a user error becomes one line on stderr and exit status 2."""
    try:
        job(*args)
    except DuoError as error:
        print(f"duo: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("duo: interrupted", file=sys.stderr)
        return 130
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="duo", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for mode, help_text in (
        ("train", "train an agent or a coordinator"),
        ("eval", "evaluate a policy"),
    ):
        add_run_arguments(commands.add_parser(mode, help=help_text))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return guarded(run_job, args.command, args.type, args.config, args.overrides)


if __name__ == "__main__":
    sys.exit(main())
