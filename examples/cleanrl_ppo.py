"""Bring your own learner: a single-file PPO (in the style of CleanRL) trains a coordinator on
duo's CoordEnv through Gymnasium's vector API, and duo's Evaluator measures it on test.

    python examples/cleanrl_ppo.py --config configs/minigrid_distshift.yaml --steps 50000

duo gives the problem (the pairing's splits, the novice and expert, the costs); everything that
learns is here, in one file to change at will. CoordEnv resets a finished copy on the step after
(Gymnasium's next-step autoreset): that step's action is ignored and it is left out of the loss,
and the advantage chain stops at an episode's end (a cut episode is bootstrapped, an ended one is
not). For Stable-Baselines3 see ``duo_ai.adapters.sb3`` and docs/OWN_LEARNER.md.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from torch import nn

import duo_ai

KEYS = ("base_obs", "novice_logits")  # what the coordinator reads: the view and the novice's logits


def features(obs: dict[str, np.ndarray]) -> torch.Tensor:
    return torch.cat([torch.as_tensor(obs[key], dtype=torch.float32).flatten(1) for key in KEYS], dim=1)


def mlp(width: int, out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(width, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, out))


class Agent(nn.Module):
    """Separate actor and critic, as CleanRL's ppo.py has them."""

    def __init__(self, width: int):
        super().__init__()
        self.actor, self.critic = mlp(width, 2), mlp(width, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.distributions.Categorical, torch.Tensor]:
        return torch.distributions.Categorical(logits=self.actor(x)), self.critic(x).squeeze(-1)


class AsDuoPolicy:
    """The agent as duo's Evaluator calls a coordinator."""

    copy_aware = False

    def __init__(self, agent: Agent):
        self.agent = agent

    def act(self, obs: dict[str, np.ndarray], temperature: float = 1.0) -> np.ndarray:
        with torch.no_grad():
            return self.agent(features(obs))[0].sample().numpy()

    def reset(self, done: np.ndarray) -> None:
        pass

    def eval(self) -> AsDuoPolicy:
        return self


def train(
    env: duo_ai.CoordEnv,
    steps: int,
    num_steps: int = 128,
    gamma: float = 0.99,
    lam: float = 0.95,
    seed: int = 0,
) -> Agent:
    torch.manual_seed(seed)
    n = env.num_envs
    obs, _ = env.reset(seed=seed)
    agent = Agent(features(obs).shape[1])
    optimizer = torch.optim.Adam(agent.parameters(), lr=2.5e-4 * 4)
    resetting = np.zeros(n, bool)
    for iteration in range(max(1, steps // (num_steps * n))):
        batch = {k: [] for k in ("x", "action", "logprob", "value", "reward", "terminated", "ended", "valid")}
        for _ in range(num_steps):
            x = features(obs)
            with torch.no_grad():
                dist, value = agent(x)
            action = dist.sample()
            obs, reward, terminated, truncated, _ = env.step(action.numpy())
            for key, item in (("x", x), ("action", action), ("logprob", dist.log_prob(action)), ("value", value),
                              ("reward", torch.as_tensor(reward, dtype=torch.float32)),
                              ("terminated", torch.as_tensor(terminated, dtype=torch.float32)),
                              ("ended", torch.as_tensor(terminated | truncated, dtype=torch.float32)),
                              ("valid", torch.as_tensor(~resetting))):  # fmt: skip
                batch[key].append(item)
            resetting = terminated | truncated  # the next step of these copies only resets them
        b = {key: torch.stack(value) for key, value in batch.items()}
        with torch.no_grad():
            next_value = agent(features(obs))[1]
        values = torch.cat([b["value"], next_value[None]])
        advantages, running = torch.zeros_like(b["reward"]), torch.zeros(n)
        for t in reversed(range(num_steps)):
            delta = b["reward"][t] + gamma * values[t + 1] * (1 - b["terminated"][t]) - values[t]
            running = delta + gamma * lam * (1 - b["ended"][t]) * running
            advantages[t] = running
        valid = b["valid"].flatten()  # reset steps are no decisions: left out
        x, actions, logprobs = (
            b["x"].flatten(0, 1)[valid],
            b["action"].flatten()[valid],
            b["logprob"].flatten()[valid],
        )
        returns = (advantages + b["value"]).flatten()[valid]
        advantages = advantages.flatten()[valid]
        for _ in range(4):  # epochs, each over 4 minibatches
            for rows in torch.randperm(len(x)).chunk(4):
                dist, value = agent(x[rows])
                ratio = (dist.log_prob(actions[rows]) - logprobs[rows]).exp()
                adv = (advantages[rows] - advantages[rows].mean()) / (advantages[rows].std() + 1e-8)
                policy_loss = -torch.min(ratio * adv, ratio.clamp(0.8, 1.2) * adv).mean()
                value_loss = 0.5 * ((value - returns[rows]) ** 2).mean()
                loss = policy_loss + 0.5 * value_loss - 0.01 * dist.entropy().mean()
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(agent.parameters(), 0.5)
                optimizer.step()
        print(
            f"iteration {iteration + 1}: mean reward per step {b['reward'].flatten()[valid].mean():.3f}",
            flush=True,
        )
    return agent


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", default="configs/minigrid_distshift.yaml")
    parser.add_argument("--steps", type=int, default=50_000)
    parser.add_argument("overrides", nargs="*", help="key=value config overrides")
    args = parser.parse_args()
    config = duo_ai.load_config(args.config, ["coordination.open_novice=true", *args.overrides])
    envs = duo_ai.make_coord_envs(config, duo_ai.make_base_envs(config, ("train", "test")))
    agent = train(envs["train"], args.steps)
    summary = duo_ai.Evaluator(config.evaluation, envs["test"]).evaluate(AsDuoPolicy(agent))
    print(f"test: reward {summary['reward_mean']:.3f}, expert fraction {summary['action_1_fraction']:.2f}")


if __name__ == "__main__":
    main()
