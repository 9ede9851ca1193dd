"""Every config key and value of the reference (duo-ai 1.0.1) that duo reads, and those it refuses."""

import pytest
import torch

from duo_ai.config import load_config
from duo_ai.errors import ConfigError

# reference overrides -> (duo key, the value it must hold)
READ_AS_DUO = [
    (["device=-1"], "device", "cpu"),
    (["policy.name=pyod", "algorithm.name=pyod"], "policy.name", "ood"),
    (["policy.name=pyod", "algorithm.name=pyod"], "algorithm.name", "ood"),
    (["policy.name=pyod", "algorithm.name=pyod", "policy.method=deepsvdd.DeepSVDD"], "policy.detector", "DeepSVDD"),
    (["policy.name=pyod", "algorithm.name=pyod", "policy.method=knn.KNN", "policy.pyod_config={n_neighbors: 3}"],
     "policy.detector_kwargs", {"n_neighbors": 3}),
    (["policy.name=logit", "algorithm.name=logit", "policy.temperature=2.0"], "policy.score_temperature", 2.0),
    (["policy.name=logit", "algorithm.name=logit", "algorithm.score_temps=[3.0]"], "policy.score_temperature", 3.0),
    (["env.name=minigrid", "env.train=DistShift2-v0"], "env.train.task", "MiniGrid-DistShift2-v0"),
    (["env.name=minigrid", "env.test=MiniGrid-LavaGapS7-v0"], "env.test.task", "MiniGrid-LavaGapS7-v0"),
]  # fmt: skip

REFUSED = [
    (["algorithm.name=logit", "algorithm.num_rollouts=64"], "algorithm.rollout_steps"),
    (["algorithm.name=ood", "algorithm.accept_rate=0.05"], "algorithm.percentiles"),
    (["algorithm.critic_pretrain_steps=100"], "remove the key"),
    (["algorithm.log_action_id=1"], "remove the key"),
    (["eval_mode=1"], "duo eval"),
    (["algorithm.name=logit", "algorithm.score_temps=[1.0,2.0]"], "policy.score_temperature=T"),
]


@pytest.mark.parametrize(("overrides", "key", "value"), READ_AS_DUO)
def test_reference_keys_are_read_as_duos_with_a_note(overrides, key, value, caplog):
    config = load_config(None, overrides)
    held = config
    for part in key.split("."):
        held = held[part]
    assert (dict(held) if isinstance(value, dict) else held) == value
    assert any("(duo-ai 1.0.1) is" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(("overrides", "replacement"), REFUSED)
def test_reference_keys_without_a_counterpart_name_the_replacement(overrides, replacement):
    with pytest.raises(ConfigError, match="duo-ai 1.0.1") as error:
        load_config(None, overrides)
    assert replacement in str(error.value) and "\n" not in str(error.value)


def test_a_reference_device_index_is_a_cuda_device():
    if torch.cuda.is_available():
        assert load_config(None, ["device=0"]).device == "cuda:0"
    else:
        with pytest.raises(ConfigError, match="device: 'cuda:0' asked for but CUDA is not available"):
            load_config(None, ["device=0"])
