"""Every docstring example in the package runs (reward components, parsers, spaces, ...)."""

import doctest
import importlib
import pkgutil

import pytest

import agent_gym

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(agent_gym.__path__, "agent_gym.") if not m.name.startswith("agent_gym.cli")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    try:
        module = importlib.import_module(name)
    except ImportError as exc:  # optional extras are tested where they are installed
        pytest.skip(f"{name} needs an optional dependency: {exc}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
