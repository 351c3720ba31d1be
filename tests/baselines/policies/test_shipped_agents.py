"""The trained agents that ship with the package play through ``--policy NAME`` as trained models.

The untrained embedded model never writes a tool call in MultiHopQA (Base Tool Call: 0 tool calls on the
leaderboard); every shipped agent was trained to search first. So an agent whose adapter did not load, or
loaded onto the wrong base, fails here.
"""

from __future__ import annotations

import pytest

from agent_gym.baselines.trained import TRAINED_AGENTS, trained_agent_path
from agent_gym.cli.main import main
from agent_gym.rollout import read_episodes

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", list(TRAINED_AGENTS))
def test_a_shipped_agent_searches_in_the_multi_turn_env(name, tmp_path):
    out = tmp_path / f"{name}.jsonl"
    argv = ["rollout", "MultiHopQA-v0", "-k", "top_k=3", "-k", "split=train", "--policy", name]
    argv += ["-p", "max_new_tokens=64", "-p", "threads=1", "-n", "1", "-o", str(out), "--no-progress"]
    assert main(argv) == 0
    (episode,) = read_episodes(out)
    first = episode.steps[0]
    assert first.info["errors"] == [] and first.info["tool_calls"], first.action  # a well-formed search
    assert first.policy is not None and first.policy.token_ids  # token ids, for training on its episodes


def test_every_shipped_agent_has_its_adapter_and_card():
    for name in TRAINED_AGENTS:
        folder = trained_agent_path(name)
        assert {"adapter_config.json", "adapter_model.safetensors", "card.json", "CARD.md"} <= {p.name for p in folder.iterdir()}
        assert (folder / "adapter_model.safetensors").stat().st_size < 4_000_000  # small, as shipped (float16)
