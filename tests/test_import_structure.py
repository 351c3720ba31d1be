"""The import graph with the install mapping applied (baselines/, benchmarks/, envs/ install as agent_gym.*):
the core never imports up except where docs/decisions.md says why, and no files import each other in a cycle."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROOMS = {"agent_gym.baselines": "baselines", "agent_gym.benchmarks": "benchmarks", "agent_gym.envs": "envs"}
UPPER = tuple(ROOMS)
KNOWN_CYCLES = {("benchmarks/leaderboard/ray_play.py", "benchmarks/leaderboard/runner.py")}
"""Cycles being removed by their owners (issue 26 item 3); a new one fails the test."""


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    parts[0] = {folder: name for name, folder in ROOMS.items()}.get(parts[0], parts[0])
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _file(module: str) -> Path | None:
    """The project file a module name is, with the mapping applied (None outside the project)."""
    for prefix, folder in sorted({**ROOMS, "agent_gym": "agent_gym"}.items(), key=lambda item: -len(item[0])):
        if module == prefix or module.startswith(prefix + "."):
            base = ROOT / folder / Path(*module[len(prefix) :].lstrip(".").split(".")) if module != prefix else ROOT / folder
            for candidate in (base.with_suffix(".py"), base / "__init__.py"):
                if candidate.is_file():
                    return candidate
    return None


def _imports(path: Path) -> list[tuple[str, int, bool]]:
    """``(module, line, at module level)`` of every import in ``path``, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module(path) if path.name == "__init__.py" else _module(path).rpartition(".")[0]
    top = {id(node) for node in tree.body} | {id(n) for node in tree.body if isinstance(node, ast.If) for n in node.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        found += [(name, node.lineno, id(node) in top) for name in names]
    return found


def _files() -> list[Path]:
    return sorted(p for folder in ("agent_gym", *ROOMS.values()) for p in (ROOT / folder).rglob("*.py"))


def _exceptions() -> list[str]:
    """The files docs/decisions.md allows to import up: the first backquoted path of each item of its section."""
    text = (ROOT / "docs" / "decisions.md").read_text(encoding="utf-8")
    section = text.split("## Import direction", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^- `(agent_gym/[^`]+)`", section, flags=re.M)


def test_the_core_imports_up_only_where_decisions_md_says_why_and_only_inside_functions():
    allowed = _exceptions()
    assert allowed, "docs/decisions.md lost its 'Import direction' section"
    upward, used = [], set()
    for path in (ROOT / "agent_gym").rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        for module, line, top_level in _imports(path):
            if not module.startswith(UPPER) or _file(module) is None:
                continue
            exception = next((a for a in allowed if rel == a or (a.endswith("/") and rel.startswith(a))), None)
            if exception is None or top_level:
                upward.append(f"{rel}:{line} imports {module}" + (" at module level" if exception else ""))
            else:
                used.add(exception)
    assert upward == [], "agent_gym/ imports baselines/benchmarks/envs (see docs/decisions.md):\n" + "\n".join(upward)
    assert sorted(used) == sorted(allowed), f"exceptions in docs/decisions.md no file needs: {sorted(set(allowed) - used)}"


def _cycles(edges: dict[Path, set[Path]]) -> list[tuple[str, ...]]:
    """Strongly connected groups of more than one file (iterative Tarjan), minus a package's own re-exports."""
    index: dict[Path, int] = {}
    low: dict[Path, int] = {}
    stack: list[Path] = []
    on_stack: set[Path] = set()
    groups = []
    for start in edges:
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(group)
    real = []
    for group in groups:
        packages = {p.parent for p in group if p.name == "__init__.py"}
        if all(p.name == "__init__.py" or p.parent in packages for p in group):
            continue  # a package __init__ re-exporting its own modules
        real.append(tuple(sorted(p.relative_to(ROOT).as_posix() for p in group)))
    return real


def test_no_files_import_each_other_in_a_cycle():
    files = _files()
    edges: dict[Path, set[Path]] = {path: set() for path in files}
    for path in files:
        for module, _, _ in _imports(path):
            target = _file(module)
            if target is not None and target != path:
                edges[path].add(target)
    cycles = set(_cycles(edges))
    assert cycles <= KNOWN_CYCLES, f"import cycles (install mapping applied): {sorted(cycles - KNOWN_CYCLES)}"


def test_the_scanner_sees_a_cycle_and_an_upward_import_through_the_mapping(tmp_path):
    """The checks above can fail: the scanner resolves mapped names and relative imports, and finds a cycle."""
    assert _file("agent_gym.baselines.policies.spec") == ROOT / "baselines" / "policies" / "spec.py"
    assert _file("agent_gym.envs.qa") == ROOT / "envs" / "qa" / "__init__.py"
    assert _file("numpy") is None
    a, b, c = (ROOT / "x" / name for name in ("a.py", "b.py", "c.py"))
    assert _cycles({a: {b}, b: {c}, c: {a}}) == [("x/a.py", "x/b.py", "x/c.py")]
    assert _cycles({a: {b}, b: set(), c: {a}}) == []
    resolved = dict((m, top) for m, _, top in _imports(ROOT / "benchmarks" / "leaderboard" / "policies.py"))
    assert resolved.get("agent_gym.baselines.policies.spec") is True
