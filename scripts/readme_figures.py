"""The pictures at the top of the README: one test episode of the demo's coordinator and its
learning curves, both made by ``duo demo``.

    python scripts/readme_figures.py   # runs the demo (about a minute), then copies its figures
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "experiments" / "demo"
FIGURES = ROOT / "docs" / "figures"


def main() -> None:
    subprocess.run([sys.executable, "-m", "duo_ai.cli.main", "demo"], check=True, cwd=ROOT)
    FIGURES.mkdir(parents=True, exist_ok=True)
    for made, shown in (
        ("episode.test-1.gif", "demo_episode.gif"),
        ("learning_curves.png", "demo_curves.png"),
    ):
        shutil.copyfile(DEMO / made, FIGURES / shown)
        print(f"{FIGURES / shown} (from {DEMO / made})")


if __name__ == "__main__":
    main()
