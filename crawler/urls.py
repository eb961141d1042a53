"""URL policy, pure: resolving feed links, removing tracking parameters, and the dedupe key.

No Scrapy import. Functions return ``None`` plus a reason instead of raising, so callers can
count every refused link.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

MAX_URL_LENGTH = 2048

# Query parameters that identify a campaign or a click, never the article.
_TRACKING_EXACT = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gclsrc",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "ocid",
        "cmpid",
        "cmp",
        "ncid",
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
        "_ga",
        "_gl",
        "ref_src",
        "ref_url",
        "smid",
        "smtyp",
        "xtor",
        "at_medium",
        "at_campaign",
        "ito",
        "wt_mc",
        "wt.mc_id",
        "guccounter",
        "mbid",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "ga_", "hsa_", "oly_", "vero_", "__s")

_ALLOWED_SCHEMES = frozenset({"http", "https"})


def is_tracking_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_EXACT or lowered.startswith(_TRACKING_PREFIXES)


def strip_tracking(url: str) -> str:
    """Drop tracking query parameters and the fragment; keep every other parameter in order."""
    parts = urlsplit(url)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not is_tracking_param(k)
    ]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


# Unicode categories no URL may hold: controls (C0, C1), format characters (bidi overrides such
# as U+202E, zero-width marks), surrogates (a lone half cannot be encoded, and Scrapy raises on
# it), line and paragraph separators.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")


def has_forbidden_chars(text: str) -> bool:
    """True when ``text`` holds a control, format or surrogate character, or U+2028/U+2029."""
    return any(
        unicodedata.category(char) in _FORBIDDEN_CATEGORIES for char in text if not char.isalnum()
    )


def host_reason(netloc: str) -> str | None:
    """Why the authority part of a URL (``host[:port]``) cannot become a request, or ``None``.

    Refused: user info (``user:pw@host``: ``link_userinfo``), a bracketed host that is not an
    IPv6 address or has text after its bracket (``[::1]x``), a port that is not 1-65535, and
    host names that are not DNS names: empty or over-long labels, characters outside letters,
    digits, ``-`` and ``_`` (``%``, spaces, punctuation), non-ASCII names IDNA cannot encode.
    No regex: one pass over at most ``MAX_URL_LENGTH`` characters."""
    if "@" in netloc:
        return "link_userinfo"
    if netloc.startswith("["):
        literal, bracket, rest = netloc[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return "link_malformed"
        try:
            ipaddress.IPv6Address(literal)
        except ValueError:
            return "link_malformed"
        return _port_reason(rest[1:] if rest else None)
    if "[" in netloc or "]" in netloc or netloc.count(":") > 1:
        return "link_malformed"
    host, colon, port = netloc.partition(":")
    return _host_name_reason(host) or _port_reason(port if colon else None)


def _port_reason(port: str | None) -> str | None:
    if not port:  # "host:" is "host" on the default port
        return None
    if not port.isascii() or not port.isdigit() or not 0 < int(port) < 65536:
        return "link_malformed"
    return None


def _host_name_reason(host: str) -> str | None:
    host = host.lower()
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return "link_malformed"
    labels = host.removesuffix(".").split(".")
    if len(host) > 253 or not all(0 < len(label) <= 63 for label in labels):
        return "link_malformed"
    if not all(char in _HOST_CHARS for label in labels for char in label):
        return "link_malformed"
    return None


def is_listed_url(url: str) -> bool:
    """Whether a URL of a feed, site or sitemap list is an absolute http(s) URL Scrapy can
    request: a valid host and port (``http://[::1``, ``:99999``, ``[::1]x`` are not). User
    info is left to the list's author."""
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[::1": an unclosed bracket
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and host_reason(parts.netloc.rpartition("@")[2]) is None
    )


def resolve_link(link: str | None, base_url: str) -> tuple[str | None, str | None]:
    """Turn a raw feed link into an absolute, tracking-free http(s) URL that Scrapy can
    request.

    Returns ``(url, None)`` or ``(None, reason)``; reasons are stats-key suffixes:
    ``link_missing``, ``link_too_long``, ``link_malformed`` (no host, a bad host or port,
    control, format or surrogate characters), ``link_userinfo``, ``link_scheme``,
    ``link_bad_escape``.
    """
    if link is None:
        return None, "link_missing"
    # Feeds pad links with whitespace and newlines; inner whitespace is never valid in a URL.
    link = re.sub(r"\s+", "", link)
    if not link:
        return None, "link_missing"
    if len(link) > MAX_URL_LENGTH:
        return None, "link_too_long"
    if has_forbidden_chars(link):
        return None, "link_malformed"
    try:
        absolute = urljoin(base_url, link)
        parts = urlsplit(absolute)
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return None, "link_malformed"
    scheme = parts.scheme.lower()
    if scheme not in _ALLOWED_SCHEMES:
        return None, "link_scheme"
    if not parts.hostname:
        return None, "link_malformed"
    reason = host_reason(parts.netloc)
    if reason is not None:
        return None, reason
    if "%" in absolute and re.search(r"%(?![0-9A-Fa-f]{2})", absolute):
        return None, "link_bad_escape"
    return strip_tracking(absolute), None


def record_url(value: str | None, base_url: str) -> str | None:
    """A URL-valued field of a record (``image``, ``url``): ``value`` resolved against
    ``base_url`` (the page's URL) when the result is an absolute http(s) URL with a valid host
    and port, no user info, no control, format or surrogate character and at most
    ``MAX_URL_LENGTH`` characters; else ``None``. Spaces inside become ``%20``, tabs and line
    breaks are removed (as browsers do); tracking parameters are kept: it is not a link to
    follow."""
    if not value:
        return None
    value = value.strip().replace(" ", "%20")
    value = value.replace("\t", "").replace("\n", "").replace("\r", "")
    if not value or len(value) > MAX_URL_LENGTH or has_forbidden_chars(value):
        return None
    if any(char.isspace() for char in value):
        return None
    try:
        absolute = urljoin(base_url, value)
        parts = urlsplit(absolute)
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return None
    if parts.scheme.lower() not in _ALLOWED_SCHEMES or not parts.hostname:
        return None
    if host_reason(parts.netloc) is not None or len(absolute) > MAX_URL_LENGTH:
        return None
    return absolute


# An article's URL is keyed several times on its way (request, seen check, revision, writer).
@functools.lru_cache(maxsize=4096)
def dedupe_key(url: str) -> str:
    """Key under which two URLs name the same article: scheme, ``www.``, a trailing slash,
    parameter order, tracking parameters and the fragment do not count."""
    parts = urlsplit(strip_tracking(url))
    host = (parts.hostname or "").lower().removeprefix("www.")
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    path = parts.path.rstrip("/") or "/"
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return f"{host}{port}{path}" + (f"?{query}" if query else "")


def article_id(url: str) -> str:
    """Stable article id: a hash of the dedupe key of its canonical URL."""
    return hashlib.sha256(dedupe_key(url).encode("utf-8")).hexdigest()[:32]


def accept_canonical(canonical: str | None, fetched_url: str) -> str | None:
    """The page's declared canonical URL, if it is trustworthy: http(s), on the same site
    as the fetched page (``www.`` aside), and not the site's front page. A space inside it
    is ``%20``, as a browser reads it (``resolve_link`` would drop it: another address)."""
    if not canonical:
        return None
    url, reason = resolve_link(canonical.strip().replace(" ", "%20"), fetched_url)
    if url is None or reason:
        return None
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    fetched_host = (urlsplit(fetched_url).hostname or "").removeprefix("www.")
    if host != fetched_host or urlsplit(url).path.strip("/") == "":
        return None
    return url
