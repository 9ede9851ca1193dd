"""The layers of docs/ARCHITECTURE.md: every import inside duo_ai goes to a lower layer."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "duo_ai"

# Lowest first; a folder or module may import only those in earlier rows.
LAYERS = [
    {"errors"},
    {"progress", "provenance", "registry", "run_folder", "reference", "zoo", "seeding", "threads"},
    {"run_log"},
    {"run", "config"},
    {"envs", "models"},
    {"policies"},
    {"coordination", "checkpoint"},
    {"evaluation"},
    {"adapters"},
    {"algorithms"},
    {"factory"},
    {"protocol"},
    {"reporting", "jobs"},
    {"sweep"},
    {"cli"},
    {"__init__"},
]
RANK = {unit: rank for rank, units in enumerate(LAYERS) for unit in units}


def unit_of(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def imported_units(path: Path) -> set[str]:
    """The duo_ai folders and top-level modules ``path`` imports, lazy imports included."""
    units = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "duo_ai":
            parts = node.module.split(".")
            units |= {parts[1]} if len(parts) > 1 else {alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            units |= {alias.name.split(".")[1] for alias in node.names if alias.name.startswith("duo_ai.")}
    return units - {unit_of(path)}


def test_every_unit_has_a_layer():
    units = {unit_of(path) for path in PACKAGE.rglob("*.py")}
    assert units - RANK.keys() == set(), "add the new folder or module to LAYERS and docs/ARCHITECTURE.md"


def test_no_import_runs_up_a_layer():
    upward = [
        f"{path.relative_to(PACKAGE)} imports {unit}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for unit in sorted(imported_units(path))
        if unit in RANK and RANK[unit] >= RANK[unit_of(path)]
    ]
    assert upward == []


def test_no_function_is_longer_than_a_screen():
    """A function reads in one sitting: at most 60 lines (docstring included)."""
    long = [
        f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path in sorted(PACKAGE.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno >= 60
    ]
    assert long == []


def test_benchmarks_stand_on_the_package_not_on_the_tests():
    """A benchmark imports duo_ai and its sibling scripts: never the tests, never by patching
    ``sys.path`` (the tests may import the benchmarks' shared tables)."""
    leaning = []
    for path in sorted((PACKAGE.parent / "benchmarks").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "tests":
                leaning.append(f"{path.name} imports {node.module}")
            elif (
                isinstance(node, ast.Attribute)
                and node.attr == "path"
                and getattr(node.value, "id", "") == "sys"
            ):
                leaning.append(f"{path.name}:{node.lineno} uses sys.path")
    assert leaning == []
