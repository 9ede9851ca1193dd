"""duo: learn when to ask an expert for help.

duo train --type agent|coord [--config FILE] [key=value ...]   train (resume=1 continues)
duo eval  --type agent|coord [--config FILE] [key=value ...]   evaluate policy.load_path
duo watch --config FILE [--split S] [--episodes N] [key=value ...]  videos of a coordinator
duo calibrate --config FILE [key=value ...]                    store the test expert's reward per action
duo oracle --config FILE [--layouts N] [key=value ...]         the exact optimum of coordination (MiniGrid)
duo sweep SWEEP.yaml [--address ADDR]                          many runs on Ray Tune (grid, search)
duo report EXPERIMENT_DIR ... [--out DIR]                      results table, AUC, Pareto plot
duo plot RUN ... [--out FILE.png] [--splits train val_sim]      learning curves, seeds as a band
duo convert REF.ckpt --config FILE [--out OUT.ckpt] [key=value ...]  a duo-ai 1.0.1 checkpoint
duo config [--config FILE] [key=value ...]                     print the resolved config
duo demo [key=value ...]                                       the MiniGrid DistShift demo
"""

from __future__ import annotations

import argparse
import errno
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from omegaconf import OmegaConf

from duo_ai import jobs, registry
from duo_ai.config import load_config
from duo_ai.errors import DuoError
from duo_ai.run import end_run

EXIT_USAGE = 2


class OneLineParser(argparse.ArgumentParser):
    """argparse with its errors in one line, like every other error of duo (the usage lines are
    one ``-h`` away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} -h)\n")


def add_run_arguments(parser: argparse.ArgumentParser, with_type: bool = True) -> None:
    parser.add_argument("--config", default=None, help="YAML config file")
    if with_type:
        parser.add_argument("--type", default="coord", choices=jobs.POLICY_TYPES, help="agent or coordinator")
    parser.add_argument("overrides", nargs="*", help="key=value config overrides")


def parse_with_overrides(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse flags; ``key=value`` overrides may stand before, between or after them."""
    args, extra = parser.parse_known_args(argv)
    unknown = [arg for arg in extra if arg.startswith("-") or not hasattr(args, "overrides")]
    if unknown:
        command = getattr(parser, "commands", None)  # the command's own parser names it: "duo train: error"
        owner = command.choices.get(getattr(args, "command", None), parser) if command else parser
        owner.error(f"unrecognized arguments: {' '.join(unknown)}")
    if hasattr(args, "overrides"):
        args.overrides = [*args.overrides, *extra]
    return args


def run_job(mode: str, kind: str, config_path: str | None, overrides: Sequence[str], videos: int = 0) -> None:
    config = load_config(config_path, overrides)
    if mode == "train":
        jobs.train(config, kind)
    else:
        jobs.evaluate(config, kind, videos)


