"""Train the Procgen zoo agents on a bare GPU machine in one command, and bring them home.

    python scripts/gpu_zoo.py bundle                 # here: pack what the GPU machine lacks into .gpu/
    python scripts/gpu_zoo.py run --dry-run          # here: the GPU run's code path, on the CPU, tiny budget
    python scripts/gpu_zoo.py run --minutes 8.2      # there: unpack .gpu/, train novice and expert side by side
    python scripts/gpu_zoo.py collect DIR            # here: DIR's returned files become experiments/zoo runs

The GPU machine (Python 3.12, CUDA torch, 16 cores) has no network: ``bundle`` downloads the
cp312 wheels duo needs beyond what it has, keeps only envpool's Procgen simulator (envpool 1.2.7
ships its Qt runtime inside the wheel, so no system package is needed) and packs them into
``.gpu/site.tar.xz``. ``run`` trains both agents of each pair at once, each with half the cores,
and every ``--copy-every`` seconds copies each run's resume point (``last.ckpt``) and its logs to
``$OUT``, so a run cut at any moment returns its last save. At ``--minutes`` it stops the runs.
``collect`` unpacks the returned files into ``experiments/zoo/<run>/``, where
``python scripts/zoo.py export|measure|doc`` take over, and where a later GPU session resumes them
(``run --resume`` continues the run folders it finds there).

What travels to the GPU machine (the working tree with ``.gpu`` carried) must stay under 64 MiB:
move the tracked folders a run does not need (``tests/data/reference``, the other agents' run
folders) aside for the call and back after it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = ".duo_run"  # duo_ai.run_folder.MARKER (this script imports no duo module before unpacking)
BUNDLE = ROOT / ".gpu" / "site.tar.xz"
EXPERIMENTS = ROOT / "experiments" / "zoo"
PYTHON_VERSION = "3.12"  # the GPU machine's
PLATFORMS = [
    "manylinux_2_28_x86_64",
    "manylinux_2_24_x86_64",
    "manylinux_2_17_x86_64",
    "manylinux2014_x86_64",
]
# What the GPU image lacks (its torch, numpy, absl, attrs, wrapt, cloudpickle, yaml, tqdm,
# tensorboard and matplotlib serve as they are).
WHEELS = [
    "envpool==1.2.7",
    "envpool-assets==0.4.1",
    "gymnasium==1.4.0",
    "farama-notifications==0.0.6",
    "omegaconf==2.4.0",
    "dm-env==1.6",
    "dm-tree==0.1.10",
    "optree==0.20.0",
]
# envpool bundles every simulator it has; duo's GPU runs need Procgen alone.
ENVPOOL_FAMILIES_KEPT = ("procgen",)
PAIRS = ["procgen/coinrun"]

# The GPU recipe on top of configs/zoo/procgen_agent.yaml: 256 copies x 128 steps (32k samples a
# rollout, 16 minibatches of 2048 as in Cobbe et al., 3 epochs), bf16 forward passes. Rollouts are
# bound by the simulator on the CPU, so the slower-learning expert (hard mode) gets more cores.
GPU_SETTINGS = [
    "device=cuda",
    "torch_threads=1",
    "env.num_envs=256",
    "algorithm.num_steps=128",
    "algorithm.num_minibatches=16",
    "algorithm.precision=bf16",
    "algorithm.log_freq=10",
    "algorithm.save_freq=5",
]
GPU_ROLE_SETTINGS = {"novice": ["env.num_threads=5"], "expert": ["env.num_threads=9"]}
DRY_RUN_SETTINGS = [
    "device=cpu",
    "torch_threads=1",
    "env.num_envs=4",
    "env.num_threads=1",
    "algorithm.num_steps=16",
    "algorithm.precision=bf16",
    "algorithm.log_freq=2",
    "algorithm.save_freq=1",
    "evaluation.num_episodes=2",
    "evaluation.max_num_steps=100",
]


def bundle(python_version: str, target: Path) -> None:
    """Download the wheels for the GPU machine's Python, strip envpool, pack one archive."""
    if target.exists() and target != BUNDLE:
        sys.exit(f"{target} exists: bundle writes a new archive only, or replaces {BUNDLE}")
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--only-binary=:all:",
             "--no-compile", "--target", str(site), "--python-version", python_version,
             "--implementation", "cp", *[f"--platform={p}" for p in PLATFORMS], *WHEELS],
            check=True,
        )  # fmt: skip
        for family in (site / "envpool").iterdir():
            binaries = [f for f in family.rglob("*") if f.suffix in (".so", ".pk3") or f.name == "bin"]
            if family.is_dir() and family.name not in ENVPOOL_FAMILIES_KEPT and family.name != "python":
                for binary in binaries:
                    shutil.rmtree(binary) if binary.is_dir() else binary.unlink(missing_ok=True)
        entry = site / "envpool" / "entry.py"  # registers every family on import: keep ours only
        kept = [line for line in entry.read_text().splitlines(keepends=True)
                if not line.startswith("import envpool.") or line.split(".")[1] in ENVPOOL_FAMILIES_KEPT]  # fmt: skip
        entry.write_text("".join(kept))
        for folder in (site / "envpool_assets").iterdir():
            if folder.is_dir() and folder.name not in ENVPOOL_FAMILIES_KEPT:
                shutil.rmtree(folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(target, "w:xz", preset=6) as archive:
            archive.add(site, arcname="site")
    print(f"wrote {target} ({target.stat().st_size / 2**20:.1f} MiB) for Python {python_version}")


def unpack(archive: Path, into: Path) -> Path:
    """The bundle's site folder, unpacked once (a rerun on a warm machine reuses it)."""
    site = into / "site"
    if not site.exists():
        with tarfile.open(archive) as tar:
            tar.extractall(into, filter="data")
    return site


def agents(names: list[str]) -> list:
    from zoo import select  # scripts/zoo.py: the agents' recipes, shared with CPU training

    return select(names or PAIRS)


def run(args: argparse.Namespace) -> None:
    out = Path(os.environ.get("OUT") or args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(args.scratch)
    if args.dry_run:
        site = None
    else:
        site = unpack(BUNDLE, scratch)
        sys.path[:0] = [str(site), str(ROOT)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(site or ""), str(ROOT)]))}
    env["PYTHONUNBUFFERED"] = "1"
    chosen = agents(args.agents)
    machine = {**describe_machine(env), "trained_together": [agent.run_name for agent in chosen]}
    (out / "machine.json").write_text(json.dumps(machine, indent=2) + "\n")
    print("machine:", json.dumps(machine), flush=True)

    runs_dir = scratch / "runs"
    settings = DRY_RUN_SETTINGS if args.dry_run else GPU_SETTINGS
    processes = {}
    for agent in chosen:
        folder = runs_dir / agent.run_name
        resume = args.resume and (EXPERIMENTS / agent.run_name / "last.ckpt").exists()
        if resume and not folder.exists():
            shutil.copytree(EXPERIMENTS / agent.run_name, folder)
        command = [
            sys.executable, "-m", "duo_ai.cli.main", "train", "--type", "agent", "--config", agent.config,
            *agent.overrides, *settings, *([] if args.dry_run else GPU_ROLE_SETTINGS[agent.role]),
            f"algorithm.total_timesteps={args.steps}",
            f"experiment_dir={runs_dir}", f"name={agent.run_name}",
            "resume=1" if resume else "overwrite=1", *args.set,
        ]  # fmt: skip
        print("+", " ".join(command), flush=True)
        log = (out / f"{agent.run_name}.stdout.log").open("w")
        processes[agent.run_name] = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    deadline = time.time() + args.minutes * 60
    next_copy = time.time() + args.copy_every
    while time.time() < deadline and any(p.poll() is None for p in processes.values()):
        time.sleep(min(5.0, max(0.0, deadline - time.time())))
        if time.time() >= next_copy:
            copy_back(runs_dir, processes, out)
            next_copy = time.time() + args.copy_every
    for process in processes.values():
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
    for name, process in processes.items():
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        print(f"{name}: exit code {process.returncode}", flush=True)
    copy_back(runs_dir, processes, out)
    for name in processes:
        print(f"--- {name}: last lines of train.log", flush=True)
        log = runs_dir / name / "train.log"
        print("\n".join(log.read_text().splitlines()[-6:]) if log.exists() else "(no log)", flush=True)


