"""Multi-agent environments through PettingZoo.

Team envs are registered in PettingZoo's own registry (``pettingzoo.env_registry``); :func:`make` builds one by
id (``"MultiHopQATeam-v0"``) as a ``ParallelEnv``, :func:`make_aec` in the AEC form. Each env also has a
PettingZoo-style module with ``parallel_env()`` and ``env()`` (:mod:`agent_gym.multiagent.multihopqa_team_v0`).
"""

from agent_gym.multiagent.answerer import AnswererEnv
from agent_gym.multiagent.registry import TeamEnvSpec, make, make_aec, register_team_env, registered_team_envs
from agent_gym.multiagent.relay import RelayAnswerer, read_report
from agent_gym.multiagent.runner import TeamEpisode, run_team_episode, run_team_episodes
from agent_gym.multiagent.team import ANSWERER, SEARCHER, TeamToolEnv

__all__ = [
    "ANSWERER",
    "SEARCHER",
    "AnswererEnv",
    "RelayAnswerer",
    "TeamEnvSpec",
    "TeamEpisode",
    "TeamToolEnv",
    "make",
    "make_aec",
    "read_report",
    "register_team_env",
    "registered_team_envs",
    "run_team_episode",
    "run_team_episodes",
]
