"""Agent-R1's published numbers, shown next to ours but never mixed with them."""

from __future__ import annotations

__all__ = ["REFERENCE_CAPTION", "REFERENCE_EM"]

REFERENCE_CAPTION = (
    "Reference numbers from the Agent-R1 paper (Qwen2.5-3B-Instruct, exact match on the full dev sets); "
    "they were not produced by this run and use another model, so compare trends, not values."
)
"""What the reference table is, in one sentence."""

REFERENCE_EM: dict[str, dict[str, float]] = {
    "Base Tool Call": {"hotpotqa": 0.1372, "2wiki": 0.0891, "musique": 0.0277, "avg": 0.0847},
    "Naive RAG": {"hotpotqa": 0.1916, "2wiki": 0.1792, "musique": 0.0277, "avg": 0.1328},
    "PPO": {"hotpotqa": 0.4136, "2wiki": 0.5468, "musique": 0.1552, "avg": 0.3719},
    "GRPO": {"hotpotqa": 0.4405, "2wiki": 0.5741, "musique": 0.1485, "avg": 0.3877},
}
"""Method -> dataset (``hotpotqa``, ``2wiki``, ``musique``, ``avg``) -> exact match."""
