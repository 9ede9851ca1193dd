"""A fixed-seed coordinator run gives the metrics it gave before the speed work (issue 6).

Speed changes (rollout storage, sampling, minibatch gathering) must leave the numbers alone:
these values were recorded with the code before them, on MiniGrid with the shipped agents.
Re-recorded on purpose twice since: when the test evaluation became seeded, and when evaluation
began to step only the copies still playing (the same distribution, other samples) and to give
back the random state it found (so the training after a validation no longer depends on it).
"""

import json

import pytest

from duo_ai.cli.main import main

PINNED = {
    "2048/train/action_1_fraction": 0.4984771573604061,
    "2048/train/approx_kl": 0.007998036230674188,
    "2048/train/clipfrac": 0.038985097547993064,
    "2048/train/entropy": 0.6849875021725893,
    "2048/train/explained_variance": 0.14366662502288818,
    "2048/train/episode_length": 22.60759493670886,
    "2048/train/episode_reward": 0.5442944194680812,
    "2048/train/episode_base_reward": 0.8452983709830272,  # recorded since, on the same run
    "2048/train/grad_norm": 0.23233642429113388,
    "2048/train/approx_kl_max": 0.01855204626917839,
    "2048/train/grad_norm_max": 0.9127053022384644,
    "2048/train/episodes": 79,
    "2048/train/policy_loss": -0.004278439976823312,
    "2048/train/value_loss": 0.02332549320999533,
    "2048/val_sim/action_1_fraction": 0.5802469135802469,
    "2048/val_sim/base_reward_ci": 0.11325601044295258,
    "2048/val_sim/base_reward_mean": 0.8656249977648258,
    "2048/val_sim/base_reward_std": 0.23113471518969916,
    "2048/val_sim/episode_length_max": 29.0,
    "2048/val_sim/episode_length_mean": 20.25,
    "2048/val_sim/episode_length_min": 2.0,
    "2048/val_sim/num_cut": 0,
    "2048/val_sim/num_episodes": 16,
    "2048/val_sim/reward_ci": 0.0759539954046162,
    "2048/val_sim/reward_mean": 0.5488371088830246,
    "2048/val_sim/reward_std": 0.15500815388697184,
    "2048/val_sim/steps": 324,
    "4096/train/action_1_fraction": 0.5772190867111339,
    "4096/train/approx_kl": 0.008126318259542131,
    "4096/train/clipfrac": 0.08824440848547965,
    "4096/train/entropy": 0.655166782438755,
    "4096/train/explained_variance": 0.6243157386779785,
    "4096/train/episode_length": 20.21212121212121,
    "4096/train/episode_reward": 0.5747353479065908,
    "4096/train/episode_base_reward": 0.8879148641017952,
    "4096/train/grad_norm": 0.33576580486260355,
    "4096/train/approx_kl_max": 0.016542403027415276,
    "4096/train/grad_norm_max": 0.6616919636726379,
    "4096/train/episodes": 99,
    "4096/train/policy_loss": -0.006349395474082975,
    "4096/train/value_loss": 0.010876268570427783,
    "4096/val_sim/action_1_fraction": 0.635483870967742,
    "4096/val_sim/base_reward_ci": 0.006728595376585996,
    "4096/val_sim/base_reward_mean": 0.9308035708963871,
    "4096/val_sim/base_reward_std": 0.013731827299155095,
    "4096/val_sim/episode_length_max": 28.0,
    "4096/val_sim/episode_length_mean": 19.375,
    "4096/val_sim/episode_length_min": 15.0,
    "4096/val_sim/num_cut": 0,
    "4096/val_sim/num_episodes": 16,
    "4096/val_sim/reward_ci": 0.03141482228861049,
    "4096/val_sim/reward_mean": 0.5988503043553506,
    "4096/val_sim/reward_std": 0.06411188222165407,
    "4096/val_sim/steps": 310,
    "test/reward_mean": 0.3634606292633955,
}


def test_fixed_seed_coordinator_run_keeps_its_metrics(tmp_path):
    args = [
        "train", "--type", "coord", "--config", "configs/minigrid_distshift.yaml", f"experiment_dir={tmp_path}",
        "name=pinned", "seed=7", "algorithm.total_timesteps=4096", "algorithm.log_freq=1",
        "evaluation.num_episodes=16", "validation_splits=[val_sim]",
        # the PPO settings these values were pinned with (before the coordinator recipe changed)
        "algorithm.norm_adv=true", "algorithm.ent_coef=0.01", "algorithm.anneal_lr=false",
    ]  # fmt: skip
    assert main(args) == 0
    rows = [json.loads(line) for line in (tmp_path / "pinned" / "metrics.jsonl").read_text().splitlines()]
    metrics = {
        f"{row['step']}/{key}": value
        for row in rows
        for key, value in row.items()
        if key not in ("step", "time") and "per_second" not in key
    }
    test = json.loads((tmp_path / "pinned" / "test_result.json").read_text())
    metrics["test/reward_mean"] = test["test"]["reward_mean"] if "test" in test else test["reward_mean"]
    # approx_kl is a mean of float32 differences of near-equal numbers: summation order (threads, SIMD)
    # moves it by ~1e-6, hence the absolute margin; a change of semantics moves metrics far more.
    assert metrics == pytest.approx(PINNED, rel=1e-5, abs=1e-5)
