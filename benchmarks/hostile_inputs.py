"""The hostile-input table: inputs a careless or hostile user types, each with the one-line
error it must get. Shared by tests/cli/test_bad_input.py and benchmarks/reliability.py."""

import copy
import shutil
from pathlib import Path

import torch

REPO_BASE = f"base: {Path(__file__).resolve().parents[1] / 'configs' / 'minigrid_distshift.yaml'}\n"

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

# Every other command, and the settings a typo or a wrong type reaches (the messages are checked
# as substrings, like the ones above).
MORE = {
    "report a folder that does not exist": (["report", "{tmp}/nowhere"], "report: no such folder"),
    "report a folder without runs": (["report", "{tmp}/experiments/mine"], "report: no finished run"),
    "plot a folder that does not exist": (["plot", "{tmp}/nowhere"], "plot: no such folder"),
    "plot a folder without runs": (["plot", "{tmp}/experiments/mine"], "plot: no readable run"),
    "plot over a file of the user's": (
        ["plot", "{tmp}/experiments/previous", "--out", "{tmp}/empty.yaml"],
        "is not a figure duo plot wrote",
    ),
    "plot an unknown split": (
        ["plot", "{tmp}/experiments/previous", "--splits", "tset"],
        "plot: unknown split tset; valid choices",
    ),
    "convert a file that does not exist": (["convert", "{tmp}/none.ckpt"], "no reference checkpoint at"),
    "convert junk": (["convert", "{tmp}/junk.ckpt"], "is not a torch checkpoint"),
    "convert a duo checkpoint": (
        ["convert", "{tmp}/experiments/previous/last.ckpt"],
        "is not a checkpoint of duo-ai 1.0.1",
    ),
    "sweep a file that does not exist": (["sweep", "{tmp}/none.yaml"], "config file not found"),
    "sweep an empty file": (["sweep", "{tmp}/empty.yaml"], "is empty"),
    "sweep a file not in UTF-8": (["sweep", "{tmp}/latin1.yaml"], "is not a UTF-8 text file"),
    "sweep with an unknown key": (["sweep", "{tmp}/sweep_typo.yaml"], "unknown sweep key 'grdi'"),
    "sweep with NaN CPUs": (["sweep", "{tmp}/sweep_nan.yaml"], "resources.cpu"),
    "sweep with a grid that is no list": (
        ["sweep", "{tmp}/sweep_scalar.yaml"],
        "grid.seed: expected a non-empty list, got 0",
    ),
    "sweep without a base": (
        ["sweep", "{tmp}/sweep_nobase.yaml"],
        "'base' (the config every trial starts from) is required",
    ),
    "oracle on a suite it cannot solve": (
        ["oracle"],
        "the exact optimum is computed for minigrid tasks, not 'toy'",
    ),
    "oracle over no layout": (
        [
            "oracle",
            "env.name=minigrid",
            "test_novice=zoo:minigrid/distshift/novice",
            "test_expert=zoo:minigrid/distshift/expert",
            "--layouts",
            "0",
        ],
        "--layouts: the optimum averages at least 1 layout, got 0",
    ),
    "oracle over negative layouts": (
        [
            "oracle",
            "env.name=minigrid",
            "test_novice=zoo:minigrid/distshift/novice",
            "test_expert=zoo:minigrid/distshift/expert",
            "--layouts",
            "-3",
        ],
        "got -3",
    ),
    "oracle at a NaN cost weight": (
        ["oracle", "env.name=minigrid", "coordination.expert_query_cost_weight=nan"],
        "must be a finite number, got nan",
    ),
    "oracle without test agents": (
        ["oracle", "env.name=minigrid"],
        "test_novice: the optimum is over coordinations of the test agents",
    ),
    "calibrate with a missing expert": (["calibrate", "test_expert={tmp}/none.ckpt"], "checkpoint not found"),
    "eval an unknown split": (
        ["eval", "policy.load_path={tmp}/experiments/previous/last.ckpt", "eval_splits=[tset]"],
        "eval_splits: split tset is unknown",
    ),
    "eval no episodes": (
        ["eval", "policy.load_path={tmp}/experiments/previous/last.ckpt", "evaluation.num_episodes=0"],
        "evaluation.num_episodes: must be >= 1, got 0",
    ),
    "eval negative episodes": (
        ["eval", "policy.load_path={tmp}/experiments/previous/last.ckpt", "evaluation.num_episodes=-4"],
        "evaluation.num_episodes: must be >= 1, got -4",
    ),
    "eval a negative temperature": (
        ["eval", "policy.load_path={tmp}/experiments/previous/last.ckpt", "evaluation.temperature=-1"],
        "evaluation.temperature: must be >= 0",
    ),
    "films of an agent": (
        ["eval", "policy.load_path={tmp}/experiments/previous/last.ckpt", "--video", "2"],
        "so they film coordinators (--type coord)",
    ),
    "misspelled key": (["train", "algorithm.totl=3"], "unknown config key 'algorithm.totl'"),
    "unknown policy": (["train", "policy.name=pppo"], "unknown policy 'pppo' for policy.name"),
    "unknown algorithm": (["train", "algorithm.name=dqn"], "unknown algorithm 'dqn' for algorithm.name"),
    "unknown model": (["train", "policy.model.name=resnet"], "unknown model 'resnet' for policy.model.name"),
    "unknown env suite": (["train", "env.name=atari"], "unknown environment 'atari' for env.name"),
    "no copies": (["train", "env.num_envs=0"], "env.num_envs: must be >= 1, got 0"),
    "no rollout steps": (["train", "algorithm.num_steps=0"], "algorithm.num_steps: must be >= 1, got 0"),
    "negative budget": (["train", "algorithm.total_timesteps=-5"], "algorithm.total_timesteps: must be >= 1"),
    "negative learning rate": (
        ["train", "algorithm.learning_rate=-1"],
        "algorithm.learning_rate: must be > 0",
    ),
    "gamma above one": (["train", "algorithm.gamma=1.5"], "algorithm.gamma: must be <= 1"),
    "NaN clip": (["train", "algorithm.clip_coef=nan"], "algorithm.clip_coef: must be a finite number"),
    "unknown device": (["train", "device=quantum"], "device: 'quantum' is not a torch device"),
    "negative threads": (["train", "torch_threads=-1"], "torch_threads: must be >= 0"),
    "selecting on an unvalidated split": (
        ["train", "selection_split=val_true", "validation_splits=[val_sim]"],
        "selection_split: 'val_true' is not validated",
    ),
    "unknown pairing": (["train", "simulated_pairing=oracle"], "simulated_pairing: 'oracle' is not valid"),
    "a list for a number": (["train", "algorithm.num_steps=[1,2]"], "algorithm.num_steps"),
    "a mapping for a number": (["train", "algorithm.gamma={a: 1}"], "algorithm.gamma"),
    "a word for a switch": (["train", "overwrite=maybe"], "overwrite: Value 'maybe' is not a valid bool"),
    "a coordinator with a missing novice": (
        ["train", "--type", "coord", "train_novice={tmp}/none.ckpt"],
        "checkpoint not found",
    ),
    "a coordinator without its agents": (
        ["train", "--type", "coord"],
        "a checkpoint path is required to train or evaluate a coordinator",
    ),
    "an unknown zoo name": (["eval", "policy.load_path=zoo:nothing/here/novice"], "zoo"),
    "watch without a checkpoint": (["watch"], "policy.load_path: a 'ppo' policy is learned"),
    "watch no episodes": (
        ["watch", "policy.load_path={tmp}/experiments/previous/last.ckpt", "--episodes", "0"],
        "--episodes and --fps must be at least 1",
    ),
    "watch an unknown split": (
        ["watch", "policy.load_path={tmp}/experiments/previous/last.ckpt", "--split", "tset"],
        "--split: split tset is unknown",
    ),
    "config with a misspelled key": (["config", "evaluation.num_episode=3"], "did you mean 'num_episodes'?"),
    "config with a number for a section": (
        ["config", "evaluation=3"],
        "evaluation: expected a mapping of keys, got 3",
    ),
    "plot into a file that is no picture": (
        ["plot", "{tmp}/experiments/previous", "--out", "{tmp}/curves.txt"],
        "--out must name a .png file",
    ),
    "config from a missing file": (["config", "--config", "{tmp}/none.yaml"], "config file not found"),
}
HOSTILE.update(MORE)
FRESH_PROBE = {  # inputs first tried in the fresh probe of issue 28 (round three)
    "an evaluation name that leaves the folder": (
        ["eval", "policy.load_path={tmp}/experiments/previous/last.ckpt", "eval_name=../escape"],
        "eval_name: '../escape' is not a file name",
    ),
    "a billion copies": (["train", "env.num_envs=1000000000"], "env.num_envs: must be <= 65536"),
    "a rollout larger than memory": (
        ["train", "algorithm.num_steps=1000000000"],
        "algorithm.num_steps x env.num_envs: a rollout of 1000000000 steps of 4 copies needs",
    ),
    "more minibatches than samples": (
        ["train", "algorithm.num_minibatches=1000"],
        "algorithm.num_minibatches: 1000 minibatches of a rollout of 32 samples",
    ),
    "a folder as the config": (["train", "--config", "{tmp}/experiments"], "is a folder, not a config file"),
    "a file as the experiment folder": (
        ["train", "experiment_dir={tmp}/empty.yaml"],
        "empty.yaml is a file, not a folder",
    ),
    "a word for a number flag": (["oracle", "--layouts", "many"], "invalid int value: 'many'"),
    "an unknown command": (["trian"], "invalid choice: 'trian'"),
    "a sweep whose trial names leave the folder": (
        ["sweep", "{tmp}/sweep_escape.yaml"],
        "'../x0' is not a run name",
    ),
    "a sweep into a file": (["sweep", "{tmp}/sweep_into_file.yaml"], "empty.yaml is a file, not a folder"),
}
HOSTILE.update(FRESH_PROBE)


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
    base = "base: configs/minigrid_distshift.yaml\n"
    for name, text in (("sweep_typo.yaml", base + "grdi: {seed: [0]}\n"),
                       ("sweep_nan.yaml", base + "grid: {seed: [0]}\nresources: {cpu: .nan}\n"),
                       ("sweep_scalar.yaml", base + "grid: {seed: 0}\n"),
                       ("sweep_nobase.yaml", "grid: {seed: [0]}\n"),
                       ("sweep_escape.yaml", REPO_BASE + "grid: {seed: [0]}\nname: '../x{seed}'\n"),
                       ("sweep_into_file.yaml", REPO_BASE + f"grid: {{seed: [0]}}\nexperiment_dir: {root / 'empty.yaml'}\n")):  # fmt: skip
        (root / name).write_text(text)
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
    """The case's ``duo`` arguments (after the program name): a run's commands get the toy run's
    settings and the workspace's experiment_dir, the commands on files their arguments only."""
    verb, *rest = (arg.replace("{tmp}", str(root)) for arg in HOSTILE[case][0])
    if verb in ("report", "plot", "convert", "sweep"):
        return [verb, *rest]
    kind = ["--type", "agent"] if verb in ("train", "eval") and "--type" not in rest else []
    return [verb, *kind, *TOY_RUN, f"experiment_dir={experiments}", *rest]


def disk(folder: Path) -> dict[Path, bytes]:
    """Every file under ``folder`` with its bytes."""
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
