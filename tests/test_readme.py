"""The README's Python tour runs as written."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_python_block_runs(monkeypatch, tmp_path):
    """Run from a folder of its own (the README's relative paths find the configs there), so the
    run's experiments/ folder is not the repository's."""
    block = re.search(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    (tmp_path / "configs").symlink_to(ROOT / "configs")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - the project's own README
    folder = tmp_path / "experiments" / "api_demo"
    assert (folder / "best_val_sim.ckpt").exists() and not (folder / "best_test.ckpt").exists()
    assert "BEST test so far" in (folder / "train.log").read_text()
