"""Episode videos of a coordinator: where does it ask, and was it right to?

Each frame is the game's own picture of the state where a decision was made, framed in the
colour of the agent that acted (novice blue, expert magenta) under a banner with the step, the
step's cost and the running reward and base reward. On MiniGrid a second picture colours each
cell of the grid by how often the coordinator asked there. One copy of the env plays; the others
are left alone (``duo_ai.envs.copies``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from duo_ai.coordination.coord_env import CoordEnv
from duo_ai.envs.copies import copies_mask, reset_copies, step_copies, take
from duo_ai.envs.envpool_env import EnvpoolVectorEnv
from duo_ai.errors import EnvError
from duo_ai.evaluation.episodes import Episode, EpisodeTracker
from duo_ai.policies.base import EXPERT, NOVICE, Policy, act_on_copies

# novice blue, expert magenta: neither is a colour of MiniGrid's objects (lava is orange) or floor
AGENT_COLOURS = {NOVICE: (52, 120, 246), EXPERT: (230, 40, 200)}
END_COLOUR = (128, 128, 128)  # the last frame: the episode is over, nobody acts
BORDER, BANNER, MIN_SIDE = 8, 40, 256  # pixels
MINIGRID_TILE = 32  # envpool draws a MiniGrid cell in 32 pixels, as minigrid's default tile_size


@dataclass
class RecordedEpisode:
    frames: list[np.ndarray] = field(default_factory=list)  # annotated, one per decision + the end
    agents: list[int] = field(default_factory=list)  # who acted at each decision (NOVICE or EXPERT)
    positions: list[tuple[int, int]] = field(default_factory=list)  # MiniGrid: the agent's cell
    background: np.ndarray | None = None  # the first raw frame (the grid under the ask map)
    totals: Episode | None = None  # the episode as the Evaluator records it, once it is over

    @property
    def reward(self) -> float:  # with costs
        return self.totals.reward

    @property
    def base_reward(self) -> float:
        return self.totals.base_reward

    @property
    def expert_fraction(self) -> float:
        return self.totals.expert_steps / max(self.totals.length, 1)


def record_episodes(
    policy: Policy, env: CoordEnv, num_episodes: int, max_steps: int, temperature: float = 1.0
) -> list[RecordedEpisode]:
    """Play ``num_episodes`` complete episodes on copy 0 of ``env`` and keep annotated frames."""
    copy, n = np.array([0]), env.num_envs
    tracker = EpisodeTracker(n)
    policy.eval()
    obs, info = env.reset()
    policy.reset(np.ones(n, bool))
    obs, position = take(obs, copy), _position(info, 0)
    episodes = []
    for number in range(num_episodes):
        if number:
            obs, info = reset_copies(env, copy)
            policy.reset(copies_mask(copy, n))
            position = _position(info, 0)
        episode = RecordedEpisode()
        for step in range(max_steps):
            frame = _frame(env, 0)
            if episode.background is None:
                episode.background = frame
            actions = np.asarray(act_on_copies(policy, obs, copy, temperature))
            obs, reward, terminated, truncated, info = step_copies(env, actions, copy)
            base_reward = np.asarray(info.get("base_reward", reward), np.float64)
            tracker.step(copy, reward, base_reward, actions)
            action = int(actions[0])
            episode.agents.append(action)
            if position is not None:
                episode.positions.append(position)
            banner = (f"step {step + 1}  {'EXPERT' if action == EXPERT else 'novice'}  "
                      f"cost {base_reward[0] - float(reward[0]):.3f}",
                      f"reward {tracker.reward[0]:.3f}  base reward {tracker.base_reward[0]:.3f}")  # fmt: skip
            episode.frames.append(annotate(frame, AGENT_COLOURS[action], banner))
            position = _position(info, 0)
            if terminated[0] or truncated[0]:
                break
        ended = bool(terminated[0] or truncated[0])
        tracker.end(copy, np.array([not ended]))
        episode.totals = tracker.finished[-1]
        how = "ended" if ended else f"cut at {max_steps} steps"
        summary = (f"episode {how} after {len(episode.agents)} steps",
                   f"reward {episode.reward:.3f}  base reward {episode.base_reward:.3f}")  # fmt: skip
        episode.frames.append(annotate(_frame(env, 0), END_COLOUR, summary))
        episodes.append(episode)
    return episodes


def _frame(env: CoordEnv, copy: int) -> np.ndarray:
    base = env.base_env
    if isinstance(base, EnvpoolVectorEnv):  # renders only the copy asked for
        return base.render(np.array([copy]))[0]
    frames = base.render()
    if frames is None:
        raise EnvError(
            "this environment draws no frames: create it with render_mode='rgb_array' "
            "(for env.name=gym: env.kwargs={render_mode: rgb_array})"
        )
    return np.asarray(frames[copy], dtype=np.uint8)


def _position(info: dict[str, Any], copy: int) -> tuple[int, int] | None:
    """The agent's cell where the env says (envpool's MiniGrid: ``agent_pos``)."""
    if "agent_pos" not in info:
        return None
    x, y = np.asarray(info["agent_pos"])[copy]
    return int(x), int(y)


def annotate(frame: np.ndarray, colour: tuple[int, int, int], lines: tuple[str, str]) -> np.ndarray:
    """The frame enlarged to at least ``MIN_SIDE`` pixels, framed in ``colour``, two lines of
    text on a banner above it; sides rounded up to multiples of 16, as video codecs want."""
    height, width = frame.shape[:2]
    scale = max(1, -(-MIN_SIDE // min(height, width)))
    picture = Image.fromarray(frame).resize((width * scale, height * scale), Image.NEAREST)
    canvas_width = _multiple_of_16(picture.width + 2 * BORDER)
    canvas_height = _multiple_of_16(picture.height + 2 * BORDER + BANNER)
    canvas = Image.new("RGB", (canvas_width, canvas_height), colour)
    canvas.paste(picture, (BORDER, BANNER + BORDER))
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=14)
    for row, text in enumerate(lines):
        draw.text((BORDER, 3 + 18 * row), text, fill=(255, 255, 255), font=font)
    return np.asarray(canvas)


def _multiple_of_16(size: int) -> int:
    return -(-size // 16) * 16


def write_video(frames: list[np.ndarray], stem: Path, fps: int) -> list[Path]:
    """``<stem>.mp4`` (H.264 by imageio's ffmpeg) and ``<stem>.gif``; the paths written."""
    import imageio.v3 as iio

    mp4, gif = stem.with_name(stem.name + ".mp4"), stem.with_name(stem.name + ".gif")
    iio.imwrite(mp4, np.stack(frames), plugin="FFMPEG", fps=fps, codec="libx264", macro_block_size=16)
    iio.imwrite(gif, np.stack(frames), plugin="pillow", duration=1000 / fps, loop=0)
    return [mp4, gif]


def plot_ask_map(episodes: list[RecordedEpisode], path: Path, title: str) -> Path | None:
    """MiniGrid: the first episode's grid, each visited cell coloured by the share of decisions
    there that asked the expert (visits written in the cell). None where the env gives no cells."""
    visited = [episode for episode in episodes if episode.positions]
    if not visited or visited[0].background is None:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    background = visited[0].background
    rows, cols = background.shape[0] // MINIGRID_TILE, background.shape[1] // MINIGRID_TILE
    visits, asks = np.zeros((rows, cols)), np.zeros((rows, cols))
    for episode in visited:
        for (x, y), agent in zip(episode.positions, episode.agents, strict=True):
            visits[y, x] += 1
            asks[y, x] += agent == EXPERT
    share = np.where(visits > 0, asks / np.maximum(visits, 1), np.nan)
    figure, axis = plt.subplots(figsize=(cols * 0.8 + 1.5, rows * 0.8 + 0.6))
    # The grid in faded grey under opaque cells: a visited cell's colour is the colour bar's.
    axis.imshow(background.mean(axis=2), extent=(0, cols, rows, 0), cmap="gray", vmin=-255, vmax=300)
    shown = axis.imshow(
        np.ma.masked_invalid(share), extent=(0, cols, rows, 0), cmap="RdYlBu_r", vmin=0, vmax=1
    )
    for y, x in zip(*np.nonzero(visits), strict=True):
        axis.text(x + 0.5, y + 0.5, f"{int(visits[y, x])}", ha="center", va="center", fontsize=7)
    axis.set_xticks([])
    axis.set_yticks([])
    axis.set_title(title, fontsize=9)
    axis.set_xlabel("number in a cell: decisions made there", fontsize=8)
    figure.colorbar(shown, ax=axis, label="share of decisions asking the expert")
    figure.tight_layout()
    figure.savefig(path, dpi=100, metadata={"Software": "duo"})
    plt.close(figure)
    return path