def describe_machine(env: dict[str, str]) -> dict:
    probe = (
        "import json, os, torch, envpool; "
        "print(json.dumps({'torch': torch.__version__, 'cuda': torch.cuda.is_available(), "
        "'gpu': torch.cuda.get_device_name(0) if torch.cuda.is_available() else None, "
        "'cpus': os.cpu_count(), 'envpool': envpool.__version__, "
        "'procgen': 'CoinrunHard-v0' in envpool.list_all_envs()}))"
    )
    found = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    if found.returncode != 0:
        sys.exit(f"the machine cannot run duo: {found.stderr.strip().splitlines()[-1]}")
    return json.loads(found.stdout)


def copy_back(runs_dir: Path, processes: dict, out: Path) -> None:
    """Each run's resume point and a small archive of its logs, replaced atomically in ``out``."""
    for name in processes:
        folder = runs_dir / name
        if not (folder / "last.ckpt").exists():
            continue
        replace_atomically(folder / "last.ckpt", out / f"{name}.last.ckpt")
        with (
            tempfile.NamedTemporaryFile(dir=out, prefix=".", suffix=".tmp", delete=False) as tmp,
            tarfile.open(fileobj=tmp, mode="w:gz") as archive,
        ):
            for item in sorted(folder.iterdir()):
                if item.name != "last.ckpt" and not item.name.startswith("."):
                    archive.add(item, arcname=item.name)
        os.replace(tmp.name, out / f"{name}.run.tar.gz")
        print(f"[{time.strftime('%H:%M:%S')}] {name}: copied its last save", flush=True)
    if shutil.which("nvidia-smi"):
        query = ["nvidia-smi", "--query-gpu=utilization.gpu,memory.used", "--format=csv,noheader"]
        print(
            "  gpu utilization, memory:", subprocess.run(query, capture_output=True, text=True).stdout.strip()
        )


