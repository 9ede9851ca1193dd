"""Callbacks see every iteration and validation, and can stop training with a resumable save."""

import duo_ai
from duo_ai.checkpoint import read_checkpoint
from tests.algorithms.test_ppo import agent_args, train_agent


class StopAt(duo_ai.Callback):
    def __init__(self, step):
        self.step, self.iterations, self.validations = step, [], []

    def on_iteration(self, step, metrics):
        self.iterations.append((step, "train/episode_reward" in metrics))
        return step >= self.step

    def on_validation(self, step, results):
        self.validations.append((step, sorted(results)))


def train_with(tmp_path, name, total, callback, *extra):
    config = duo_ai.make_config(None, agent_args(tmp_path, name, total, *extra))
    env = duo_ai.make_env(config.env, "train")
    policy = duo_ai.make_policy(config.policy, env)
    validators = {"val_sim": duo_ai.Evaluator(config.evaluation, duo_ai.make_env(config.env, "val_sim"))}
    duo_ai.make_algorithm(config.algorithm).train(policy, env, validators, callbacks=[callback])


def test_a_callback_sees_each_iteration_and_validation_and_stops_training(tmp_path):
    callback = StopAt(512)
    train_with(tmp_path, "stopped", 2048, callback, "algorithm.log_freq=2")
    assert callback.iterations == [(256, True), (512, True)]  # 8 copies x 32 steps an iteration
    assert callback.validations == [(512, ["val_sim"])]
    state = read_checkpoint(tmp_path / "stopped" / "last.ckpt")["training_state"]
    assert state["global_step"] == 512  # saved where it stopped: resume=1 continues
    train_agent(tmp_path, "stopped", 2048, "algorithm.log_freq=2", "resume=1")
    assert read_checkpoint(tmp_path / "stopped" / "last.ckpt")["training_state"]["global_step"] == 2048


def test_a_sweep_stops_when_a_callback_asks(tmp_path):
    class StopAtOnce(duo_ai.Callback):
        calls = 0

        def on_validation(self, step, results):
            self.calls += 1
            return True

    config = duo_ai.make_config(None, ["env.name=toy", "policy.name=random", "algorithm.name=random",
                                       "algorithm.probs=[0.0,0.5,1.0]", "name=sweep", "overwrite=1",
                                       f"experiment_dir={tmp_path}", "evaluation.num_episodes=4",
                                       "coordination.base_penalty=0.5"])  # fmt: skip
    callback = StopAtOnce()
    env = duo_ai.make_env(config.env, "train")
    policy = duo_ai.make_policy(config.policy, env)
    validators = {"val_sim": duo_ai.Evaluator(config.evaluation, duo_ai.make_env(config.env, "val_sim"))}
    duo_ai.make_algorithm(config.algorithm).train(policy, env, validators, callbacks=[callback])
    assert callback.calls == 1  # the other two probabilities were not tried
