"""Explored layouts are kept on disk: the next process reads them back exactly, and a bad file
or an unwritable folder costs a search, never a wrong layout."""

import numpy as np
import pytest

from duo_ai.coordination import layout_cache, oracle

TASK = "MiniGrid-LavaGapS5-v0"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DUO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(oracle, "_EXPLORED", {})  # a new process
    return tmp_path / "cache" / "layouts"


def same(a, b):
    return all(
        np.array_equal(getattr(a, f), getattr(b, f)) for f in ("observations", "next_state", "success")
    ) and (
        a.max_steps,
        a.start,
    ) == (b.max_steps, b.start)


def test_a_layout_searched_once_is_read_back_exactly_by_the_next_process(cache, monkeypatch):
    first = oracle.task_layouts(TASK, 2)
    assert len(list(cache.glob("*.npz"))) == 2 and not list(cache.glob("*.partial"))
    monkeypatch.setattr(oracle, "_EXPLORED", {})
    monkeypatch.setattr(oracle, "explore", lambda env: pytest.fail("searched again"))
    again = oracle.task_layouts(TASK, 2)
    assert all(same(a, b) for a, b in zip(first, again, strict=True))


def test_an_unreadable_file_is_searched_again_and_left_alone(cache, monkeypatch):
    (layout,) = oracle.task_layouts(TASK, 1)
    (path,) = cache.glob("*.npz")
    path.write_bytes(b"not an archive")
    monkeypatch.setattr(oracle, "_EXPLORED", {})
    (again,) = oracle.task_layouts(TASK, 1)
    assert same(layout, again) and path.read_bytes() == b"not an archive"


def test_the_cache_can_be_turned_off_or_be_unwritable(cache, tmp_path, monkeypatch):
    monkeypatch.setenv("DUO_CACHE_DIR", "off")
    oracle.task_layouts(TASK, 1)
    assert layout_cache.cache_folder() is None and not cache.exists()
    blocked = tmp_path / "file"
    blocked.write_text("a file where the folder would go")
    monkeypatch.setenv("DUO_CACHE_DIR", str(blocked))
    monkeypatch.setattr(oracle, "_EXPLORED", {})
    assert len(oracle.task_layouts(TASK, 1)) == 1  # searched, not kept
