"""Near-duplicate detection: MinHash signatures of article texts, LSH band keys, and the rule
that links an article to the earliest article of its cluster. Pure (no Scrapy).

An article's ``text`` is normalised (``tokens``: Unicode NFKC, casefold, punctuation dropped,
digits kept; a Chinese, Japanese or Korean ideograph, kana or hangul syllable is a token of its
own, since those scripts do not separate words by spaces), cut into word shingles of
``NearDupParams.shingle_words`` consecutive tokens, and summarised by an R-MinHash signature of
``num_perm`` 32-bit values (``rensa``). Two signatures agree in a share of their values that
estimates the Jaccard similarity of the two shingle sets (``similarity``).

Locality-sensitive hashing finds the candidates without comparing every pair: the signature is
cut into ``bands`` bands of ``rows`` values, each band hashed to a 64-bit key (``band_keys``);
two articles sharing any band key are candidates, and a candidate whose estimated similarity is
at least ``threshold`` is a match (``decide``). A text of fewer than ``min_tokens`` tokens is
not judged (``signature`` returns ``None``): a few sentences share too many shingles by chance
(agency boilerplate, a standard correction note) to say anything.

The index of signatures (``NearDupIndex``) lives in the state store (SQLite or Redis, see
``crawler/storage/neardup_index.py`` and ``crawler/storage/redis_neardup.py``); ``judge``
queries and adds in one atomic step, so two copies processed at the same time by two workers
form one cluster. ``NearDuplicateDetector`` puts the pieces together for the pipeline.

What the index needs of a text, its signature and band keys (``TextSketch``, made by
``sketch``), is computed where the text is: in the extraction worker that builds the article
(``crawler.extraction.article.extract_article``), not in the crawler process, which only
judges it. A sketch names the parameters it was made with, so one made with others is made
again.

The parameters were chosen by measurement (``benchmarks/neardup_eval.py``,
``docs/near-duplicates.md``). Signatures made with other parameters or another ``rensa``
algorithm version cannot be compared: ``NearDupParams.tag`` names them, and an index made
with another tag is not read.
"""

from __future__ import annotations

import hashlib
import operator
import re
import struct
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from rensa import RMinHash

# Scripts written without spaces between words: each character is a token.
_UNSPACED = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\u31f0-\u31ff"
_TOKEN = re.compile(f"[{_UNSPACED}]|[^\\W_{_UNSPACED}]+")


@dataclass(frozen=True)
class NearDupParams:
    """MinHash and LSH parameters (defaults measured, see ``docs/near-duplicates.md``)."""

    num_perm: int = 128
    shingle_words: int = 3
    threshold: float = 0.4
    bands: int = 32
    min_tokens: int = 50
    seed: int = 1

    def __post_init__(self) -> None:
        if self.num_perm % self.bands:
            raise ValueError("num_perm must be a multiple of bands")
        if not 0 < self.threshold <= 1:
            raise ValueError("threshold must be in (0, 1]")

    @property
    def rows(self) -> int:
        return self.num_perm // self.bands

    @property
    def tag(self) -> str:
        """What makes signatures comparable: the algorithm and its parameters (not the
        threshold, which only reads them)."""
        return (
            f"r{RMinHash.ALGORITHM_VERSION}-p{self.num_perm}-b{self.bands}"
            f"-w{self.shingle_words}-s{self.seed}-t1"
        )


@dataclass(frozen=True)
class Signature:
    """A MinHash signature: ``num_perm`` unsigned 32-bit values."""

    values: tuple[int, ...]

    def to_bytes(self) -> bytes:
        return struct.pack(f"<{len(self.values)}I", *self.values)

    @classmethod
    def from_bytes(cls, data: bytes) -> Signature:
        return cls(struct.unpack(f"<{len(data) // 4}I", data))


@dataclass(frozen=True)
class Indexed:
    """An article in the index: its signature, and the earliest article of its cluster
    (``root``, itself for a first copy) with the time that one was first seen."""

    article_id: str
    signature: Signature
    root: str
    root_seen: float


@dataclass(frozen=True)
class Verdict:
    """``near_duplicate_of`` the root of the article's cluster, with the estimated Jaccard
    ``similarity`` to it; both ``None`` for a first copy."""

    near_duplicate_of: str | None = None
    similarity: float | None = None


FIRST_COPY = Verdict()


def tokens(text: str) -> list[str]:
    """The normalised tokens of ``text``: NFKC, casefolded, without punctuation."""
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).casefold())


def shingles(words: Sequence[str], size: int) -> list[str]:
    """Every run of ``size`` consecutive tokens, joined by spaces (the whole text when
    shorter)."""
    if len(words) <= size:
        return [" ".join(words)]
    # zip of shifted views (the shortest ends it): half the time of slicing at every position.
    return list(map(" ".join, zip(*(words[i:] for i in range(size)), strict=False)))


def signature(text: str, params: NearDupParams) -> Signature | None:
    """The signature of ``text``, or ``None`` when it has fewer than ``params.min_tokens``
    tokens (not judged)."""
    words = tokens(text)
    if len(words) < params.min_tokens:
        return None
    sketch = RMinHash(params.num_perm, params.seed)
    sketch.update(shingles(words, params.shingle_words))
    return Signature(tuple(sketch.digest()))


