"""Speed of the embedded model: time to first token and tokens/s, transformers (fp32) against llama.cpp (Q4_1).

Both run SmolLM2-135M-Instruct on the same prompt (the first observation of ``KeyValueLookup-v0``, about 260
tokens), greedy, ``--new-tokens`` tokens forced (end-of-turn ignored) so that both generate the same amount.
transformers is measured single-stream and as a batch of 8 (the rollout engine's batching); llama.cpp
single-stream in-process (``llama_cpp.Llama``, the engine behind ``python -m llama_cpp.server``).

Run: ``python -m agent_gym.benchmarks.embedded_model [--new-tokens 64] [--repeats 3]``. The figures are in
``docs/results.md``.
"""

from __future__ import annotations

import argparse
import statistics
import time

__all__ = ["llama_cpp_speed", "main", "transformers_speed"]


def _prompt() -> tuple[dict, ...]:
    import gymnasium as gym

    import agent_gym  # noqa: F401

    observation, _ = gym.make("KeyValueLookup-v0").reset(seed=0)
    return observation


def transformers_speed(new_tokens: int, batch: int = 1) -> tuple[float, float]:
    """(time to first token in s, generated tokens/s over the batch) with the embedded TransformersPolicy."""
    from agent_gym.baselines.policies import EmbeddedPolicy
    from agent_gym.baselines.policies.generation import generate

    policy = EmbeddedPolicy()
    chat = policy.chat_tokenizer()
    ids = chat.encode(chat.render(_prompt(), generation_prompt=True))
    generate(policy.model, [ids], seeds=[0], max_new_tokens=4, eos_ids=frozenset(), pad_id=policy.pad_id)  # warm-up
    started = time.perf_counter()
    out = generate(
        policy.model,
        [ids] * batch,
        seeds=list(range(batch)),
        max_new_tokens=new_tokens,
        eos_ids=frozenset(),
        pad_id=policy.pad_id,
    )
    elapsed = time.perf_counter() - started
    return out[0].first_token_s, sum(len(o.token_ids) for o in out) / elapsed


def llama_cpp_speed(new_tokens: int) -> tuple[float, float]:
    """(time to first token in s, tokens/s) with llama.cpp on the embedded GGUF."""
    from agent_gym.baselines.policies.embedded import embedded_gguf
    from llama_cpp import Llama

    llm = Llama(model_path=str(embedded_gguf()), n_ctx=2048, verbose=False)
    from agent_gym.baselines.policies import embedded_checkpoint
    from transformers import AutoTokenizer

    text = AutoTokenizer.from_pretrained(embedded_checkpoint()).apply_chat_template(
        list(_prompt()), tokenize=False, add_generation_prompt=True
    )
    llm.create_completion(text, max_tokens=4, temperature=0.0)  # warm-up
    llm.reset()  # no prompt cache: time the prefill too
    started = time.perf_counter()
    first = None
    count = 0
    for _ in llm.create_completion(text, max_tokens=new_tokens, temperature=0.0, stream=True, stop=[], logit_bias={2: -100.0}):
        first = first if first is not None else time.perf_counter() - started
        count += 1
    elapsed = time.perf_counter() - started
    return first or 0.0, count / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    rows = {
        "transformers fp32, 1 stream": lambda: transformers_speed(args.new_tokens, 1),
        "transformers fp32, batch of 8": lambda: transformers_speed(args.new_tokens, 8),
        "llama.cpp Q4_1, 1 stream": lambda: llama_cpp_speed(args.new_tokens),
    }
    print(f"{'backend':32} {'TTFT (s)':>9} {'tokens/s':>9}   (median of {args.repeats})")
    for name, run in rows.items():
        try:
            results = [run() for _ in range(args.repeats)]
        except ImportError as exc:
            print(f"{name:32} skipped: {exc}")
            continue
        ttft = statistics.median(r[0] for r in results)
        speed = statistics.median(r[1] for r in results)
        print(f"{name:32} {ttft:9.3f} {speed:9.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
