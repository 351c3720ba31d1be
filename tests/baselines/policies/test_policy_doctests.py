"""The policies' docstring examples run, and their public names are pinned."""

from __future__ import annotations

import doctest
import importlib

import pytest

import agent_gym.baselines.policies as policies

MODULES = ["embedded", "endpoint_pool", "factory", "generation", "human", "openai_http", "oracle", "transformers_lm"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"agent_gym.baselines.policies.{name}")
    assert doctest.testmod(module, optionflags=doctest.ELLIPSIS).failed == 0


def test_public_names():
    assert sorted(policies.__all__) == [
        "EmbeddedPolicy",
        "HumanPolicy",
        "OpenAIPolicy",
        "OraclePolicy",
        "POLICY_NAMES",
        "ScriptedPolicy",
        "TransformersPolicy",
        "assistant_turns",
        "embedded_checkpoint",
        "make_policy",
    ]
    for name in policies.__all__:
        assert getattr(policies, name) is not None


def test_importing_the_policies_does_not_load_torch():
    import subprocess
    import sys

    code = "import agent_gym.baselines.policies, sys; print([m for m in ('torch', 'transformers') if m in sys.modules])"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"
