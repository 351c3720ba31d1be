"""Multi-hop QA environments (HotpotQA, 2WikiMultihopQA, MuSiQue) and their bundled records."""

from agent_gym.envs.qa.bundled import SPLITS, bundled_path, load_bundled, resolve_datasets
from agent_gym.envs.qa.env import MultiHopQAEnv

__all__ = ["SPLITS", "MultiHopQAEnv", "bundled_path", "load_bundled", "resolve_datasets"]
