"""The arrows between the packages, written down once and checked on every import statement of
the product, lazy ones (inside functions) and `importlib.import_module("...")` included.

    leakwatch.matchers   extract, normalize, fingerprint, match, registry: imports no other part of
                         leakwatch, no crawler framework, no web framework, no CLI
    leakwatch.crawler    the Scrapy project: imports leakwatch.matchers only (never the web app,
                         the CLI or leakwatch's settings: it is given plain values)
    leakwatch            the face (CLI, settings, web app, alerts, review): anything below it
    world, bench, tests  the synthetic world, benchmarks and tests: never imported by the product

matchers/ and crawler/ are folders of their own that install as leakwatch.matchers and
leakwatch.crawler (pyproject.toml); the product imports them by those names only.
"""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Where each installed package's modules live in the tree.
ROOTS = {"leakwatch": REPO / "leakwatch", "leakwatch.matchers": REPO / "matchers", "leakwatch.crawler": REPO / "crawler"}

WEB = ("fastapi", "starlette", "uvicorn", "jinja2", "multipart")
CRAWLING = ("scrapy", "scrapy_redis", "scrapy_playwright", "twisted", "playwright")
TEST_WORLD = ("world", "bench", "tests")
MAPPED_NAMES = ("matchers", "crawler")  # importable only as leakwatch.matchers / leakwatch.crawler


def _modules():
    """(module name, path) of every product module, each under the package that installs it."""
    for package, root in ROOTS.items():
        for path in sorted(root.rglob("*.py")):
            rel = path.relative_to(root).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            name = ".".join([package, *parts])
            # leakwatch's own walk stops at the mapped folders (they are not under leakwatch/).
            yield name, path, path.name == "__init__.py"


def _imports(name: str, path: Path, is_package: bool):
    """Every module name `path` imports: import statements anywhere in it, and import_module("...")."""
    tree = ast.parse(path.read_text(), str(path))
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            yield target, node.lineno
            for alias in node.names:  # `from leakwatch import web` imports leakwatch.web
                yield f"{target}.{alias.name}", node.lineno
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            yield node.args[0].value, node.lineno


def _within(target: str, *prefixes: str) -> bool:
    return any(target == p or target.startswith(p + ".") for p in prefixes)


def _project_module(target: str) -> bool:
    """`from leakwatch.x import name` yields leakwatch.x.name too: keep only names that are modules
    or packages of the tree (a class imported by name is not a module)."""
    return target in MODULE_NAMES or not _within(target, "leakwatch")


MODULE_NAMES = {name for name, _, _ in _modules()}


def _violations(rule):
    found = []
    for name, path, is_package in _modules():
        for target, line in _imports(name, path, is_package):
            if _project_module(target) and not rule(name, target):
                found.append(f"{path.relative_to(REPO)}:{line}: {name} imports {target}")
    return sorted(set(found))


def test_the_walk_sees_every_package_and_resolves_relative_imports():
    names = MODULE_NAMES
    assert {"leakwatch.cli", "leakwatch.web.app", "leakwatch.matchers.extract", "leakwatch.crawler.pipelines.scan"} <= names
    imported = {t for t, _ in _imports("leakwatch.cli", REPO / "leakwatch/cli/__init__.py", True)}
    assert "leakwatch.cli.root" in imported  # `from .root import ...`


def test_matchers_import_no_other_part_of_leakwatch_and_no_framework():
    def allowed(name, target):
        if not _within(name, "leakwatch.matchers"):
            return True
        if _within(target, "leakwatch"):
            return _within(target, "leakwatch.matchers")
        return not _within(target, *WEB, *CRAWLING, "typer", "stem")
    assert _violations(allowed) == []


def test_the_crawler_imports_only_the_matchers_below_it():
    def allowed(name, target):
        if not _within(name, "leakwatch.crawler"):
            return True
        if _within(target, "leakwatch"):
            return _within(target, "leakwatch.crawler", "leakwatch.matchers")
        return not _within(target, *WEB, "typer")
    assert _violations(allowed) == []


def test_only_the_crawler_imports_scrapy():
    def allowed(name, target):
        return _within(name, "leakwatch.crawler") or not _within(target, "scrapy", "scrapy_redis", "scrapy_playwright")
    assert _violations(allowed) == []


def test_the_web_app_and_alerts_do_not_import_the_cli():
    def allowed(name, target):
        if _within(name, "leakwatch.web", "leakwatch.alerts", "leakwatch.review", "leakwatch.accounts"):
            return not _within(target, "leakwatch.cli")
        return True
    assert _violations(allowed) == []


def test_the_product_never_imports_the_test_world_or_the_mapped_folders_by_their_own_names():
    def allowed(name, target):
        return not _within(target, *TEST_WORLD, *MAPPED_NAMES)
    assert _violations(allowed) == []


@pytest.mark.parametrize("source, expected", [
    ("import world.synth\n", "world.synth"),
    ("def f():\n    from bench import speed\n", "bench"),
    ("import importlib\nimportlib.import_module('tests.conftest')\n", "tests.conftest"),
])
def test_a_forbidden_import_is_seen_wherever_it_hides(tmp_path, source, expected):
    path = tmp_path / "mod.py"
    path.write_text(source)
    assert expected in {t for t, _ in _imports("leakwatch.mod", path, False)}
