"""Real fixture-sites processes, on content built once per session."""

import shutil

import pytest

from world.synth import make_institutions
from world.sites import FixtureSites, build_content

SEED = 2021


@pytest.fixture(scope="session")
def institutions():
    # 4 labs of 200: leaks come from the first 3, the 4th is registered but never leaked.
    return make_institutions(4, rows=200, seed=SEED)


@pytest.fixture(scope="session")
def content_dir(tmp_path_factory, institutions):
    out = tmp_path_factory.mktemp("sites")
    build_content(out, institutions, seed=SEED)
    return out


@pytest.fixture(scope="session")
def content(content_dir):
    import json
    return json.loads((content_dir / "content.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def fixture_sites(content_dir):
    """One process for the read-only tests of the whole session."""
    with FixtureSites(content_dir) as sites:
        yield sites


@pytest.fixture
def fresh_sites(content_dir, tmp_path):
    """A process of its own (own copy of the content, own access log) for tests that change state:
    publishing, rate-limit counters, stopping."""
    copy = tmp_path / "content"
    shutil.copytree(content_dir, copy, ignore=shutil.ignore_patterns("access.log"))
    with FixtureSites(copy) as sites:
        yield sites
