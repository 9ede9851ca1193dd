"""A run's torch threads leave the cores that other work keeps busy."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from duo_ai.threads import busy_cores, default_torch_threads


@pytest.mark.skipif(not Path("/proc/loadavg").exists(), reason="counts runnable tasks through Linux's /proc")
def test_cores_held_by_cpu_bound_processes_are_left_to_them():
    load = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        time.sleep(0.5)  # both are running
        assert busy_cores() >= 2
        assert default_torch_threads() <= max(1, (os.cpu_count() or 1) - 2)
    finally:
        for process in load:
            process.kill()
            process.wait()


def test_a_user_script_keeps_its_torch_threads_unless_it_asks(tmp_path):
    import torch

    import duo_ai

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(3)
        duo_ai.make_config(None, [f"experiment_dir={tmp_path}", "env.name=toy"])
        assert torch.get_num_threads() == 3  # another library's speed is left alone
        duo_ai.make_config(None, [f"experiment_dir={tmp_path}", "env.name=toy", "torch_threads=1"])
        assert torch.get_num_threads() == 1  # asked for
    finally:
        torch.set_num_threads(before)
