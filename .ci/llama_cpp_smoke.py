"""Set-up smoke test: the compiled llama.cpp must complete a multi-token prompt, or `make setup` fails here.

A build tuned to the compiling CPU (AVX-512 and AMX on this project's machines) once segfaulted in
``llama_decode`` on any prompt longer than one token, while a one-token prompt worked; so the prompt below
is long on purpose, and the completion runs in a child process so a segfault is reported, not just fatal.
"""

from __future__ import annotations

import subprocess
import sys

_CHILD = r"""
from llama_cpp import Llama
from agent_gym.baselines.policies.embedded import embedded_gguf

llm = Llama(model_path=str(embedded_gguf()), n_ctx=512, n_threads=1, verbose=False)
out = llm.create_chat_completion(
    messages=[{"role": "user", "content": "Name three colours of the rainbow, in one short sentence."}],
    max_tokens=8, temperature=0.0,
)
text = out["choices"][0]["message"]["content"]
assert out["usage"]["prompt_tokens"] > 8 and out["usage"]["completion_tokens"] > 0, out["usage"]
print(f"llama.cpp smoke completion ok: {out['usage']['prompt_tokens']} prompt tokens -> {text!r}")
"""


def main() -> int:
    result = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        sys.stderr.write(
            f"\nllama.cpp smoke completion FAILED (exit {result.returncode}): the compiled llama-cpp-python cannot run a "
            "multi-token prompt on this CPU. Rebuild it with the Makefile's LLAMA_CMAKE_ARGS "
            "(make clean && make setup).\n"
        )
        return 1
    print(result.stdout.strip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
