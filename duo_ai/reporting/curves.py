"""Learning curves from runs' ``metrics.jsonl``: reward, base reward and expert share against
steps, one line per configuration, its seeds as a 95% band (Student's t over seeds)."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from duo_ai.envs.base import SPLITS
from duo_ai.errors import DuoError
from duo_ai.evaluation.stats import mean_t_interval
from duo_ai.run_folder import METRICS_FILE, configuration_key, configuration_label, run_settings

# (panel title, training window key, evaluation key)
PANELS = (
    ("reward", "episode_reward", "reward_mean"),
    ("base reward", "episode_base_reward", "base_reward_mean"),
    ("expert share of steps", "action_1_fraction", "action_1_fraction"),
)
MAKER = "duo plot"  # the PNG's Software field: duo replaces only figures it wrote


def find_training_runs(paths: list[str | Path]) -> dict[Path, dict[str, dict[int, float]]]:
    """The metrics of the run folders (with a readable ``metrics.jsonl``) at or under ``paths``,
    read once; an unreadable one is left out with a one-line warning, as ``duo report`` does."""
    runs = {}
    for path in map(Path, paths):
        if not path.exists():
            raise DuoError(f"plot: no such folder {path}")
        for folder in sorted(metrics.parent for metrics in path.rglob(METRICS_FILE)):
            try:
                runs[folder] = read_series(folder)
            except ValueError as error:
                print(f"duo: warning: plot: skipping {folder}: {error}", file=sys.stderr)
    if not runs:
        raise DuoError(f"plot: no readable run (metrics.jsonl) under {', '.join(map(str, paths))}")
    return runs


def read_series(folder: Path) -> dict[str, dict[int, float]]:
    """Each logged metric of a run as {step: value} (steps without a value left out). A torn last
    line (what a killed run leaves) is skipped; any other bad line is a ValueError naming it."""
    series: dict[str, dict[int, float]] = defaultdict(dict)
    lines = (folder / METRICS_FILE).read_bytes().decode("utf-8", errors="replace").splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            if number == len(lines):
                continue  # torn by a kill mid-write
            raise ValueError(f"{METRICS_FILE} line {number} is not a JSON row") from None
        if (
            not isinstance(row, dict)
            or isinstance(row.get("step"), bool)
            or not isinstance(row.get("step"), int | float)
        ):
            raise ValueError(f"{METRICS_FILE} line {number} has no step")
        for key, value in row.items():
            if key not in ("step", "time") and isinstance(value, int | float) and not isinstance(value, bool):
                series[key][int(row["step"])] = float(value)
    return dict(series)


def group_runs(folders: list[Path]) -> dict[str, list[Path]]:
    """Runs of one configuration (seeds) together, labelled by the settings that tell groups apart."""
    by_config: dict[str, list[Path]] = defaultdict(list)
    configs = {}
    for folder in folders:
        settings = run_settings(folder)
        key = configuration_key(settings)
        by_config[key].append(folder)
        configs[key] = settings
    if len(by_config) == 1:
        (members,) = by_config.values()
        label = members[0].name if len(members) == 1 else f"{members[0].parent.name} ({len(members)} seeds)"
        return {label: members}
    return {
        f"{configuration_label(configs[key], list(configs.values()), members, folders)} ({len(members)} runs)": members
        for key, members in by_config.items()
    }


def is_coordinator(folder: Path) -> bool:
    """Whether a run trained a coordinator (an agent run has no expert to share steps with)."""
    settings = run_settings(folder)
    return settings.get("policy.name") != "ppo" or "coord" in str(settings.get("policy.model.name", ""))


def band(runs: list[dict[int, float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steps every run logged, the mean over runs there, and the 95% half-width (NaN for one run)."""
    steps = sorted(set.intersection(*(set(run) for run in runs)))
    intervals = [mean_t_interval(np.array([run[step] for run in runs])) for step in steps]
    means, half_widths = zip(*intervals, strict=True) if intervals else ((), ())
    return np.array(steps), np.array(means), np.array(half_widths)


def plot_curves(paths: list[str | Path], out: str | Path | None, splits: list[str]) -> Path:
    """Draw the learning curves of the runs under ``paths`` into the PNG ``out`` (by default
    ``learning_curves.png`` in the first folder given, beside the runs it draws)."""
    out = Path(out) if out is not None else Path(paths[0]) / "learning_curves.png"
    unknown = [split for split in splits if split not in SPLITS]
    if unknown:
        raise DuoError(f"plot: unknown split {', '.join(unknown)}; valid choices: {', '.join(SPLITS)}")
    check_replaceable(out)
    series = find_training_runs(paths)
    groups = group_runs(list(series))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    figure, axes = plt.subplots(1, len(PANELS), figsize=(5 * len(PANELS), 4), squeeze=False)
    agents_only = not any(is_coordinator(folder) for folder in series)
    for axis, (title, _, _) in zip(axes[0], PANELS, strict=True):
        axis.set_title("share of steps taking action 1" if agents_only and "expert" in title else title)
        axis.set_xlabel("environment steps")
        axis.xaxis.set_major_formatter(matplotlib.ticker.EngFormatter())
    drawn = 0
    for colour, (label, members) in enumerate(groups.items()):
        runs = [series[folder] for folder in members]
        for split, style in zip(splits, ("-", "--", ":", "-."), strict=False):
            for axis, (_, window_key, eval_key) in zip(axes[0], PANELS, strict=True):
                key = f"train/{window_key}" if split == "train" else f"{split}/{eval_key}"
                if not all(key in run for run in runs):
                    continue
                steps, mean, half = band([run[key] for run in runs])
                line = axis.plot(steps, mean, style, color=f"C{colour}", label=f"{label}, {split}")[0]
                if len(runs) > 1:
                    axis.fill_between(steps, mean - half, mean + half, color=line.get_color(), alpha=0.2)
                drawn += 1
    if not drawn:
        raise DuoError(f"plot: the runs logged none of the splits {', '.join(splits)}")
    handles, labels = axes[0][0].get_legend_handles_labels()
    figure.legend(
        handles, labels, loc="lower center", ncol=min(3, len(labels)), fontsize="small", frameon=False
    )
    rows = -(-len(labels) // 3)  # the legend's rows, under the panels
    figure.tight_layout(rect=(0, min(0.5, 0.06 * rows + 0.02), 1, 1))
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=100, metadata={"Software": MAKER})
    plt.close(figure)
    return out


def check_replaceable(out: Path) -> None:
    """Refuse to replace a file that is not a figure duo plot wrote."""
    if not out.exists():
        if out.suffix.lower() != ".png":
            raise DuoError(f"plot: --out must name a .png file, got {out}")
        return
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(out) as image:
            maker = image.info.get("Software")
    except (UnidentifiedImageError, OSError):
        maker = None
    if maker != MAKER:
        raise DuoError(f"plot: {out} exists and is not a figure duo plot wrote; choose another --out")
