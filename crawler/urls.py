"""URL policy, pure: resolving feed links, removing tracking parameters, and the dedupe key.

No Scrapy import. Functions return ``None`` plus a reason instead of raising, so callers can
count every refused link.
"""

from __future__ import annotations

import functools
import hashlib
import re
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


def resolve_link(link: str | None, base_url: str) -> tuple[str | None, str | None]:
    """Turn a raw feed link into an absolute, tracking-free http(s) URL.

    Returns ``(url, None)`` or ``(None, reason)``; reasons are stats-key suffixes.
    """
    if link is None:
        return None, "link_missing"
    # Feeds pad links with whitespace and newlines; inner whitespace is never valid in a URL.
    link = re.sub(r"\s+", "", link)
    if not link:
        return None, "link_missing"
    if len(link) > MAX_URL_LENGTH:
        return None, "link_too_long"
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
    if "%" in absolute and re.search(r"%(?![0-9A-Fa-f]{2})", absolute):
        return None, "link_bad_escape"
    return strip_tracking(absolute), None


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
    as the fetched page (``www.`` aside), and not the site's front page."""
    if not canonical:
        return None
    url, reason = resolve_link(canonical, fetched_url)
    if url is None or reason:
        return None
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    fetched_host = (urlsplit(fetched_url).hostname or "").removeprefix("www.")
    if host != fetched_host or urlsplit(url).path.strip("/") == "":
        return None
    return url
