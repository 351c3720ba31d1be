"""Render the QA env card (the docstring of :mod:`agent_gym.envs.qa.env`) as Markdown for ``docs/envs/``.

Run ``python -m agent_gym.envs.qa.card > docs/envs/qa.md``; a test checks that the file is up to date.
"""

from __future__ import annotations

import re

from agent_gym.envs.qa import env as qa_env

__all__ = ["render_card"]


def render_card() -> str:
    """The module docstring as Markdown: title, RST headings turned into ``##``, double backticks into single."""
    lines = (qa_env.__doc__ or "").strip().splitlines()
    note = "<!-- generated from envs/qa/env.py by `python -m agent_gym.envs.qa.card`; edit the docstring, not this file -->"
    out = [f"# {lines[0].strip()}", "", note]
    body = lines[1:]
    i = 0
    while i < len(body):
        line = body[i]
        if i + 1 < len(body) and body[i + 1].strip() and set(body[i + 1].strip()) == {"-"} and line.strip():
            out += [f"## {line.strip()}", ""]
            i += 2
            continue
        out.append(line)
        i += 1
    text = "\n".join(out).replace("\\\\n", "\\n")
    return re.sub(r"``(.+?)``", r"`\1`", text).rstrip() + "\n"


if __name__ == "__main__":
    print(render_card(), end="")
