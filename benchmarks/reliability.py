"""What every hostile input gets, and whether runs resume consistently after a crash at any write.

    python benchmarks/reliability.py   # about 2 minutes; prints and writes docs/RELIABILITY.md

Each input of the hostile table (benchmarks/hostile_inputs.py) runs as a user would run it: the
installed command in a fresh process, in a workspace holding a finished duo run, a folder of the
user's own and bad files. An input passes when it exits 2 with one line on stderr, no traceback,
the expected message, and every file of the workspace unchanged. Then a PPO run is crashed at
every write boundary in three ways (benchmarks/crash_injection.py) and resumed.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import tempfile
from pathlib import Path

from crash_injection import CRASH_MODES, count_writes, crash_then_resume
from harness import duo, publish, table_head
from hostile_inputs import HOSTILE, TOY_RUN, command_line, disk, prepare_workspace


def run_duo(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """duo as the user runs it in their workspace ``cwd``: its exit status and what it printed."""
    return duo(*args, check=False, capture=True, cwd=cwd)


def try_input(case: str, previous_run: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        experiments = prepare_workspace(root, previous_run)
        before = disk(root)
        result = run_duo(*command_line(case, root, experiments), cwd=root)
        changed = disk(root) != before
    lines = result.stderr.replace(tmp, "<workspace>").strip().splitlines()  # the same block on every rerun
    return {
        "case": case,
        "exit": result.returncode,
        "lines": len(lines),
        "traceback": "Traceback" in result.stderr,
        "expected": HOSTILE[case][1] in result.stderr,
        "changed": changed,
        "message": lines[-1] if lines else "",
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        assert (
            run_duo(
                "train", "--type", "agent", *TOY_RUN, f"experiment_dir={root}", "name=previous", cwd=root
            ).returncode
            == 0
        )
        results = [try_input(case, root / "previous") for case in HOSTILE]
    lines = [
        *table_head(
            "input", "exit", "stderr lines", "the expected message", "files changed", "what the user reads"
        ),
    ]
    for r in results:
        message = r["message"].replace("|", "\\|")
        lines.append(
            f"| {r['case']} | {r['exit']} | {r['lines']} | {'yes' if r['expected'] else 'NO'} | "
            f"{'YES' if r['changed'] else 'no'} | `{message}` |"
        )
    clean = [r for r in results if r["exit"] == 2 and r["lines"] == 1 and r["expected"] and not r["changed"]]
    lines += [
        "",
        f"Inputs tried: {len(results)}; refused cleanly: {len(clean)}; lost or changed data: "
        f"{sum(r['changed'] for r in results)}; tracebacks: {sum(r['traceback'] for r in results)}; "
        f"accepted (exit 0): {sum(r['exit'] == 0 for r in results)}.",
    ]

    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):  # the runs' logs
        writes = count_writes(Path(tmp))
        problems = [
            p for at in range(writes) for how in CRASH_MODES for p in crash_then_resume(Path(tmp), at, how)
        ]
    trials = writes * len(CRASH_MODES)
    lines += [
        "",
        f"Crash injection: a PPO run has {writes} write boundaries; crashed at each {len(CRASH_MODES)} ways "
        f"({', '.join(CRASH_MODES)}) and resumed, {trials} trials: {trials - len({p.split(':')[0] for p in problems})} "
        f"consistent, {len(problems)} problems{': ' + '; '.join(problems) if problems else ''}.",
    ]
    measured = "\n".join(lines)
    publish("RELIABILITY.md", "Reliability", measured)


if __name__ == "__main__":
    main()