def guarded(job: Callable[..., Any], *args: Any) -> int:
    """Run ``job``; a user error becomes one line on stderr and exit status 2."""
    try:
        job(*args)
    except DuoError as error:
        print(f"duo: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("duo: interrupted", file=sys.stderr)
        return 130
    except OSError as error:  # a full disk, a read-only folder: the system's reason, in one line
        print(f"duo: error: {system_reason(error)}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        end_run()
    return 0


def system_reason(error: OSError) -> str:
    """An operating system's refusal in the user's words, with the path it concerns."""
    if error.errno == errno.ENOTDIR and error.filename:
        wanted = Path(error.filename)
        in_the_way = next((part for part in [wanted, *wanted.parents] if part.is_file()), wanted)
        return f"{in_the_way} is a file, not a folder (duo needs the folder {wanted})"
    where = f" ({error.filename})" if error.filename else ""
    reason = "no space left on the device" if error.errno == errno.ENOSPC else error.strerror or error
    return f"{reason}{where}"


def print_config(config: Any) -> None:
    """Every resolved key, then what the environment suite fills in for keys left unset."""
    print(OmegaConf.to_yaml(config), end="")
    for line in registry.lookup("environment", config.env.name, key="env.name").implied(config.env):
        print(f"# {line}")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="duo", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add_run_arguments(commands.add_parser("train", help="train an agent or a coordinator"))
    evaluate = commands.add_parser("eval", help="evaluate a policy (policy.load_path=...)")
    add_run_arguments(evaluate)
    evaluate.add_argument(
        "--video", type=int, default=0, metavar="N", help="also film N episodes of each split"
    )
    watch = commands.add_parser("watch", help="film a coordinator's episodes: who acted, costs, rewards")
    add_run_arguments(watch, with_type=False)
    watch.add_argument("--split", default="test", help="split to play (default: test)")
    watch.add_argument("--episodes", type=int, default=4, help="episodes to film (default: 4)")
    watch.add_argument("--fps", type=int, default=8, help="frames per second (default: 8)")
    add_run_arguments(
        commands.add_parser("calibrate", help="store the test expert's reward per action"), with_type=False
    )
    oracle = commands.add_parser(
        "oracle", help="the best any coordinator can do with the test agents (MiniGrid)"
    )
    add_run_arguments(oracle, with_type=False)
    oracle.add_argument("--layouts", type=int, default=16, help="random layouts to average (default: 16)")
    sweep = commands.add_parser("sweep", help="run a grid or search of duo runs on Ray Tune")
    sweep.add_argument("file", help="the sweep file (see duo_ai/sweep/spec.py)")
    sweep.add_argument("--address", default=None, help="join a Ray cluster: auto or ray://host:10001")
    report = commands.add_parser("report", help="table, AUC and Pareto plot of finished coordinator runs")
    report.add_argument("runs", nargs="+", help="experiment folders (searched for finished runs)")
    report.add_argument(
        "--out", default="report", help="folder for results.md, results.csv, seeds.csv, pareto.png"
    )
    plot = commands.add_parser("plot", help="learning curves: reward, base reward, expert share")
    plot.add_argument("runs", nargs="+", help="run folders, or folders searched for runs")
    plot.add_argument(
        "--out",
        default=None,
        help="the PNG to write (default: learning_curves.png in the first folder given)",
    )
    plot.add_argument(
        "--splits", nargs="+", default=["train", "val_sim"], help="train and/or validation splits"
    )
    convert = commands.add_parser(
        "convert", help="a checkpoint of the reference duo-ai 1.0.1 as a duo checkpoint"
    )
    convert.add_argument("checkpoint", help="the reference checkpoint")
    convert.add_argument("--out", default=None, help="the duo checkpoint to write (default: <name>.duo.ckpt)")
    add_run_arguments(convert, with_type=False)
    add_run_arguments(
        commands.add_parser("config", help="print the resolved config (every key, with defaults)"),
        with_type=False,
    )
    demo = commands.add_parser("demo", help="MiniGrid DistShift: novice, expert and a trained coordinator")
    demo.add_argument("overrides", nargs="*", help="key=value config overrides")
    parser.commands = commands  # type: ignore[attr-defined]  # each command's parser, for its errors
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = parse_with_overrides(build_parser(), argv)
    except SystemExit as done:  # -h, or a usage error already printed in one line
        return done.code if isinstance(done.code, int) else EXIT_USAGE
    if args.command == "demo":
        from duo_ai.cli.demo import run_demo

        return guarded(run_demo, args.overrides)
    if args.command == "sweep":
        from duo_ai.sweep import read_sweep
        from duo_ai.sweep.tune import run_sweep

        return guarded(lambda: run_sweep(read_sweep(args.file), args.address))
    if args.command == "report":
        from duo_ai.reporting.report import build_report

        return guarded(build_report, args.runs, args.out)
    if args.command == "plot":
        from duo_ai.reporting.curves import plot_curves

        return guarded(
            lambda: print(f"learning curves written to {plot_curves(args.runs, args.out, args.splits)}")
        )
    if args.command == "config":
        return guarded(lambda: print_config(load_config(args.config, args.overrides)))
    if args.command == "oracle":
        named = any(override.startswith("name=") for override in args.overrides)
        return guarded(
            lambda: jobs.exact_optimum(load_config(args.config, args.overrides), args.layouts, named=named)
        )
    if args.command == "convert":
        return guarded(
            lambda: jobs.convert_reference(
                args.checkpoint, args.out, load_config(args.config, args.overrides)
            )
        )
    if args.command == "watch":  # its files are watch.*, beside an evaluation's eval.* (unless named)
        named = any(override.startswith("eval_name=") for override in args.overrides)
        overrides = [*args.overrides, *([] if named else ["eval_name=watch"])]
        return guarded(
            lambda: jobs.watch(load_config(args.config, overrides), args.split, args.episodes, args.fps)
        )
    if args.command == "calibrate":
        return guarded(lambda: jobs.calibrate_costs(load_config(args.config, args.overrides)))
    return guarded(run_job, args.command, args.type, args.config, args.overrides, getattr(args, "video", 0))


if __name__ == "__main__":
    sys.exit(main())
