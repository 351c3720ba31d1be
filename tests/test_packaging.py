"""pyproject lists every package, so a normal (non-editable) install ships every room."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROOMS = {
    "agent_gym": "agent_gym",
    "envs": "agent_gym.envs",
    "baselines": "agent_gym.baselines",
    "benchmarks": "agent_gym.benchmarks",
}


def test_every_package_folder_is_listed():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    found = set()
    for folder, package in ROOMS.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((package, *relative)))
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert listed - found == set(), "these listed packages have no folder"


def test_rooms_map_to_agent_gym_subpackages():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert config["tool"]["setuptools"]["package-dir"] == {package: folder for folder, package in ROOMS.items()}
