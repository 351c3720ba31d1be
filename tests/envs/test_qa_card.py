"""The QA env card in docs/envs is rendered from the env module's docstring and stays in sync with it."""

from pathlib import Path

import agent_gym.registry
from agent_gym.envs.qa.card import render_card

DOCS = Path(__file__).resolve().parents[2] / "docs" / "envs" / "qa.md"


def test_docs_card_is_the_rendered_docstring():
    assert DOCS.read_text() == render_card(), "run: python -m agent_gym.envs.qa.card > docs/envs/qa.md"


def test_card_names_every_registered_qa_id_and_component():
    card = render_card()
    qa_ids = [entry[0] for entry in agent_gym.registry.BUILTIN_ENVS if entry[1].startswith("agent_gym.envs.qa")]
    assert len(qa_ids) == 8
    for env_id in qa_ids:
        assert f"`{env_id}`" in card or f"`{env_id.replace('Noisy', '')}`" in card
    for word in ("retrieval_hit", "repeated_call", "invalid_call", "turn_cost", "cover_em", "outcome_metric", "CC BY-SA 4.0"):
        assert word in card