def replace_atomically(source: Path, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.tmp")
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)


def collect(returned: Path) -> None:
    """Turn the files a GPU run returned into experiment folders under experiments/zoo, each with
    a line in its ``machines.jsonl``: the machine that trained it from the step it started at."""
    machine_file = returned / "machine.json"
    machine = json.loads(machine_file.read_text()) if machine_file.exists() else None
    for archive in sorted(returned.glob("*.run.tar.gz")):
        name = archive.name.removesuffix(".run.tar.gz")
        checkpoint = returned / f"{name}.last.ckpt"
        if not checkpoint.exists():
            sys.exit(f"{archive} came back without its {checkpoint.name}")
        folder = EXPERIMENTS / name
        if folder.exists() and not (folder / MARKER).exists():
            sys.exit(f"{folder} is not a run folder duo made (no {MARKER}): move it away, then collect again")
        staging = EXPERIMENTS / f".{name}.collecting"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        with tarfile.open(archive) as tar:
            tar.extractall(staging, filter="data")
        shutil.copyfile(checkpoint, staging / "last.ckpt")
        (staging / MARKER).touch()  # a run folder duo made: resume=1 may continue it
        if machine is not None:
            history = folder / "machines.jsonl"
            earlier = history.read_text() if history.exists() else ""
            line = json.dumps({"from_step": started_at(staging / "train.log"), **machine})
            (staging / "machines.jsonl").write_text(earlier + line + "\n")
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)
        print(f"collected {folder}")


def started_at(train_log: Path) -> int:
    """The step the returned command began at: its last resume, or 0 for a new run."""
    resumes = re.findall(r"resumed from .* step (\d+)", train_log.read_text()) if train_log.exists() else []
    return int(resumes[-1]) if resumes else 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="action", required=True)
    pack = sub.add_parser("bundle", help="pack the GPU machine's missing packages into .gpu/")
    pack.add_argument("--python-version", default=PYTHON_VERSION)
    pack.add_argument("--target", type=Path, default=BUNDLE)
    train = sub.add_parser("run", help="train the Procgen agents side by side until --minutes")
    train.add_argument("--minutes", type=float, default=8.2, help="training wall time (default: 8.2)")
    train.add_argument("--steps", type=int, default=25_000_000, help="steps per agent, if time allows")
    train.add_argument("--copy-every", type=float, default=60.0, help="seconds between copies to $OUT")
    train.add_argument(
        "--dry-run", action="store_true", help="tiny budget on the CPU, this machine's packages"
    )
    train.add_argument("--resume", action="store_true", help="continue the runs in experiments/zoo")
    train.add_argument("--agents", nargs="*", default=[], help=f"agent name prefixes (default: {PAIRS})")
    train.add_argument("--scratch", default="/tmp/duo_gpu", help="where runs are trained")
    train.add_argument("--out", default="/tmp/duo_gpu/out", help="returned files, when $OUT is unset")
    train.add_argument("--set", nargs="*", default=[], help="extra key=value overrides")
    back = sub.add_parser("collect", help="unpack returned files into experiments/zoo")
    back.add_argument("returned", type=Path)
    args = parser.parse_args()
    if args.action == "bundle":
        bundle(args.python_version, args.target)
    elif args.action == "run":
        run(args)
    else:
        collect(args.returned)


if __name__ == "__main__":
    main()
