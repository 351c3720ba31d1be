"""An ``agent-gym`` server command in a child process on loopback, for tests, benchmarks and notebooks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from typing import Any, ClassVar

from agent_gym.errors import AgentGymError, RemoteEnvError

__all__ = ["ChildServer", "EnvServerProcess"]


class ChildServer:
    """``agent-gym <command> ...`` in a child process, started and waited for until ``/health`` answers.

    Subclasses name the :attr:`command` and the :attr:`error` they raise.

    Args:
        args: Extra command-line arguments.
        port: Port to bind; 0 picks a free one.
        env: Extra environment variables of the child (e.g. ``{"AGENT_GYM_CACHE": ...}``).
        startup_timeout_s: How long :meth:`start` waits for ``/health``.
    """

    command: ClassVar[str] = ""
    """The ``agent-gym`` subcommand."""
    error: ClassVar[type[AgentGymError]] = AgentGymError
    """What :meth:`start` raises when the server does not come up."""

    def __init__(
        self, args: list[str] | None = None, port: int = 0, env: dict[str, str] | None = None, startup_timeout_s: float = 60.0
    ):
        if port == 0:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
        self.port, self.args, self.extra_env, self.startup_timeout_s = port, list(args or []), dict(env or {}), startup_timeout_s
        self.url = f"http://127.0.0.1:{port}"
        self.process: Any = None

    def start(self) -> ChildServer:
        """Start the child and wait until ``/health`` answers (raises :attr:`error` if it does not)."""
        import httpx

        command = [sys.executable, "-m", "agent_gym.cli.main", self.command, *self.args, "--port", str(self.port)]
        environment = {**os.environ, **self.extra_env}
        self.process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.process.stderr.read().decode(errors="replace")[-500:]
                raise self.error(f"`agent-gym {self.command}` exited with {self.process.returncode}: {output}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise self.error(f"`agent-gym {self.command}` on {self.url} did not become healthy within {self.startup_timeout_s} s")

    def stop(self) -> None:
        """Kill the child (as a crash would) and wait for it."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        if self.process is not None and self.process.stderr is not None:
            self.process.stderr.close()

    def __enter__(self) -> ChildServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class EnvServerProcess(ChildServer):
    """``agent-gym serve-env`` in a child process on loopback.

    Example::

        with EnvServerProcess(["MultiHopQA-v0", "--max-sessions", "4"]) as server:
            env = gym.make("agent-gym/Remote-v0", url=server.url, env_id="MultiHopQA-v0")
    """

    command = "serve-env"
    error = RemoteEnvError
