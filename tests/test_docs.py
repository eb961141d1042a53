"""The documentation covers what the code declares: every setting of ``crawler/settings.py``,
every spider argument and every ``newscrawler`` command; its links and anchors resolve; the
README's record example is a valid record; no internal jargon."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

import crawler.settings as project
from crawler.arguments import SPIDER_ARGUMENTS
from crawler.cli import HANDLERS
from crawler.storage.outcomes import CONTENT_DROPS
from tests.conftest import ROOT

DOCS = sorted((ROOT / "docs").glob("*.md"))
README = ROOT / "README.md"
PAGES = [README, *DOCS]


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def all_docs() -> str:
    return "\n".join(text(p) for p in DOCS)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {slug(h) for h in re.findall(r"^#{1,6} (.+)$", text(path), flags=re.M)}


def test_every_setting_of_the_project_is_documented() -> None:
    names = [name for name in vars(project) if name.isupper()]
    assert "NEWSCRAWLER_CONTACT" in names and "ROBOTSTXT_OBEY" in names
    docs = all_docs()
    missing = [name for name in names if f"`{name}`" not in docs]
    assert missing == [], f"settings not in docs/: {missing}"


def test_every_project_setting_has_a_row_in_the_settings_reference() -> None:
    reference = text(ROOT / "docs" / "settings.md")
    names = [name for name in vars(project) if name.startswith("NEWSCRAWLER_")]
    missing = [name for name in names if f"| `{name}` |" not in reference]
    assert missing == [], f"no row in docs/settings.md: {missing}"


def test_every_spider_argument_and_command_is_documented() -> None:
    commands = text(ROOT / "docs" / "commands.md")
    for name in SPIDER_ARGUMENTS:
        assert f"| `{name}` |" in commands, name
    for command in HANDLERS:
        assert f"## newscrawler {command}" in commands, command


# Names the docs show misspelt on purpose, as the examples of the error they cause.
MISSPELT = {"NEWSCRAWLER_MAX_ENTRIES", "feed"}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_setting_and_argument_the_docs_name_exists(page: Path) -> None:
    """A recipe that gives a setting or spider argument the code does not know stops with
    exit status 2: every ``NEWSCRAWLER_*`` and ``-a NAME`` a page names must exist."""
    body = text(page)
    settings = {name for name in vars(project) if name.isupper()}
    named = set(re.findall(r"\bNEWSCRAWLER_[A-Z0-9_]*[A-Z0-9]\b", body)) - MISSPELT
    assert named <= settings, f"{page.name}: unknown settings {sorted(named - settings)}"
    arguments = set(re.findall(r"-a ([a-z_]+)", body)) - MISSPELT
    assert arguments <= set(SPIDER_ARGUMENTS), f"{page.name}: {sorted(arguments)}"


def test_every_remembered_drop_reason_is_listed_where_users_look_for_it() -> None:
    commands = text(ROOT / "docs" / "commands.md")
    forget = commands[
        commands.index("## newscrawler forget") : commands.index("## newscrawler health")
    ]
    remembered = text(ROOT / "docs" / "scheduling.md").split("is remembered like", 1)[0]
    remembered = remembered[remembered.rindex("A page dropped for its content") :]
    for reason in CONTENT_DROPS:
        assert f"`{reason}`" in forget and f"`{reason}`" in remembered, reason


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_links_and_anchors_resolve(page: Path) -> None:
    for target in re.findall(r"\]\(([^)\s]+)\)", text(page)):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        file, _, anchor = target.partition("#")
        linked = (page.parent / file).resolve() if file else page
        assert linked.is_file(), f"{page.name}: {target}"
        if anchor:
            assert anchor in anchors(linked), f"{page.name}: {target}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_internal_terms(page: Path) -> None:
    body = text(page)
    for pattern in (r"\bissue \d", r"foundation's", r"\.\./shared", r"\bhelper\b", r"the issue"):
        assert not re.search(pattern, body, flags=re.I), (page.name, pattern)


def test_long_pages_have_a_table_of_contents() -> None:
    for page in DOCS:
        lines = text(page).splitlines()
        if len(lines) > 90 and sum(line.startswith("## ") for line in lines) >= 3:
            assert any(re.match(r"- \[.+\]\(#", line) for line in lines[:20]), page.name


def test_the_readme_is_short_and_its_record_example_is_valid() -> None:
    readme = text(README)
    assert len(readme.splitlines()) <= 150
    [example] = re.findall(r"```json\n(.*?)```", readme, flags=re.S)
    schema = json.loads((ROOT / "crawler" / "article.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(example), schema)


def test_every_record_field_is_documented_and_required_by_the_schema() -> None:
    """The fields of output.md's record table, the schema's properties, the fields it requires
    and the fields a record has are one set: a reader checking records against the schema
    learns every field is always there."""
    from crawler.extraction.article import extract_article
    from crawler.items import FeedEntry

    section = text(ROOT / "docs" / "output.md").split("## Record format", 1)[1].split("\n## ")[0]
    documented = set(re.findall(r"^\| `(\w+)` \|", section, flags=re.M))
    schema = json.loads((ROOT / "crawler" / "article.schema.json").read_text(encoding="utf-8"))
    url = "https://news.example/a"
    paragraphs = "".join(f"<p>Sentence {n} of the story, told in full.</p>" for n in range(40))
    html = f"<html><body><article>{paragraphs}</article></body></html>".encode()
    entry = FeedEntry(link=url, feed_url=url)
    article = extract_article(html, url, {}, entry, "2026-11-24T08:15:03+00:00").article
    assert article is not None
    record = article.to_record()
    assert documented == set(schema["properties"]) == set(schema["required"]) == set(record)
    [example] = re.findall(r"```json\n(.*?)```", text(README), flags=re.S)
    assert list(json.loads(example)) == list(record), "README's example: the fields in order"
