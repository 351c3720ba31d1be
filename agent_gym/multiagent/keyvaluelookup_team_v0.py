"""KeyValueLookupTeam-v0: ``KeyValueLookup-v0`` played by a searcher and an answerer (PettingZoo module).

Env card
--------
- **Id**: ``KeyValueLookupTeam-v0`` (``agent_gym.multiagent.make``), PettingZoo name ``keyvaluelookup_team_v0``.
- **Agents**: ``searcher_0`` (tool: ``lookup(key)``), ``answerer_0`` (no tools).
- **Protocol, observation, action, reward**: those of :class:`~agent_gym.multiagent.team.TeamToolEnv`; the
  searcher's side is ``KeyValueLookup-v0`` verbatim (``chain_progress`` included under ``reward="process"``).
- **Data**: none (tables drawn from ``np_random``). **Metrics**: ``em``.
- **Use**: the data-free twin of ``MultiHopQATeam-v0``, for tests and tutorials.

Following PettingZoo's module convention, :func:`parallel_env` builds the native ``ParallelEnv`` and
:func:`env` its AEC form (``pettingzoo.utils.parallel_to_aec``).
"""

from __future__ import annotations

from typing import Any

from pettingzoo import AECEnv

from agent_gym.multiagent.registry import make, make_aec
from agent_gym.multiagent.team import TeamToolEnv

__all__ = ["ENV_ID", "env", "parallel_env"]

ENV_ID = "KeyValueLookupTeam-v0"


def parallel_env(**kwargs: Any) -> TeamToolEnv:
    """The ``ParallelEnv``; keyword arguments as for :func:`agent_gym.multiagent.make`."""
    return make(ENV_ID, **kwargs)


def env(**kwargs: Any) -> AECEnv:
    """The AEC form of :func:`parallel_env`."""
    return make_aec(ENV_ID, **kwargs)
