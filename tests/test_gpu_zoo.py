"""scripts/gpu_zoo.py collect: returned GPU runs become run folders, each with its machines."""

import importlib.util
import json
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def gpu_zoo(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("gpu_zoo", ROOT / "scripts" / "gpu_zoo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "EXPERIMENTS", tmp_path / "experiments" / "zoo")
    return module


def returned(folder: Path, train_log: str, gpu: str) -> Path:
    """What a GPU run sends back for one agent run."""
    folder.mkdir(parents=True)
    run = folder / "run"
    run.mkdir()
    (run / "train.log").write_text(train_log)
    (run / "metrics.jsonl").write_text("")
    with tarfile.open(folder / "agent.run.tar.gz", "w:gz") as archive:
        for item in run.iterdir():
            archive.add(item, arcname=item.name)
    (folder / "agent.last.ckpt").write_bytes(b"weights")
    machine = {"gpu": gpu, "cpus": 16, "trained_together": ["agent"]}
    (folder / "machine.json").write_text(json.dumps(machine))
    return folder


def test_each_collect_records_the_machine_from_the_step_it_started(gpu_zoo, tmp_path):
    gpu_zoo.collect(returned(tmp_path / "first", "[0:00:00 INFO]: train run\n", "H100"))
    resumed_log = "[0:00:00 INFO]: resumed from /tmp/x/last.ckpt at iteration 3, step 98304\n"
    gpu_zoo.collect(returned(tmp_path / "second", resumed_log, "H200"))
    folder = gpu_zoo.EXPERIMENTS / "agent"
    lines = [json.loads(line) for line in (folder / "machines.jsonl").read_text().splitlines()]
    assert [(line["from_step"], line["gpu"]) for line in lines] == [(0, "H100"), (98304, "H200")]
    assert (folder / "last.ckpt").read_bytes() == b"weights" and (folder / gpu_zoo.MARKER).exists()


def test_collect_never_replaces_a_folder_duo_did_not_make(gpu_zoo, tmp_path):
    mine = gpu_zoo.EXPERIMENTS / "agent"
    mine.mkdir(parents=True)
    (mine / "notes.txt").write_text("mine")
    with pytest.raises(SystemExit, match="not a run folder duo made"):
        gpu_zoo.collect(returned(tmp_path / "back", "", "H100"))
    assert (mine / "notes.txt").read_text() == "mine"
