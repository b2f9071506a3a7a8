"""Crawler processes sharing sources through Redis: the fixture paste sites, big and usual."""

import json
import shutil

import pytest
from workers_monitor import BIG_PASTES, SEED

from world.synth import make_institutions
from world.sites import FixtureSites, build_content


@pytest.fixture(scope="session")
def big_content(tmp_path_factory):
    out = tmp_path_factory.mktemp("big-site")
    build_content(out, make_institutions(3, rows=80, seed=SEED), seed=SEED, pastes_visible=BIG_PASTES)
    return out


@pytest.fixture
def big_site(big_content, tmp_path):
    """The 5,000-page paste site, with an access log of this test's own."""
    copy = tmp_path / "big-site"
    shutil.copytree(big_content, copy)
    with FixtureSites(copy) as running:
        running.content = json.loads((copy / "content.json").read_text(encoding="utf-8"))
        yield running


@pytest.fixture
def paste_site(crawl_content, tmp_path):
    """The tests' usual paste site (52 visible pastes, 107 pages), with an access log of this test's own."""
    copy = tmp_path / "site"
    shutil.copytree(crawl_content, copy)
    with FixtureSites(copy) as running:
        running.content = json.loads((copy / "content.json").read_text(encoding="utf-8"))
        yield running
