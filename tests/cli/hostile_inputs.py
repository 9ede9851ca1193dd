"""The hostile-input table: inputs a careless or hostile user types, each with the one-line
error it must get. Shared by tests/cli/test_bad_input.py and benchmarks/reliability.py."""

import copy
import shutil
from pathlib import Path

import torch

# Each is refused with exit status 2 and one line on stderr, and nothing on disk changes (the
# run folder opens only once every input has loaded).
TOY_RUN = ["env.name=toy", "policy.name=ppo", "policy.model.name=mlp_ppo", "env.num_envs=4",
           "algorithm.num_steps=8", "algorithm.total_timesteps=64", "evaluation.num_episodes=4"]  # fmt: skip
HOSTILE = {
    "name escapes upwards": (["train", "name=..", "overwrite=1"], "is not a run name"),
    "empty name": (["train", "name=''", "overwrite=1"], "is not a run name"),
    "absolute name": (["train", "name={tmp}/elsewhere", "overwrite=1"], "is not a run name"),
    "overwrite a folder of the user's": (["train", "name=mine", "overwrite=1"], "duo did not write"),
    "resume a folder of the user's": (["train", "name=mine", "resume=1"], "duo did not write"),
    "resume with other copies": (
        ["train", "name=previous", "resume=1", "env.num_envs=2"],
        "env.num_envs: 4 -> 2",
    ),
    "overwrite, then an env that cannot be made": (
        ["train", "name=previous", "overwrite=1", "env.name=gym", "env.task=NoSuchEnv-v0"],
        "unknown Gymnasium environment id 'NoSuchEnv-v0'",
    ),
    "NaN cost weight": (["train", "coordination.expert_query_cost_weight=nan"], "must be a finite number"),
    "infinite learning rate": (["train", "algorithm.learning_rate=inf"], "must be a finite number"),
    "NaN gamma": (["train", "algorithm.gamma=nan"], "must be a finite number"),
    "NaN temperature": (["train", "evaluation.temperature=nan"], "must be a finite number"),
    "seed out of range": (["train", "seed=4294967296"], "seed: must be <="),
    "malformed override": (
        ["train", "validation_splits=[val_sim"],
        "malformed override 'validation_splits=[val_sim'",
    ),
    "config not UTF-8": (["train", "--config", "{tmp}/latin1.yaml"], "is not a UTF-8 text file"),
    "empty config": (["train", "--config", "{tmp}/empty.yaml"], "is empty"),
    "duplicate keys": (["train", "--config", "{tmp}/twice.yaml"], "duplicate key 'seed'"),
    "validating on the training env": (
        ["train", "validation_splits=[train]"],
        "split train is not valid here",
    ),
    "training ignores a checkpoint": (["train", "policy.load_path={tmp}/x.ckpt"], "policy.load_path"),
    "eval without a checkpoint": (["eval"], "policy.load_path: a 'ppo' policy is learned"),
    "eval a corrupt checkpoint": (["eval", "policy.load_path={tmp}/junk.ckpt"], "corrupt or unreadable"),
    "checkpoint missing keys": (
        ["eval", "policy.load_path={tmp}/nokeys.ckpt"],
        "is incomplete: it has no params",
    ),
    "checkpoint with NaN weights": (
        ["eval", "policy.load_path={tmp}/nan.ckpt"],
        "non-finite (NaN or infinite)",
    ),
    "checkpoint asking for a huge model": (
        ["eval", "policy.load_path={tmp}/huge.ckpt"],
        "its stored model config builds 10,075,004 parameters but it holds 4,868",
    ),
    "calibration from too few episodes": (
        ["calibrate", "test_expert={tmp}/experiments/previous/last.ckpt"],
        "calibration needs at least 32 complete episodes",
    ),
    "continuous actions": (
        ["train", "env.name=gym", "env.task=Pendulum-v1", "policy.model.name=mlp_ppo"],
        "duo's agents need a Discrete one",
    ),
    "bad gym kwargs": (
        ["train", "env.name=gym", "env.task=CartPole-v1", "env.kwargs.nope=1"],
        "env.kwargs: gymnasium.make('CartPole-v1') refused",
    ),
}


def prepare_workspace(root: Path, previous_run: Path) -> Path:
    """A user's workspace: a finished duo run, a folder of the user's own, and bad files.
    Returns the experiment_dir."""
    experiments = root / "experiments"
    shutil.copytree(previous_run, experiments / "previous")
    (experiments / "mine").mkdir()
    (experiments / "mine" / "config.yaml").write_text("the user's own file\n")
    (root / "latin1.yaml").write_bytes("name: caf\xe9\n".encode("latin-1"))
    (root / "empty.yaml").write_text("")
    (root / "twice.yaml").write_text("seed: 1\nseed: 2\n")
    (root / "junk.ckpt").write_bytes(b"not a checkpoint")
    payload = torch.load(previous_run / "last.ckpt", weights_only=True)
    torch.save({"format": payload["format"], "version": payload["version"], "policy": payload["policy"],
                "observation_space": payload["observation_space"], "action_space": payload["action_space"]},
               root / "nokeys.ckpt")  # fmt: skip
    nan = {**payload, "params": {k: torch.full_like(v, float("nan")) for k, v in payload["params"].items()}}
    torch.save(nan, root / "nan.ckpt")
    huge = copy.deepcopy(payload)
    huge["policy"]["config"]["model"]["hidden_sizes"] = [10_000, 1_000]
    torch.save(huge, root / "huge.ckpt")
    return experiments


def command_line(case: str, root: Path, experiments: Path) -> list[str]:
    """The case's ``duo`` arguments (after the program name)."""
    verb, *rest = (arg.replace("{tmp}", str(root)) for arg in HOSTILE[case][0])
    kind = ["--type", "agent"] if verb in ("train", "eval") else []
    return [verb, *kind, *TOY_RUN, f"experiment_dir={experiments}", *rest]


def disk(folder: Path) -> dict[Path, bytes]:
    """Every file under ``folder`` with its bytes."""
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
