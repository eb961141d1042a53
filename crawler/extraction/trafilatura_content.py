"""trafilatura's main extractor, with its XPath selections made in Python. Pure.

``extract_content`` is ``trafilatura.main_extractor.extract_content`` at the pinned trafilatura
version: the same code (its functions ``extract_content``, ``_extract``, ``recover_wild_text``
and ``prune_unwanted_sections``, bound to a namespace of their own, so trafilatura's module
and its own ``extract`` are left as they are), with the expressions they select elements with
(``BODY_XPATH``, ``OVERALL_DISCARD_XPATH``, ``TEASER_DISCARD_XPATH``,
``DISCARD_IMAGE_ELEMENTS``) replaced by selectors that make the same selections in one Python
walk each. Each expression is an XPath over the whole tree whose regular expressions call back
into Python for every element, and those expressions took about a tenth of our extraction's
CPU; the selectors read an element's attributes once, with the same regular expressions, read
from the expressions' own text.

``tests/test_trafilatura_content.py`` checks that each selector selects what its expression
selects, and that the body is trafilatura's.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable, Collection
from typing import Any

import trafilatura.main_extractor
from lxml import etree
from trafilatura.settings import Extractor
from trafilatura.xpaths import (
    BODY_XPATH,
    DISCARD_IMAGE_ELEMENTS,
    OVERALL_DISCARD_XPATH,
    TEASER_DISCARD_XPATH,
)

Test = Callable[[etree._Element], bool]
_RE_TEST = re.compile(r"re:test\(([@\w|-]+), '([^']*)'(?:, '(\w*)')?\)")


def _regexes(expression: etree.XPath) -> dict[str, re.Pattern[str]]:
    """The regular expressions of an expression's ``re:test`` calls, by their first argument
    and flags ("@class", "@class/i"), compiled as lxml compiles them."""
    return {
        f"{argument}/{flags}" if flags else argument: re.compile(
            pattern, re.IGNORECASE if "i" in flags else 0
        )
        for argument, pattern, flags in _RE_TEST.findall(expression.path)
    }


def _first_of(element: etree._Element, one: str, other: str) -> str:
    """XPath's string value of ``@one|@other``: the value of whichever of the two attributes
    comes first on the element ("" without either)."""
    first, second = element.get(one), element.get(other)
    if first is None or second is None:
        return first or second or ""
    names = element.keys()
    return str(first if names.index(one) < names.index(other) else second)


def _search(pattern: re.Pattern[str], value: str | None) -> bool:
    """``re:test`` of an attribute: an absent one is the empty string, which none of the
    patterns here match."""
    return value is not None and pattern.search(value) is not None


class _Selector:
    """The elements below a tree (``.//*``) of the given tags (any without) that pass a test,
    in document order; only the first with ``first``."""

    def __init__(
        self, expression: etree.XPath, tags: Collection[str], test: Test, *, first: bool = False
    ) -> None:
        self.expression = expression
        self.tags = tuple(tags)
        self.test = test
        self.first = first

    def __call__(self, tree: etree._Element) -> list[etree._Element]:
        found = []
        for element in tree.iterdescendants(*self.tags or (etree.Element,)):
            if self.test(element):
                found.append(element)
                if self.first:
                    break
        return found

    def __str__(self) -> str:  # _extract logs the expression that found the body
        return str(self.expression.path)


_BLOCKS = ("div", "item", "list", "p", "section", "span")
_CONTAINERS = ("article", "div", "main", "section")

_overall, _hidden = (_regexes(expression) for expression in OVERALL_DISCARD_XPATH)


def _overall_discard(element: etree._Element) -> bool:
    get = element.get
    return (
        get("data-lp-replacement-content") is not None
        or "nav" in (get("role") or "").replace("N", "n")
        or "MostPopularStories" in (get("data-component") or "")
        or _overall["@id|@class"].search(_first_of(element, "id", "class")) is not None
        or _search(_overall["@id"], get("id"))
        or _search(_overall["@class"], get("class"))
    )


def _hidden_discard(element: etree._Element) -> bool:
    get = element.get
    css, style = get("class"), get("style") or ""
    return (
        css == "comments-title"
        or _first_of(element, "id", "class").startswith("reply-")
        or _hidden["@id|@style"].search(_first_of(element, "id", "style")) is not None
        or "display:none" in style
        or "display: none" in style
        or _search(_hidden["@id"], get("id"))
        or _search(_hidden["@class"], css)
        or get("aria-hidden") == "true"
    )


def _teaser(element: etree._Element) -> bool:
    return "teaser" in (element.get("id") or "").replace("T", "t") or "teaser" in (
        element.get("class") or ""
    ).replace("T", "t")


def _caption(element: etree._Element) -> bool:
    return "caption" in (element.get("id") or "") or "caption" in (element.get("class") or "")


_article = _regexes(BODY_XPATH[0])
_story = _regexes(BODY_XPATH[2])
_main = _regexes(BODY_XPATH[3])


def _article_body(element: etree._Element) -> bool:
    get = element.get
    css, ident = get("class"), get("id")
    return (
        css in ("post", "entry")
        or get("itemprop") == "articleBody"
        or ident == "articleContent"
        or _search(_article["@id"], ident)
        or _search(_article["@class"], css)
    )


def _story_body(element: etree._Element) -> bool:
    get = element.get
    css, ident = get("class"), get("id")
    return (
        get("role") == "article"
        or ident in ("article", "story")
        or css in ("postarea", "art-postcontent", "text", "cell", "story")
        or _search(_story["@id"], ident)
        or _search(_story["@class/i"], css)
        or _search(_story["@class"], css)
    )


def _main_content(element: etree._Element) -> bool:
    get = element.get
    css, ident = get("class"), get("id")
    return (
        ident == "content"
        or css == "content"
        or _search(_main["@id"], ident)
        or _search(_main["@class"], css)
        or "main-content" in (ident or "").replace("C", "c").replace("M", "m")
        or "main-content" in (css or "").replace("C", "c").replace("M", "m")
        or "page-content" in (css or "").replace("C", "c").replace("P", "p")
    )


def _main_element(element: etree._Element) -> bool:
    if element.tag == "main":
        return True
    if element.tag not in ("article", "div", "section"):
        return False
    return any((element.get(name) or "").startswith("main") for name in ("class", "id", "role"))


SELECTORS: dict[str, list[Any]] = {
    # _extract takes the first element each finds, in document order
    "BODY_XPATH": [
        _Selector(BODY_XPATH[0], _CONTAINERS, _article_body, first=True),
        _Selector(BODY_XPATH[1], ("article",), lambda element: True, first=True),
        _Selector(BODY_XPATH[2], _CONTAINERS, _story_body, first=True),
        _Selector(BODY_XPATH[3], _CONTAINERS, _main_content, first=True),
        _Selector(BODY_XPATH[4], (), _main_element, first=True),
    ],
    "OVERALL_DISCARD_XPATH": [
        _Selector(OVERALL_DISCARD_XPATH[0], _BLOCKS, _overall_discard),
        _Selector(OVERALL_DISCARD_XPATH[1], (), _hidden_discard),
    ],
    "TEASER_DISCARD_XPATH": [_Selector(TEASER_DISCARD_XPATH[0], _BLOCKS, _teaser)],
    "DISCARD_IMAGE_ELEMENTS": [_Selector(DISCARD_IMAGE_ELEMENTS[0], _BLOCKS, _caption)],
}


def _bound(names: tuple[str, ...]) -> dict[str, Any]:
    """trafilatura's functions ``names`` of its main extractor, bound to a copy of its
    module's namespace in which the expressions are our selectors."""
    namespace = {**vars(trafilatura.main_extractor), **SELECTORS}
    for name in names:
        function = getattr(trafilatura.main_extractor, name)
        bound = types.FunctionType(
            function.__code__, namespace, function.__name__, function.__defaults__
        )
        bound.__kwdefaults__ = function.__kwdefaults__
        namespace[name] = bound
    return namespace


_NAMESPACE = _bound(("extract_content", "_extract", "recover_wild_text", "prune_unwanted_sections"))


def extract_content(cleaned_tree: etree._Element, options: Extractor) -> tuple[etree._Element, str]:
    """``trafilatura.main_extractor.extract_content``: the body element and its text."""
    body, text = _NAMESPACE["extract_content"](cleaned_tree, options)
    return body, text
