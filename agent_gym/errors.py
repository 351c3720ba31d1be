"""Every exception agent-gym raises on purpose.

The tree::

    AgentGymError                 base of all of them
    ├── ConfigError (ValueError)  bad constructor arguments, unknown names (with "did you mean")
    ├── InvalidActionError (TypeError)
    │                             an action that is neither a str nor an assistant-message dict
    ├── NotPlainJSON (ValueError) a model-written value that is not plain, bounded JSON; never leaves ``step``:
    │                             the env records it as an ``invalid_arguments`` failure
    ├── ResetNeeded (RuntimeError)
    │                             ``step`` called before ``reset`` or after the episode ended
    ├── ToolDefinitionError       a function that cannot become a Tool (missing hints or docstring)
    ├── ToolArgumentError         raised *inside* a tool to reject its arguments; becomes a tool error result
    ├── RewardError               a reward component returned a non-finite value
    ├── EnvCheckError (AssertionError)
    │                             an env breaks a contract checked by ``agent_gym.utils.check_env``
    ├── DataError                 a broken data file (names the file, line and field)
    ├── RetrievalError            a retrieval backend failed (server down, corrupt index)
    ├── MissingDependency (ImportError)
    │                             an optional extra is not installed; the message gives the pip command
    ├── PolicyError               a policy backend failed (server down, malformed response)
    ├── RemoteEnvError (RuntimeError)
    │                             an env server cannot be reached, refused a request, or went away mid-episode
    ├── ResultsError (RuntimeError)
    │                             a results folder cannot be used now (held by another run, not writable,
    │                             disk full, a damaged file); nothing stored is lost, the message says what to do
    └── TrainingError (RuntimeError)
        │                         a training run cannot go on (bad checkpoint, nothing to train on)
        └── DivergenceError       a loss or reward became NaN/inf; the last good checkpoint is kept

At the tool boundary nothing is raised: a failing tool call becomes a typed
:class:`agent_gym.failures.ToolFailure` inside a :class:`agent_gym.types.ToolResult`, recorded in ``info``;
:mod:`agent_gym.failures` names the kinds, classifies exceptions and assigns the blame.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "AgentGymError",
    "ConfigError",
    "DataError",
    "EnvCheckError",
    "InvalidActionError",
    "MissingDependency",
    "NotPlainJSON",
    "PolicyError",
    "RemoteEnvError",
    "ResetNeeded",
    "ResultsError",
    "RetrievalError",
    "RewardError",
    "ToolArgumentError",
    "ToolDefinitionError",
    "TrainingError",
    "DivergenceError",
    "did_you_mean",
    "unknown_name",
]


def did_you_mean(name: object, known: Iterable[str], *, cutoff: float = 0.6) -> str:
    """The " Did you mean 'x'?" hint for an unknown name (the closest known one), or ``""`` when none is close.

    The one home of the suggestion every "unknown ..." :class:`ConfigError` message carries.

    Example:
        >>> did_you_mean("hotpot", ["hotpotqa", "musique"])
        " Did you mean 'hotpotqa'?"
        >>> did_you_mean("zzz", ["hotpotqa", "musique"])
        ''
    """
    close = difflib.get_close_matches(str(name), list(known), n=1, cutoff=cutoff)
    return f" Did you mean {close[0]!r}?" if close else ""


def unknown_name(kind: str, name: str, known: Iterable[str], *, cutoff: float = 0.5) -> str:
    """A whole "unknown <kind> 'name'. Did you mean ...? Known: ..." message.

    Example:
        >>> unknown_name("dataset", "hotpot", ["hotpotqa", "musique"])
        "unknown dataset 'hotpot'. Did you mean 'hotpotqa'? Known: hotpotqa, musique"
    """
    known = list(known)
    return f"unknown {kind} {name!r}.{did_you_mean(name, known, cutoff=cutoff)} Known: {', '.join(known)}"


class AgentGymError(Exception):
    """Base class of every error agent-gym raises on purpose."""


class ConfigError(AgentGymError, ValueError):
    """A constructor argument or a name is invalid; the message says how to fix it."""


class InvalidActionError(AgentGymError, TypeError):
    """An action of the wrong Python type (strings of any content are always valid actions)."""


class NotPlainJSON(AgentGymError, ValueError):
    """A model-written value that is not plain, bounded JSON (see :func:`agent_gym.tools.plain_json.plain_json`)."""


class ResetNeeded(AgentGymError, RuntimeError):
    """``step`` was called before ``reset`` or after the episode ended."""


class ToolDefinitionError(AgentGymError, TypeError):
    """A function cannot be turned into a Tool."""


class ToolArgumentError(AgentGymError, ValueError):
    """Raised by a tool to reject its arguments; the env turns it into an ``invalid_arguments`` result."""


class RewardError(AgentGymError, ValueError):
    """A reward component produced a value that is not a finite float."""


class EnvCheckError(AgentGymError, AssertionError):
    """An env violates the text-native env contract (DESIGN §1)."""


class DataError(AgentGymError, ValueError):
    """A data file is malformed."""


class RetrievalError(AgentGymError, RuntimeError):
    """A retrieval backend could not answer."""


class PolicyError(AgentGymError, RuntimeError):
    """A policy backend could not produce a turn."""


class RemoteEnvError(AgentGymError, RuntimeError):
    """An env server (``agent-gym serve-env``) cannot be reached, refused a request, or went away mid-episode."""


class ResultsError(AgentGymError, RuntimeError):
    """A results folder cannot be used now; what is already stored in it is kept, and the message says what to do."""


class TrainingError(AgentGymError, RuntimeError):
    """A training run cannot go on; the message says what to change."""


class DivergenceError(TrainingError):
    """A loss or reward became NaN or infinite; training stopped and the last good checkpoint was kept."""


class MissingDependency(AgentGymError, ImportError):
    """An optional extra (e.g. ``lucene``) or a system requirement is missing; the message says how to install it."""
