"""The shape of the code: an import graph without circles, no private names crossing modules, and one
place for each rule that several documents show (grep finds one definition)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

PIPELINE = Path(__file__).resolve().parent.parent / "pipeline"


def _modules() -> dict[str, Path]:
    return {".".join(p.relative_to(PIPELINE).with_suffix("").parts): p for p in PIPELINE.rglob("*.py")
            if p.name != "__init__.py"}


def _imports(path: Path):
    """(module imported, names) for every import of our own modules (absolute `pipeline.…` or
    relative), at module level or inside functions; imports under `if TYPE_CHECKING:` are
    annotations only and do not count."""
    tree = ast.parse(path.read_text("utf-8"))
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            skip.update(id(n) for n in ast.walk(node))
    package = list(path.relative_to(PIPELINE).parent.parts)
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or id(node) in skip:
            continue
        if node.level == 0 and node.module and node.module.startswith("pipeline."):
            yield node.module.removeprefix("pipeline."), [a.name for a in node.names]
        elif node.level >= 1:
            base = package[:len(package) - (node.level - 1)]
            yield ".".join([*base, *(node.module.split(".") if node.module else [])]), [a.name for a in node.names]


def _sources() -> dict[str, str]:
    return {p.relative_to(PIPELINE).as_posix(): p.read_text("utf-8") for p in PIPELINE.rglob("*.py")}


def test_the_import_graph_has_no_circles():
    modules = _modules()
    graph = {name: {t for t, _ in _imports(path) if t in modules} for name, path in modules.items()}
    state, cycles = {}, []

    def visit(node, stack):
        state[node] = "open"
        for dep in sorted(graph[node]):
            if state.get(dep) == "open":
                cycles.append(stack[stack.index(dep):] + [dep])
            elif dep not in state:
                visit(dep, stack + [dep])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert sum(len(deps) for deps in graph.values()) > 50        # the graph was really read
    assert cycles == []


def test_no_module_imports_a_private_name_from_another():
    crossing = [(name, target, n) for name, path in _modules().items() for target, names in _imports(path)
                for n in names if n.startswith("_") and not n.startswith("__")]
    assert crossing == []


def test_one_definition_of_dues_due_and_unpaid_runs():
    text = _sources()
    for definition in ("def month_due(", "def unpaid_runs(", "def dues_flags(", "def months_so_far("):
        assert [n for n, t in text.items() if definition in t] == ["dues/ledger.py"], definition
    for constant in ("UNPAID_RUN =", "LARGE_VOLUNTARY =", "LUMP_MONTHS ="):
        assert [n for n, t in text.items() if constant in t] == ["dues/ledger.py"], constant
    # nobody counts months so far by hand any more
    assert [n for n, t in text.items() if re.search(r"12 if year < today\.year else", t)] == ["dues/ledger.py"]


def test_facts_several_modules_need_are_written_once():
    """Which meetings need photos, when a committee is needed, which items share B's fields, the
    funding standards: each stands in one place (formats / workspace) and is read from there."""
    text = _sources()
    assert [n for n, t in text.items() if re.search(r'\("B1", "B5", "B6", "B7"\)|\{"B1", "B5", "B6", "B7"\}', t)] \
        == ["core/formats.py"]
    assert [n for n, t in text.items() if re.search(r"(full|members)\w*\)? *(>=|<) *7\b", t)] == []
    assert [n for n, t in text.items() if 'ITEMS["B"] if' in t] == ["core/formats.py"]
    assert [n for n, t in text.items() if re.search(r'"per_member"\s*:', t)] == ["workspace.py"]


def test_this_years_records_are_asked_of_the_store_not_filtered_by_hand():
    text = _sources()
    hand = [n for n, t in text.items() if re.search(r'as_date\(r\[[^]]+\]\)\.year == (self\.)?year', t)]
    assert hand == []


def test_the_command_line_starts_lean():
    """Issue 15: `taizhang --help` imports neither the store nor the document stack (≤ 3× a bare start)."""
    import subprocess
    import sys
    code = ("import sys, cli; print(','.join(m for m in ('openpyxl', 'sqlalchemy', 'docx', 'docxtpl', 'pypdf', "
            "'watchdog') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent)
    assert out.stdout.strip() == ""
