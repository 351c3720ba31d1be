"""Speed of the embedded model: time to first token and tokens/s, transformers (fp32) against llama.cpp (Q4_1).

Both run SmolLM2-135M-Instruct on the same prompt (the first observation of ``KeyValueLookup-v0``, about 260
tokens), greedy, ``--new-tokens`` tokens forced (end-of-turn ignored) so that both generate the same amount.
transformers is measured single-stream and as a batch of 8 (the rollout engine's batching); llama.cpp
single-stream in-process (``llama_cpp.Llama``, the engine behind ``python -m llama_cpp.server``). Besides wall-clock
tokens/s, tokens per CPU-second (all threads of the process) is printed: it stays meaningful on a shared machine.

Run: ``python -m agent_gym.benchmarks.embedded_model [--new-tokens 64] [--repeats 3] [--threads N]``. The figures are in
``docs/results.md``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

__all__ = ["llama_cpp_speed", "main", "transformers_speed"]


def _prompt() -> tuple[dict, ...]:
    import gymnasium as gym

    import agent_gym  # noqa: F401

    observation, _ = gym.make("KeyValueLookup-v0").reset(seed=0)
    return observation


def transformers_speed(new_tokens: int, batch: int = 1) -> tuple[float, float, float]:
    """(time to first token in s, generated tokens/s, tokens per CPU-second) with the embedded TransformersPolicy."""
    from agent_gym.baselines.policies import EmbeddedPolicy
    from agent_gym.baselines.policies.generation import generate

    policy = EmbeddedPolicy()
    chat = policy.chat_tokenizer()
    ids = chat.encode(chat.render(_prompt(), generation_prompt=True))
    generate(policy.model, [ids], seeds=[0], max_new_tokens=4, eos_ids=frozenset(), pad_id=policy.pad_id)  # warm-up
    started, cpu = time.perf_counter(), time.process_time()
    out = generate(
        policy.model,
        [ids] * batch,
        seeds=list(range(batch)),
        max_new_tokens=new_tokens,
        eos_ids=frozenset(),
        pad_id=policy.pad_id,
    )
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    tokens = sum(len(o.token_ids) for o in out)
    return out[0].first_token_s, tokens / elapsed, tokens / cpu


def llama_cpp_speed(new_tokens: int, threads: int | None = None) -> tuple[float, float, float]:
    """(time to first token in s, tokens/s, tokens per CPU-second) with llama.cpp on the embedded GGUF."""
    from llama_cpp import Llama

    from agent_gym.baselines.policies.embedded import embedded_gguf

    llm = Llama(model_path=str(embedded_gguf()), n_ctx=2048, n_threads=threads, verbose=False)
    from transformers import AutoTokenizer

    from agent_gym.baselines.policies import embedded_checkpoint

    text = AutoTokenizer.from_pretrained(embedded_checkpoint()).apply_chat_template(
        list(_prompt()), tokenize=False, add_generation_prompt=True
    )
    llm.create_completion(text, max_tokens=4, temperature=0.0)  # warm-up
    llm.reset()  # no prompt cache: time the prefill too
    started, cpu = time.perf_counter(), time.process_time()
    first = None
    count = 0
    for _ in llm.create_completion(text, max_tokens=new_tokens, temperature=0.0, stream=True, stop=[], logit_bias={2: -100.0}):
        first = first if first is not None else time.perf_counter() - started
        count += 1
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return first or 0.0, count / elapsed, count / cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch and llama.cpp threads (default: theirs)")
    args = parser.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    rows = {
        "transformers fp32, 1 stream": lambda: transformers_speed(args.new_tokens, 1),
        "transformers fp32, batch of 8": lambda: transformers_speed(args.new_tokens, 8),
        "llama.cpp Q4_1, 1 stream": lambda: llama_cpp_speed(args.new_tokens, args.threads),
    }
    print(f"{'backend':32} {'TTFT (s)':>9} {'tokens/s':>9} {'tok/CPU-s':>10}   (median of {args.repeats})")
    for name, run in rows.items():
        try:
            results = [run() for _ in range(args.repeats)]
        except ImportError as exc:
            print(f"{name:32} skipped: {exc}")
            continue
        ttft = statistics.median(r[0] for r in results)
        speed = statistics.median(r[1] for r in results)
        per_cpu = statistics.median(r[2] for r in results)
        print(f"{name:32} {ttft:9.3f} {speed:9.1f} {per_cpu:10.1f}")
    threads = args.threads or "default"
    print(f"threads {threads}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (tokens/s is wall-clock)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
