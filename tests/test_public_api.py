"""The public surface is explicit and `import agent_gym` stays light."""

import subprocess
import sys

import agent_gym

HEAVY = ("torch", "transformers", "trl", "datasets", "pyserini", "bm25s", "fastapi", "httpx", "llama_cpp", "ray")


def test_import_does_not_load_heavy_frameworks():
    code = f"import agent_gym, sys; print([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_exported_names_are_pinned():
    assert sorted(agent_gym.__all__) == sorted(
        [
            "AgentEnv",
            "AgentGymError",
            "AssistantTurn",
            "Episode",
            "FreeText",
            "History",
            "Message",
            "NoiseModel",
            "Rubric",
            "StepRecord",
            "Task",
            "Tool",
            "ToolCall",
            "ToolEnv",
            "ToolOutput",
            "ToolResult",
            "__version__",
            "register_env",
            "registered_envs",
            "tool",
        ]
    )
    for name in agent_gym.__all__:
        assert hasattr(agent_gym, name), name