@dataclass(frozen=True)
class TextSketch:
    """What the index needs of a text: its ``signature`` and ``band_keys`` (``None`` and
    empty when the text is too short to judge), made with the parameters ``tag`` names."""

    tag: str
    signature: Signature | None
    keys: tuple[int, ...] = ()


def sketch(text: str, params: NearDupParams) -> TextSketch:
    """The sketch of ``text`` (``signature`` and ``band_keys``) under ``params``."""
    sig = signature(text, params)
    keys = () if sig is None else tuple(band_keys(sig, params))
    return TextSketch(params.tag, sig, keys)


def band_keys(sig: Signature, params: NearDupParams) -> list[int]:
    """One signed 64-bit key per band (the band number is hashed in, so equal values in two
    different bands never collide)."""
    rows = params.rows
    keys = []
    for band in range(params.bands):
        chunk = struct.pack(f"<H{rows}I", band, *sig.values[band * rows : (band + 1) * rows])
        digest = hashlib.blake2b(chunk, digest_size=8).digest()
        keys.append(int.from_bytes(digest, "big", signed=True))
    return keys


def similarity(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity: the share of equal signature values."""
    if len(a.values) != len(b.values) or not a.values:
        return 0.0
    # map over operator.eq: the comparisons run in C, a third of a generator's time.
    equal: int = sum(map(operator.eq, a.values, b.values))
    return equal / len(a.values)


def decide(
    article_id: str,
    sig: Signature,
    candidates: Iterable[Indexed],
    threshold: float,
    fetch: Callable[[str], Indexed | None],
) -> tuple[Verdict, float | None]:
    """The verdict on a new article given the indexed articles sharing a band with it, and
    when the root it names was first seen (``None`` for a first copy).

    A candidate is a match when its estimated similarity reaches ``threshold``. The article
    is a near-duplicate of the root of the matched cluster first seen earliest (matches may
    belong to two clusters that this article bridges); ``similarity`` is its estimate against
    that root (fetched with ``fetch`` when the match is another copy; the match's own when the
    root has expired), which may be under the threshold when the article matched a copy that
    is closer to it than the root is. Candidates are tried in the order their roots were first
    seen, each root before its copies, and the first match ends the search: for a story that
    dozens of sites copied, one comparison with its first copy settles it. The article itself
    (an earlier version, same id) and clusters whose root it is are never matches: a revision
    is not a near-duplicate of itself.
    """
    ordered = sorted(
        (c for c in candidates if c.article_id != article_id and c.root != article_id),
        key=lambda c: (c.root_seen, c.root, c.article_id != c.root, c.article_id),
    )
    for candidate in ordered:
        score = similarity(sig, candidate.signature)
        if score < threshold:
            continue
        root = candidate.root
        if candidate.article_id != root:
            known = next((c for c in ordered if c.article_id == root), None) or fetch(root)
            if known is not None:
                score = similarity(sig, known.signature)
        return Verdict(root, round(score, 3)), candidate.root_seen
    return FIRST_COPY, None


def revision_verdict(
    known: Indexed, sig: Signature, fetch: Callable[[str], Indexed | None]
) -> Verdict:
    """The verdict on a revision (an article already indexed, ``known``) with the signature
    ``sig`` of its new text: it keeps its place in its cluster, whatever the new text
    resembles. A first copy stays one; a copy names its root, with the similarity of its new
    text to the root (which may be under the threshold, even 0, when the text was rewritten;
    against its own earlier text when the root has expired)."""
    if known.root == known.article_id:
        return FIRST_COPY
    root = fetch(known.root) or known
    return Verdict(known.root, round(similarity(sig, root.signature), 3))


class NearDupIndex(Protocol):
    """Signatures of the articles seen, with the TTL of the seen-article store."""

    def judge(self, article_id: str, sig: Signature, keys: Sequence[int]) -> Verdict:
        """Atomically: find the indexed articles sharing a band key with ``sig``, ``decide``,
        and index the article (a first copy as its own root, a near-duplicate under its
        root). An article already indexed (a revision) keeps its place in its cluster; its
        new signature replaces the old one. Refreshes the expiry of the article and of the
        root it is linked to."""

    def expire(self) -> int:
        """Forget articles neither added nor matched for the TTL; returns how many."""

    def close(self) -> None:
        """Release the backend's resources."""


class NearDuplicateDetector:
    """Judges an article's text against ``index``."""

    def __init__(self, index: NearDupIndex, params: NearDupParams) -> None:
        self.index = index
        self.params = params

    def check(self, article_id: str, text: str, made: TextSketch | None = None) -> Verdict | None:
        """The verdict on the article, or ``None`` when its text is too short to judge (it is
        not indexed either). ``made`` is the text's sketch when already made (by the
        extraction worker); one made with other parameters, or none, is made here."""
        if made is None or made.tag != self.params.tag:
            made = sketch(text, self.params)
        if made.signature is None:
            return None
        return self.index.judge(article_id, made.signature, made.keys)
