"""A result records the code that wrote it: the commit, marked where the package was edited."""

import subprocess
from importlib import metadata

import pytest

from duo_ai import provenance


def git(folder, *args):
    identity = ["-c", "user.name=duo", "-c", "user.email=duo@example.org"]
    return subprocess.run(["git", "-C", str(folder), *identity, *args], check=True, capture_output=True,
                          text=True).stdout.strip()  # fmt: skip


@pytest.fixture(autouse=True)
def fresh_process():
    """Each test reads the version as a process starting would (it is read once a process)."""
    provenance.code_version.cache_clear()
    yield
    provenance.code_version.cache_clear()


@pytest.fixture
def checkout(tmp_path, monkeypatch):
    """A git checkout holding a package folder, which code_version reads as duo's own."""
    package = tmp_path / "repo" / "duo_ai"
    package.mkdir(parents=True)
    (package / "module.py").write_text("x = 1\n")
    git(tmp_path / "repo", "init", "-q")
    git(tmp_path / "repo", "add", ".")
    git(tmp_path / "repo", "commit", "-q", "-m", "first")
    monkeypatch.setattr(provenance, "PACKAGE", package)
    return package


def test_a_clean_checkout_is_its_commit(checkout):
    assert provenance.code_version() == git(checkout, "rev-parse", "HEAD")[:7]


def test_edits_to_the_package_are_marked_and_edits_beside_it_are_not(checkout):
    commit = git(checkout, "rev-parse", "HEAD")[:7]
    (checkout.parent / "notes.txt").write_text("not duo's code")
    assert provenance.code_version() == commit
    (checkout / "module.py").write_text("x = 2\n")
    assert provenance.code_version() == commit  # read once: the code this process started with
    provenance.code_version.cache_clear()  # a process started now
    assert provenance.code_version() == commit + "+modified"


def test_an_installed_copy_is_its_package_version(tmp_path, monkeypatch):
    monkeypatch.setattr(provenance, "PACKAGE", tmp_path)  # no git checkout here
    assert provenance.code_version() == f"duo_ai {metadata.version('duo_ai')}"
