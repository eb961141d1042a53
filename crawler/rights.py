"""Rights and access signals of an article: TDM reservations, AI-crawler rules, ``noai``-style
robots directives, licence and paywall. Pure: no Scrapy import; bytes, strings, lxml trees and
plain values in, typed values out.

Sources (``docs/rights.md`` has the user's view):

- TDMRep (W3C Community Group final report, 2024-05-10): the ``tdm-reservation`` (``1`` or
  ``0``) and ``tdm-policy`` HTTP header fields, the ``<meta name="tdm-reservation">`` and
  ``<meta name="tdm-policy">`` elements, and the site's ``/.well-known/tdmrep.json`` (an array
  of rules ``{"location": pattern, "tdm-reservation": 0|1, "tdm-policy": url}``; the first rule
  whose pattern matches the URL's path applies; patterns use robots.txt's ``*`` and ``$``).
  The protocol reads the file first, then the header, then the HTML, each superseding the one
  before: the page's own declaration wins. Any other value is a protocol error and declares
  nothing. A relative ``tdm-policy`` is resolved against the URL it came from (the page for the
  header and meta element, the ``tdmrep.json`` file for its rules); one that is then no http(s)
  URL is dropped, the reservation kept (``TdmDeclaration.policy_dropped``, for the crawl's
  count).
- The site's robots.txt, asked for each user agent of ``AI_USER_AGENTS``.
- ``<meta name="robots">`` and ``X-Robots-Tag``: the ``noai``, ``noimageai`` and ``noindex``
  directives addressed to every crawler.
- The licence URL: JSON-LD ``license``, ``<link rel="license">``, Creative Commons markup
  (``<a rel="license">``, ``cc:license`` / ``dcterms:license`` RDFa), ``dcterms.license`` meta.
- Free access: JSON-LD ``isAccessibleForFree`` of the article, ``false`` also when a
  ``hasPart`` section is declared not accessible for free (a paywalled part).

A value that cannot be established is ``None`` (null in the record), never a guess: a
malformed, oversized or refused ``tdmrep.json`` declares nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree

# AI and dataset crawlers whose robots.txt rules are recorded, as their operators name them in
# robots.txt (sources: each operator's crawler documentation). One place: extend it here.
AI_USER_AGENTS: tuple[str, ...] = (
    "GPTBot",  # OpenAI, model training
    "ChatGPT-User",  # OpenAI, fetches for ChatGPT users
    "OAI-SearchBot",  # OpenAI, search
    "CCBot",  # Common Crawl, the open dataset most models train on
    "Google-Extended",  # Google, Gemini training and grounding (a robots.txt token only)
    "ClaudeBot",  # Anthropic, model training
    "Claude-User",  # Anthropic, fetches for Claude users
    "Claude-SearchBot",  # Anthropic, search
    "anthropic-ai",  # Anthropic, older token
    "Claude-Web",  # Anthropic, older token
    "PerplexityBot",  # Perplexity, search index
    "Perplexity-User",  # Perplexity, fetches for users
    "Applebot-Extended",  # Apple, model training (a robots.txt token only)
    "Bytespider",  # ByteDance
    "meta-externalagent",  # Meta, model training
    "meta-externalfetcher",  # Meta, fetches for users
    "FacebookBot",  # Meta, older token
    "Amazonbot",  # Amazon
    "cohere-ai",  # Cohere
    "cohere-training-data-crawler",  # Cohere, training data
    "Diffbot",  # Diffbot knowledge graph
    "AI2Bot",  # Allen Institute for AI
    "Ai2Bot-Dolma",  # Allen Institute for AI, the Dolma dataset
    "MistralAI-User",  # Mistral, fetches for users
    "YouBot",  # You.com
    "DuckAssistBot",  # DuckDuckGo's AI answers
    "Timpibot",  # Timpi
    "omgili",  # Webz.io datasets
    "Webzio-Extended",  # Webz.io, AI use (a robots.txt token only)
    "ImagesiftBot",  # ImageSift
    "img2dataset",  # the img2dataset tool's default user agent
)

ROBOTS_DIRECTIVES = ("noai", "noimageai", "noindex")
# X-Robots-Tag directives that carry a value after a colon (not a user-agent prefix).
_VALUED_DIRECTIVES = frozenset(
    {"unavailable_after", "max-snippet", "max-image-preview", "max-video-preview"}
)
_SPLIT = re.compile(r"[,\s]+")
_UNRESERVED_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

# tdmrep.json: the download cap (a real file is a few hundred bytes), and at most this many
# rules are read (a file with more is refused, not cut: a cut file could change the answer).
TDMREP_MAXSIZE_BYTES = 64 * 1024
TDMREP_MAX_RULES = 1000
TDMREP_PATH = "/.well-known/tdmrep.json"
_MAX_PATTERN_CHARS = 2000
_MAX_URL_CHARS = 2000


@dataclass(frozen=True)
class TdmDeclaration:
    """A TDMRep declaration: ``reserved`` is True (1) or False (0); ``policy`` is kept only
    with a reservation (the protocol ignores it otherwise). ``policy_dropped``: a policy was
    given with the reservation but is no http(s) URL (not part of the declaration's value)."""

    reserved: bool
    policy: str | None = None
    policy_dropped: bool = field(default=False, compare=False)


class TdmRepError(ValueError):
    """A ``tdmrep.json`` that declares nothing; ``reason`` is a stats-key suffix."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class LocationPattern:
    """A ``tdmrep.json`` location: a prefix match where ``*`` stands for any run of
    characters and a final ``$`` for the end of the path (robots.txt's syntax).

    Matched without regular expressions: the literal parts are found left to right with
    ``str.find`` (the leftmost place is always the right one when ``*`` is the only
    wildcard), so a hostile pattern of many ``*`` costs linear time, never backtracking."""

    parts: tuple[str, ...]  # the literal text between the stars, escapes normalized
    anchored: bool

    @classmethod
    def parse(cls, location: str) -> LocationPattern:
        anchored = location.endswith("$")
        body = location[:-1] if anchored else location
        return cls(tuple(_normalize_escapes(body).split("*")), anchored)

    def matches(self, path: str) -> bool:
        first, *middle = self.parts
        if not path.startswith(first):
            return False
        position = len(first)
        if not middle:
            return not self.anchored or position == len(path)
        *middle, last = middle
        for part in middle:
            found = path.find(part, position)
            if found < 0:
                return False
            position = found + len(part)
        if self.anchored:
            return len(path) - position >= len(last) and path.endswith(last)
        return path.find(last, position) >= 0


@dataclass(frozen=True)
class TdmRule:
    location: str
    pattern: LocationPattern
    declaration: TdmDeclaration


@dataclass(frozen=True)
class TdmRepFile:
    """The rules of a site's ``tdmrep.json``, in file order."""

    rules: tuple[TdmRule, ...]

    def to_json(self) -> list[dict[str, Any]]:
        """The rules as ``tdmrep.json`` writes them: ``parse_tdmrep`` reads them back."""
        return [
            {
                "location": rule.location,
                "tdm-reservation": int(rule.declaration.reserved),
                **({"tdm-policy": rule.declaration.policy} if rule.declaration.policy else {}),
            }
            for rule in self.rules
        ]

    def policies_dropped(self) -> int:
        """The rules whose ``tdm-policy`` was dropped (no http(s) URL)."""
        return sum(rule.declaration.policy_dropped for rule in self.rules)

    def declaration_for(self, url: str) -> TdmDeclaration | None:
        """The declaration of the first rule whose location matches ``url``'s path, if any."""
        parts = urlsplit(url)
        path = _normalize_escapes(parts.path or "/")
        for rule in self.rules:
            if rule.pattern.matches(path):
                return rule.declaration
        return None


def tdm_declaration(reservation: Any, policy: Any, base: str | None) -> TdmDeclaration | None:
    """A declaration from a reservation value (``1``/``0``, a number or its text) and a policy
    URL (resolved against ``base``, the URL it came from), or ``None`` when the value declares
    nothing (absent, or a protocol error)."""
    if isinstance(reservation, bool):
        return None  # JSON true/false is not one of the protocol's values
    if isinstance(reservation, str):
        reservation = reservation.strip()
    if reservation in (1, "1"):
        text = policy.strip() if isinstance(policy, str) else policy
        # Words ("see our terms") would resolve to a URL of the site's own: no URL has spaces.
        words = isinstance(text, str) and any(char.isspace() for char in text)
        url = None if words else http_url(text, base)
        return TdmDeclaration(True, url, policy_dropped=text not in (None, "") and url is None)
    if reservation in (0, "0"):
        return TdmDeclaration(False)
    return None


def http_url(value: Any, base: str | None = None) -> str | None:
    """``value`` as an absolute http(s) URL (resolved against ``base``), else ``None``."""
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_URL_CHARS:
        return None
    url = urljoin(base, value.strip()) if base else value.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def text_url(value: Any, base: str) -> str | None:
    """A URL given as text (a JSON-LD value, a ``content`` attribute), where a licence's name
    is as common as its URL: an absolute http(s) URL, or a reference starting with ``/`` or
    ``.`` resolved against ``base``; ``None`` for anything else ("CC BY-SA 4.0", "CC-BY"),
    which a resolution would turn into a URL of the page's own site."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or any(char.isspace() for char in text):
        return None
    if text.startswith(("/", ".")):
        return http_url(text, base)
    return http_url(text)


def _normalize_escapes(path: str) -> str:
    """Percent-escapes of unreserved characters decoded (TDMRep, after RFC 3986): ``%7E`` and
    ``~`` match each other; escapes of reserved characters stay as they are."""

    def decode(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else match.group(0).upper()

    return _UNRESERVED_ESCAPE.sub(decode, path)


def parse_tdmrep(body: bytes, url: str | None = None) -> TdmRepFile:
    """The rules of a ``tdmrep.json`` body (fetched from ``url``, which a relative
    ``tdm-policy`` is resolved against; ``None`` for rules whose policies are absolute).
    Raises ``TdmRepError("malformed")`` unless the body is a JSON array of rules, each with a
    string ``location`` starting with ``/`` and a ``tdm-reservation`` of 0 or 1, and
    ``TdmRepError("too_many_rules")`` past
    ``TDMREP_MAX_RULES``. One bad rule refuses the whole file: skipping it could let a later,
    broader rule give the wrong answer."""
    if len(body) > TDMREP_MAXSIZE_BYTES:
        raise TdmRepError("too_large", f"{len(body)} bytes")
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise TdmRepError("malformed", type(exc).__name__) from None
    if not isinstance(data, list):
        raise TdmRepError("malformed", "not a JSON array")
    if len(data) > TDMREP_MAX_RULES:
        raise TdmRepError("too_many_rules", str(len(data)))
    rules = []
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise TdmRepError("malformed", f"rule {index} is not an object")
        location = item.get("location")
        if (
            not isinstance(location, str)
            or not location.startswith("/")
            or len(location) > _MAX_PATTERN_CHARS
        ):
            raise TdmRepError("malformed", f"rule {index}: bad location")
        declaration = tdm_declaration(item.get("tdm-reservation"), item.get("tdm-policy"), url)
        if declaration is None:
            raise TdmRepError("malformed", f"rule {index}: bad tdm-reservation")
        rules.append(TdmRule(location, LocationPattern.parse(location), declaration))
    return TdmRepFile(tuple(rules))


def ai_crawler_rules(
    allowed: Callable[[str, str], bool],
    url: str,
    group: Callable[[str], Hashable] | None = None,
) -> dict[str, bool]:
    """For each of ``AI_USER_AGENTS``: may it fetch ``url`` under the site's robots.txt
    (``allowed(url, user_agent)``, e.g. a Scrapy ``RobotParser.allowed``).

    ``group(agent)``, when given, names the robots.txt group that answers ``agent``: agents
    answered by the same group (most fall back to ``*``) are asked once, so a robots.txt of
    many rules costs one match per group, not one per agent."""
    answers: dict[Hashable, bool] = {}
    rules = {}
    for agent in AI_USER_AGENTS:
        key = group(agent) if group is not None else agent
        if key not in answers:
            answers[key] = bool(allowed(url, agent))
        rules[agent] = answers[key]
    return rules


def robots_directives(values: Iterable[str], *, header: bool = False) -> list[str]:
    """The ``ROBOTS_DIRECTIVES`` in robots meta contents or ``X-Robots-Tag`` values (``none``
    counts as ``noindex``). An ``X-Robots-Tag`` value addressed to one crawler
    (``googlebot: noindex``) is not for every crawler and is passed over."""
    found: set[str] = set()
    for value in values:
        if header and ":" in value:
            prefix = value.split(":", 1)[0].strip().lower()
            if prefix not in _VALUED_DIRECTIVES:
                continue
        for token in _SPLIT.split(value.lower()):
            token = token.strip()
            if token == "none":
                token = "noindex"
            if token in ROBOTS_DIRECTIVES:
                found.add(token)
    return [d for d in ROBOTS_DIRECTIVES if d in found]


@dataclass
class PageRights:
    """The rights signals read from a page's HTML (``read_page_rights``). Picklable: it
    travels from the extraction worker with the page's other results."""

    tdm: TdmDeclaration | None = None
    robots: list[str] = field(default_factory=list)
    license: str | None = None
    license_source: str | None = None
    free_access: bool | None = None


def _meta_contents(elements: Iterable[etree._Element]) -> dict[str, list[str]]:
    contents: dict[str, list[str]] = {}
    for tag in elements:
        name = tag.get("name") or tag.get("property")
        value = tag.get("content")
        if name and value is not None:
            contents.setdefault(name.strip().lower(), []).append(value)
    return contents


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _ld_license(value: Any, base: str) -> str | None:
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            item = item.get("url") or item.get("@id")
        url = text_url(item, base)
        if url:
            return url
    return None


def _free_access(obj: dict[str, Any]) -> bool | None:
    free = _boolean(obj.get("isAccessibleForFree"))
    parts = obj.get("hasPart")
    for part in parts if isinstance(parts, list) else [parts]:
        if isinstance(part, dict) and _boolean(part.get("isAccessibleForFree")) is False:
            return False  # a section behind the paywall
    return free


def read_page_rights(
    tree: etree._Element,
    url: str,
    json_ld: list[dict[str, Any]] | None = None,
    meta_elements: list[etree._Element] | None = None,
) -> PageRights:
    """The page-level signals of a parsed page (call it before the tree is pruned): the TDMRep
    meta elements, robots meta directives, the licence URL and free access. ``json_ld`` and
    ``meta_elements``: the page's JSON-LD objects and ``meta`` elements where already read
    (``PageHints``), else they are read."""
    # The metadata reader's JSON-LD walk, so both read the same objects the same way
    # (imported here: crawler.extraction imports this module).
    from crawler.extraction.metadata import ARTICLE_TYPES, _json_ld_objects, _types

    rights = PageRights()
    meta = _meta_contents(tree.iter("meta") if meta_elements is None else meta_elements)
    reservations = meta.get("tdm-reservation", [])
    if reservations:
        policies = meta.get("tdm-policy", [])
        rights.tdm = tdm_declaration(reservations[0], policies[0] if policies else None, url)
    rights.robots = robots_directives(meta.get("robots", []))
    for obj in _json_ld_objects(tree) if json_ld is None else json_ld:
        if not _types(obj) & ARTICLE_TYPES:
            continue
        if rights.license is None:
            rights.license = _ld_license(obj.get("license"), url)
            rights.license_source = "json-ld" if rights.license else None
        if rights.free_access is None:
            rights.free_access = _free_access(obj)
    if rights.license is None:
        rights.license, rights.license_source = _markup_license(tree, meta, url)
    return rights


# The elements either kind of licence markup is read from, in document order: those with a
# ``property`` or a ``rel`` attribute that holds "license" in any case (both tests below need
# it), kept in C by the XPath: most pages mark hundreds of elements with Open Graph
# properties or links' ``rel="noopener"``, none of which the tests take. Only ASCII capitals
# lower to the letters of "license" (``str.lower`` makes "İ" two characters). The XPath goes
# from the attributes to their elements: a third of the time of testing every element for
# them (``//*[@property or @rel]``).
_LICENSE_IN = "contains(translate(., 'LICENSE', 'license'), 'license')"
_WITH_LICENSE_MARKUP = etree.XPath(f"//@property[{_LICENSE_IN}]/.. | //@rel[{_LICENSE_IN}]/..")


def _markup_license(
    tree: etree._Element, meta: Mapping[str, list[str]], url: str
) -> tuple[str | None, str | None]:
    """The licence URL of ``rel="license"`` links (Creative Commons' own markup), RDFa
    ``cc:license`` / ``dcterms:license``, or a ``dcterms.license`` meta element."""
    marked = _WITH_LICENSE_MARKUP(tree)
    for element in marked:
        if element.tag not in ("link", "a"):
            continue
        rel = (element.get("rel") or "").lower().split()
        if "license" in rel:
            found = http_url(element.get("href"), url)
            if found:
                return found, "link" if element.tag == "link" else "html"
    for element in marked:
        names = f"{element.get('property') or ''} {element.get('rel') or ''}".lower()
        if {"cc:license", "dcterms:license", "dct:license"} & set(names.split()):
            value = element.get("href") or element.get("resource")
            found = http_url(value, url) if value else text_url(element.get("content"), url)
            if found:
                return found, "html"
    for name in ("dcterms.license", "dc.rights.license"):
        for value in meta.get(name, []):
            found = text_url(value, url)
            if found:
                return found, "meta"
    return None, None


def header_tdm(headers: Mapping[str, str], url: str) -> TdmDeclaration | None:
    """The declaration of the ``tdm-reservation`` / ``tdm-policy`` response header fields of
    the response from ``url``."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if "tdm-reservation" not in lowered:
        return None
    return tdm_declaration(lowered["tdm-reservation"], lowered.get("tdm-policy"), url)


@dataclass(frozen=True)
class SiteRights:
    """The site-level signals for one URL, found before its download: the ``tdmrep.json``
    declaration (``tdmrep`` is ``None`` when the file is absent, declares nothing for the URL
    or could not be read) and the AI-crawler rules (``None`` without robots.txt rules)."""

    tdmrep: TdmDeclaration | None = None
    ai_crawlers: dict[str, bool] | None = None

    def to_meta(self) -> dict[str, Any]:
        """JSON-native form, safe in ``Request.meta`` (serialized by distributed queues)."""
        tdm = self.tdmrep
        return {
            "tdmrep": None if tdm is None else {"reserved": tdm.reserved, "policy": tdm.policy},
            "ai_crawlers": self.ai_crawlers,
        }

    @classmethod
    def from_meta(cls, value: Any) -> SiteRights | None:
        if not isinstance(value, dict):
            return None
        tdm = value.get("tdmrep")
        ai = value.get("ai_crawlers")
        return cls(
            TdmDeclaration(bool(tdm["reserved"]), tdm.get("policy"))
            if isinstance(tdm, dict)
            else None,
            {str(k): bool(v) for k, v in ai.items()} if isinstance(ai, dict) else None,
        )


def rights_record(
    page: PageRights | None, headers: Mapping[str, str], site: SiteRights | None, url: str
) -> tuple[dict[str, Any], dict[str, str], bool]:
    """The record's ``rights`` object, its provenance entries (``rights.<field>``) and whether
    the page's own declaration (meta element or header of the response from ``url``) that
    applies had its ``tdm-policy`` dropped (a site's file is counted when it is read).

    TDM: the page's meta element, else the header fields, else ``tdmrep.json`` (each
    supersedes the one before, as the protocol orders them)."""
    page = page or PageRights()
    site = site or SiteRights()
    provenance: dict[str, str] = {}
    tdm: TdmDeclaration | None = None
    policy_dropped = False
    for source, declaration in (
        ("meta", page.tdm),
        ("header", header_tdm(headers, url)),
        ("tdmrep.json", site.tdmrep),
    ):
        if declaration is not None:
            tdm = declaration
            provenance["rights.tdm_reserved"] = source
            if declaration.policy:
                provenance["rights.tdm_policy"] = source
            policy_dropped = declaration.policy_dropped and source != "tdmrep.json"
            break
    if site.ai_crawlers is not None:
        provenance["rights.ai_crawlers"] = "robots.txt"
    header_robots = robots_directives(
        (
            line
            for name, value in headers.items()
            if name.lower() == "x-robots-tag"
            for line in value.split("\n")  # one line per X-Robots-Tag field line
        ),
        header=True,
    )
    robots = [d for d in ROBOTS_DIRECTIVES if d in page.robots or d in header_robots]
    if robots:
        provenance["rights.robots_meta"] = ", ".join(
            source for source, found in (("meta", page.robots), ("header", header_robots)) if found
        )
    if page.license:
        provenance["rights.license"] = page.license_source or "html"
    if page.free_access is not None:
        provenance["rights.free_access"] = "json-ld"
    record = {
        "tdm_reserved": None if tdm is None else tdm.reserved,
        "tdm_policy": None if tdm is None else tdm.policy,
        "ai_crawlers": site.ai_crawlers,
        "robots_meta": robots,
        "license": page.license,
        "free_access": page.free_access,
    }
    return record, provenance, policy_dropped


# Run report: the signals counted per feed, from written records.
def record_signals(rights: Mapping[str, Any] | None) -> list[str]:
    """The names of the signals a record's ``rights`` object shows, for per-feed counts."""
    if not isinstance(rights, Mapping):
        return []
    names = []
    reserved = rights.get("tdm_reserved")
    if reserved is True:
        names.append("tdm_reserved")
    elif reserved is False:
        names.append("tdm_not_reserved")
    crawlers = rights.get("ai_crawlers")
    if isinstance(crawlers, Mapping) and not all(crawlers.values()):
        names.append("ai_crawlers_disallowed")
    names += [str(d) for d in rights.get("robots_meta") or []]
    if rights.get("license"):
        names.append("license")
    if rights.get("free_access") is False:
        names.append("not_free")
    elif rights.get("free_access") is True:
        names.append("free")
    return names


# Request.meta key of an article request: present (``None``) when the spider makes the request;
# the rights middleware puts the site's signals for the URL there (``SiteRights.to_meta``).
SITE_RIGHTS_META = "newscrawler_site_rights"
