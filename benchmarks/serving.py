"""The ``serving`` bench: step latency through ``agent-gym serve-env`` on loopback under load, against in-process.

``sessions`` clients (``agent-gym/Remote-v0``, one thread each) step ``MultiHopQA-v0`` at once through one server
in a child process, ``steps`` steps each (an episode that ends is reset, and the reset is not counted). Every
turn searches (the env's real work: parse, BM25 over the pooled corpus, interpret), with a plain-text turn now
and then. The reference is the same script stepped in this process, one env at a time. Figures: errors (any
exception a client saw), step latency p50/p99 through the server and in-process, and their ratios; the same
for one session alone on the server (the protocol's own cost, without queueing behind the other sessions); and
steps per second through the server against one in-process env.
"""

from __future__ import annotations

import statistics
import threading
import time
from typing import Any

__all__ = ["measure"]

ENV_ID = "MultiHopQA-v0"


def _action(fmt: Any, question: str, k: int) -> str:
    from agent_gym.types import ToolCall

    if k % 5 == 4:
        return "Let me think about what I found so far."
    words = question.split()
    query = " ".join(words[k % max(1, len(words)) :][:6]) or question
    return fmt.render_turn([ToolCall(name="search", arguments={"query": query})])


def _play(env: Any, fmt: Any, session: int, steps: int, latencies: list[float]) -> None:
    """``steps`` timed steps of one session (resets, untimed, when an episode ends)."""
    _, info = env.reset(seed=session, options={"index": session})
    for k in range(steps):
        action = _action(fmt, info["question"], k)
        started = time.perf_counter()
        _, _, terminated, truncated, _ = env.step(action)
        latencies.append(time.perf_counter() - started)
        if terminated or truncated:
            _, info = env.reset(options={"index": session + k + 1})


def _quantiles(latencies: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return cuts[49], cuts[98]


def measure(sessions: int = 64, steps: int = 50, reference_sessions: int = 8, deadline_s: float = 900.0) -> dict[str, Any]:
    """Run the load test and the in-process reference; the figures (see the module docstring)."""
    import gymnasium as gym

    import agent_gym  # noqa: F401 - registers the envs
    from agent_gym.serving import EnvServerProcess

    local = gym.make(ENV_ID)
    fmt = local.unwrapped.format
    _play(local, fmt, 0, 5, [])  # warm-up: the index, lazy imports
    in_process: list[float] = []
    for session in range(reference_sessions):
        _play(local, fmt, session, steps, in_process)
    local.close()

    remote: list[list[float]] = [[] for _ in range(sessions)]
    alone: list[float] = []
    errors: list[str] = []
    args = [ENV_ID, "--max-sessions", str(sessions), "--step-timeout-s", "120"]
    with EnvServerProcess(args, startup_timeout_s=300) as server:
        envs = [gym.make("agent-gym/Remote-v0", url=server.url, env_id=ENV_ID, timeout_s=120) for _ in range(sessions)]
        _play(envs[0], fmt, 0, 5, [])  # warm-up of the server
        for session in range(reference_sessions):
            _play(envs[0], fmt, session, steps, alone)

        def client(session: int) -> None:
            try:
                _play(envs[session], fmt, session, steps, remote[session])
            except Exception as exc:  # noqa: BLE001 - counted: the figure is how many there were
                errors.append(f"session {session}: {type(exc).__name__}: {exc}")
            finally:
                envs[session].close()

        threads = [threading.Thread(target=client, args=(s,), daemon=True) for s in range(sessions)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=max(0.0, deadline_s - (time.perf_counter() - started)))
        wall = time.perf_counter() - started
        unfinished = sum(thread.is_alive() for thread in threads)
    through = [latency for per_session in remote for latency in per_session]
    local_p50, local_p99 = _quantiles(in_process)
    alone_p50, alone_p99 = _quantiles(alone)
    remote_p50, remote_p99 = _quantiles(through)
    return {
        "env_id": ENV_ID,
        "sessions": sessions,
        "steps_per_session": steps,
        "steps_done": len(through),
        "errors": len(errors) + unfinished,
        "first_errors": errors[:3],
        "wall_s": wall,
        "steps_per_s_through_server": len(through) / wall,
        "steps_per_s_in_process": len(in_process) / sum(in_process),
        "in_process_p50_ms": 1e3 * local_p50,
        "in_process_p99_ms": 1e3 * local_p99,
        "one_session_p50_ms": 1e3 * alone_p50,
        "one_session_p99_ms": 1e3 * alone_p99,
        "server_p50_ms": 1e3 * remote_p50,
        "server_p99_ms": 1e3 * remote_p99,
        "ratio_p50_server_over_in_process": remote_p50 / local_p50,
        "ratio_p99_server_over_in_process": remote_p99 / local_p99,
        "ratio_p50_one_session_over_in_process": alone_p50 / local_p50,
        "ratio_p99_one_session_over_in_process": alone_p99 / local_p99,
        "ratio_steps_per_s_server_over_in_process": len(through) / wall / (len(in_process) / sum(in_process)),
    }
