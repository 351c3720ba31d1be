"""Bundled multi-hop QA records (gzip JSON Lines in agent-gym's uniform schema); see README.md for sources and licences."""
