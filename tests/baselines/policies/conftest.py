"""Fixtures for the policy tests: the embedded model (loaded once) and a tiny random LM on its vocabulary."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def embedded():
    """The embedded SmolLM2 policy, greedy, short turns (shared: do not change its settings).

    One torch thread while it lives: on a shared 2-core machine two OpenMP threads spin-wait and generation
    gets many times slower (docs/results.md); the previous setting is restored afterwards.
    """
    import torch

    from agent_gym.baselines.policies import EmbeddedPolicy

    threads = torch.get_num_threads()
    yield EmbeddedPolicy(max_new_tokens=12, batch_size=16, threads=1)
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def random_lm_policy(embedded):
    """``random_lm_policy(**options)``: a TransformersPolicy on a randomly initialised 2-layer Llama that
    shares the embedded tokenizer: fast, and it emits garbage, special tokens included."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from agent_gym.baselines.policies import TransformersPolicy

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(embedded.tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=8192,
        pad_token_id=embedded.pad_id,
    )
    model = LlamaForCausalLM(config).eval()

    def make(**options):
        return TransformersPolicy(model, tokenizer=embedded.tokenizer, **options)

    return make


HISTORY = (
    {"role": "system", "content": "You are a helpful assistant. Answer in one short sentence."},
    {"role": "user", "content": "What is the capital of France?"},
)


@dataclass
class LlamaServer:
    process: subprocess.Popen
    url: str


@contextmanager
def llama_cpp_server(log_path: Path, *, startup_s: float = 120) -> Iterator[LlamaServer]:
    """llama.cpp's OpenAI-compatible server on a free loopback port, serving the embedded GGUF as ``smollm2``."""
    import httpx

    from agent_gym.baselines.policies.embedded import embedded_gguf

    pytest.importorskip("llama_cpp.server", reason="needs the llamacpp extra: pip install '.[llamacpp]'")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(embedded_gguf()), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--n_ctx", "2048", "--model_alias", "smollm2"]
    log = log_path.open("w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + startup_s
        while True:
            if process.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {process.returncode}; see {log.name}")
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not answer on {url} within {startup_s:g} s; see {log.name}")
            time.sleep(0.5)
        yield LlamaServer(process, url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


SEARCH_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "search",
            "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
        },
    }
]
"""A QA env's one search tool, as the env lists it."""


def teach(
    policy, results: list[str], titles: list[str], question: str = "Who directed Ed Wood?", max_turns: int = 5
) -> list[str]:
    """A teacher's turns (each query as its JSON string, or the answer) when its n-th search returns ``results[n]``."""
    from agent_gym.rollout.policy import new_episode_id

    history = ({"role": "system", "content": "s"}, {"role": "user", "content": question})
    info = {"question": question, "supporting_titles": titles, "answers": ["Tim Burton"], "max_turns": max_turns}
    episode = new_episode_id()
    policy.start_episode(episode, history, {**info, "tool_format": "hermes"})
    texts: list[str] = []
    for result in [*results, ""]:
        (turn,) = policy.act([history], tools=SEARCH_TOOLS, episodes=[episode])
        texts.append(turn.text)
        if turn.text.startswith("<answer>"):
            break
        history = history + ({"role": "assistant", "content": turn.text}, {"role": "tool", "content": result})
    call = '<tool_call>\n{"name": "search", "arguments": {"query": '
    return [t.removeprefix(call).removesuffix("}}\n</tool_call>") for t in texts]
