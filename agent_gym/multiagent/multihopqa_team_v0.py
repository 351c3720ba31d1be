"""MultiHopQATeam-v0: cooperative multi-hop QA by a searcher and an answerer (PettingZoo module).

Env card
--------
- **Id**: ``MultiHopQATeam-v0`` (``agent_gym.multiagent.make``), PettingZoo name ``multihopqa_team_v0``.
- **Agents**: ``searcher_0`` holds the ``search(query)`` tool of ``MultiHopQA-v0``; ``answerer_0`` holds none.
- **Protocol**: the searcher plays a ``MultiHopQA-v0`` episode verbatim (same prompt, tool, format, noise,
  process rewards); its final answer is its report to the answerer, who then answers the question from it.
- **Observation**: ``{"history": <the agent's chat history>}`` per agent (a ``Dict`` space, for PettingZoo's
  AEC ``api_test``).
- **Action**: one assistant turn (str) per agent; only the acting agent's counts (``info[agent]["acting"]``).
- **Reward**: a shared outcome (the answerer's answer scored by ``MultiHopQA-v0``'s outcome metric) paid to
  both agents at the end, plus each agent's own process components under ``reward="process"``.
- **Data**: the bundled questions and paragraphs of ``MultiHopQA-v0``. **Metrics**: those of ``MultiHopQA-v0``.

See ``docs/envs/multihopqa-team.md``. :func:`parallel_env` builds the native ``ParallelEnv`` and
:func:`env` its AEC form (``pettingzoo.utils.parallel_to_aec``), as PettingZoo env modules do.
"""

from __future__ import annotations

from typing import Any

from pettingzoo import AECEnv

from agent_gym.multiagent.registry import make, make_aec
from agent_gym.multiagent.team import TeamToolEnv

__all__ = ["ENV_ID", "env", "parallel_env"]

ENV_ID = "MultiHopQATeam-v0"


def parallel_env(**kwargs: Any) -> TeamToolEnv:
    """The ``ParallelEnv``; keyword arguments as for :func:`agent_gym.multiagent.make`."""
    return make(ENV_ID, **kwargs)


def env(**kwargs: Any) -> AECEnv:
    """The AEC form of :func:`parallel_env`."""
    return make_aec(ENV_ID, **kwargs)
