"""Registered tasks: the tutorial key-value lookup env and the multi-hop QA envs."""
