"""The error catalogue is checked: every code the pipeline emits is in `issues.CODES` (with its Chinese
title, shown in docs and receipts), and the catalogue lists no code that nothing emits."""
from __future__ import annotations

import ast
from pathlib import Path

from pipeline.core.issues import CODES, ERROR, SEVERITIES, WARNING, Issue

PIPELINE = Path(__file__).resolve().parent.parent / "pipeline"
# where a code stands in each emitting call: Issue(code, …), row.issue(field, code, …), Bad(code, …),
# _cell_issue(col, line, sheet, raw, code, …), file_issue(code, …)
POSITIONS = {"Issue": 0, "issue": 1, "Bad": 0, "_cell_issue": 4, "file_issue": 0}


def _name(func: ast.expr) -> str | None:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def emitted_codes() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in PIPELINE.rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            strings = []
            if isinstance(node, ast.Call) and _name(node.func) in POSITIONS:
                at = POSITIONS[_name(node.func)]
                strings += node.args[at:at + 1]
                strings += [k.value for k in node.keywords if k.arg == "code"]
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id.endswith("_ISSUES")
                                                    for t in node.targets) and isinstance(node.value, ast.Dict):
                strings += [v.elts[0] for v in node.value.values if isinstance(v, ast.Tuple)]
            for s in strings:
                if isinstance(s, ast.Constant) and isinstance(s.value, str):
                    found.setdefault(s.value, set()).add(path.name)
    return found


def test_every_emitted_code_is_in_the_catalogue():
    unknown = {code: where for code, where in emitted_codes().items() if code not in CODES}
    assert unknown == {}


def test_the_catalogue_has_no_dead_codes():
    emitted = emitted_codes()
    assert [code for code in CODES if code not in emitted] == []


def test_severities_are_written_as_the_constants():
    """Issue(code, ERROR, …), never Issue(code, "error", …): one spelling, checked by the name."""
    literal = []
    for path in PIPELINE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and _name(node.func) == "Issue":
                args = node.args[1:2] + [k.value for k in node.keywords if k.arg == "severity"]
            elif isinstance(node, ast.Call) and _name(node.func) == "issue":
                args = node.args[4:5] + [k.value for k in node.keywords if k.arg == "severity"]
            elif isinstance(node, ast.arguments):
                args = [d for d in node.defaults + node.kw_defaults if d is not None]
                args = [a for a in args if isinstance(a, ast.Constant) and a.value in SEVERITIES]
            else:
                continue
            literal += [(path.name, a.lineno) for a in args if isinstance(a, ast.Constant)]
    assert SEVERITIES == (ERROR, WARNING) and literal == []


def test_an_issue_with_a_severity_outside_the_two_is_refused():
    import pytest
    with pytest.raises(ValueError):
        Issue("no-data", "warn", "x")
