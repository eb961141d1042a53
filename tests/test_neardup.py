"""Near-duplicate detection: normalisation, signatures, the linking rule, and the index in
SQLite and in Redis (the same protocol), including two workers judging copies at once."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import pytest

from crawler.config import ConfigError, CrawlerConfig
from crawler.items import Article
from crawler.neardup import (
    FIRST_COPY,
    Indexed,
    NearDupIndex,
    NearDuplicateDetector,
    NearDupParams,
    Signature,
    TextSketch,
    Verdict,
    band_keys,
    decide,
    signature,
    similarity,
    sketch,
    tokens,
)
from crawler.storage.neardup_index import SqliteNearDupIndex
from crawler.storage.redis_neardup import RedisNearDupIndex
from tests.conftest import ROOT, project_settings
from tests.distributed_support import RedisServer

PARAMS = NearDupParams()
VOCABULARY = [f"w{n}{chr(97 + n % 26)}" for n in range(3000)]


def story(seed: int, words: int = 300) -> str:
    """A deterministic text of distinct random words, in paragraphs."""
    rng = random.Random(seed)
    chosen = [rng.choice(VOCABULARY) for _ in range(words)]
    return "\n\n".join(" ".join(chosen[i : i + 50]) + "." for i in range(0, words, 50))


def edited(text: str, share: float, seed: int) -> str:
    """``text`` with ``share`` of its words replaced in spans of 5."""
    rng = random.Random(seed)
    words = text.split()
    for _ in range(round(share * len(words) / 5)):
        at = rng.randrange(len(words) - 5)
        words[at : at + 5] = [rng.choice(VOCABULARY) for _ in range(5)]
    return " ".join(words)


def test_tokens_casefold_drop_punctuation_keep_digits_and_split_unspaced_scripts() -> None:
    assert tokens("The U.S. Senate, on 3 May 2024: “Ja!” — STRASSE straße") == [
        "the", "u", "s", "senate", "on", "3", "may", "2024", "ja", "strasse", "strasse",
    ]  # fmt: skip
    assert tokens("東京都は3日、発表した。") == [
        "東",
        "京",
        "都",
        "は",
        "3",
        "日",
        "発",
        "表",
        "し",
        "た",
    ]
    assert tokens("Ｆｕｌｌwidth_under") == ["fullwidth", "under"]


def test_short_text_is_not_judged() -> None:
    assert signature("one two three", PARAMS) is None
    assert signature(" ".join(VOCABULARY[: PARAMS.min_tokens - 1]), PARAMS) is None
    assert signature(" ".join(VOCABULARY[: PARAMS.min_tokens]), PARAMS) is not None


def test_signature_ignores_case_punctuation_and_layout() -> None:
    text = story(1)
    a = signature(text, PARAMS)
    b = signature(text.upper().replace(".", "!").replace("\n\n", " -- "), PARAMS)
    assert a is not None and a == b
    assert len(a.values) == PARAMS.num_perm
    assert Signature.from_bytes(a.to_bytes()) == a


def test_signature_is_the_same_in_another_process() -> None:
    """Signatures are stored and compared across runs: no per-process hash seed."""
    code = (
        "from crawler.neardup import NearDupParams, signature;"
        "from tests.test_neardup import story;"
        "print(signature(story(1), NearDupParams()).to_bytes().hex())"
    )
    other = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
    )
    sig = signature(story(1), PARAMS)
    assert sig is not None
    assert other.stdout.strip() == sig.to_bytes().hex()


def test_similarity_separates_copies_from_other_stories() -> None:
    original = signature(story(1), PARAMS)
    copy = signature(edited(story(1), 0.15, seed=2), PARAMS)
    other = signature(story(3), PARAMS)
    assert original and copy and other
    assert similarity(original, copy) >= PARAMS.threshold
    assert similarity(original, other) < 0.05
    assert set(band_keys(original, PARAMS)) & set(band_keys(copy, PARAMS))
    assert not set(band_keys(original, PARAMS)) & set(band_keys(other, PARAMS))


def _indexed(article_id: str, text: str, root: str, root_seen: float) -> Indexed:
    sig = signature(text, PARAMS)
    assert sig is not None
    return Indexed(article_id, sig, root, root_seen)


def test_decide_links_to_the_earliest_root_and_never_to_itself() -> None:
    sig = signature(edited(story(1), 0.1, seed=5), PARAMS)
    assert sig is not None
    first = _indexed("a", story(1), "a", 1.0)
    copy = _indexed("b", edited(story(1), 0.05, seed=6), "a", 1.0)
    other_root = _indexed("c", edited(story(1), 0.05, seed=7), "c", 5.0)

    def fetch(article_id: str) -> Indexed | None:
        return {"a": first}.get(article_id)

    verdict, root_seen = decide("new", sig, [other_root, copy], PARAMS.threshold, fetch)
    assert verdict.near_duplicate_of == "a"  # through the copy, to its earlier root
    assert verdict.similarity == round(similarity(sig, first.signature), 3)
    assert root_seen == 1.0
    # A revision of "a" (same id) is not a copy of its own cluster.
    assert decide("a", sig, [first, copy], PARAMS.threshold, fetch) == (FIRST_COPY, None)
    # Nor of another story below the threshold.
    unrelated = _indexed("d", story(9), "d", 0.0)
    assert decide("new", sig, [unrelated], PARAMS.threshold, fetch) == (FIRST_COPY, None)


def judge(index: NearDupIndex, article_id: str, text: str) -> tuple[str | None, float | None]:
    sig = signature(text, PARAMS)
    assert sig is not None
    verdict = index.judge(article_id, sig, band_keys(sig, PARAMS))
    return verdict.near_duplicate_of, verdict.similarity


def check_protocol(index: NearDupIndex) -> None:
    assert judge(index, "a", story(1)) == (None, None)
    assert judge(index, "b", story(2)) == (None, None)
    linked, score = judge(index, "c", edited(story(1), 0.15, seed=3))
    assert linked == "a" and score is not None and PARAMS.threshold <= score < 1
    assert judge(index, "d", story(1)) == ("a", 1.0)
    # Revisions keep their verdicts: the first copy stays first, the copy stays a copy.
    assert judge(index, "a", edited(story(1), 0.05, seed=4)) == (None, None)
    assert judge(index, "c", edited(story(1), 0.1, seed=3))[0] == "a"
    assert judge(index, "b", story(2) + " one more sentence at the end") == (None, None)


def test_sqlite_index_protocol_persistence_and_expiry(tmp_path: Path) -> None:
    now = [1000.0]
    path = tmp_path / "state.sqlite3"
    index = SqliteNearDupIndex(path, PARAMS, ttl_s=100, clock=lambda: now[0])
    check_protocol(index)
    index.close()
    # The next run (another connection, later): still known, a new site's copy links.
    now[0] += 50
    index = SqliteNearDupIndex(path, PARAMS, ttl_s=100, clock=lambda: now[0])
    assert judge(index, "e", edited(story(2), 0.1, seed=8))[0] == "b"
    # Past the TTL without a copy: forgotten ("b" was refreshed by "e" at 1050).
    now[0] = 1120.0
    assert index.expire() == 3  # "a", "c", "d", last seen at 1000
    assert index.count() == 2
    now[0] = 1200.0
    assert index.expire() == 2
    assert index.count() == 0
    assert judge(index, "f", story(1)) == (None, None)
    index.close()
    # Other parameters: the old signatures cannot be compared, the index starts empty.
    other = SqliteNearDupIndex(path, NearDupParams(shingle_words=4), ttl_s=100)
    assert other.count() == 0
    other.close()


def test_redis_index_protocol_and_ttl(redis_server: RedisServer) -> None:
    index = RedisNearDupIndex(redis_server.client, PARAMS, ttl_s=3600)
    check_protocol(index)
    client = redis_server.client
    keys = [k.decode() for k in client.scan_iter("newscrawler:state:neardup:*")]
    assert keys and all(k.startswith(f"newscrawler:state:neardup:{PARAMS.tag}:") for k in keys)
    assert all(0 < client.pttl(k) <= 3_600_000 for k in keys)
    # An expired document is ignored (and its band entries dropped): a new first copy.
    client.delete(f"newscrawler:state:neardup:{PARAMS.tag}:doc:a")
    for key in ("c", "d"):
        client.delete(f"newscrawler:state:neardup:{PARAMS.tag}:doc:{key}")
    assert judge(index, "g", story(1)) == (None, None)


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_a_revision_keeps_its_place_whatever_its_new_text_resembles(
    backend: str, tmp_path: Path
) -> None:
    server = RedisServer(tmp_path / "redis") if backend == "redis" else None
    index: NearDupIndex = (
        RedisNearDupIndex(server.client, PARAMS, ttl_s=3600)
        if server is not None
        else SqliteNearDupIndex(tmp_path / "s.sqlite3", PARAMS, ttl_s=3600)
    )
    try:
        assert judge(index, "a", story(1)) == (None, None)
        assert judge(index, "b", edited(story(1), 0.05, seed=1))[0] == "a"
        assert judge(index, "c", story(2)) == (None, None)
        # The copy rewritten into another story: still a copy of "a", measured against it.
        linked, score = judge(index, "b", story(3))
        assert linked == "a" and score is not None and score < PARAMS.threshold
        # The first copy rewritten into the later story "c": still a first copy.
        assert judge(index, "a", story(2)) == (None, None)
    finally:
        index.close()
        if server is not None:
            server.stop()


def _judge_together(
    indexes: list[NearDupIndex], ids: list[str], texts: list[str]
) -> list[str | None]:
    """Judge ``texts[n]`` on ``indexes[n]`` in threads released at the same moment."""
    results: list[str | None] = [None] * len(ids)
    barrier = threading.Barrier(len(ids))

    def work(n: int) -> None:
        barrier.wait()
        results[n] = judge(indexes[n], ids[n], texts[n])[0]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(len(ids))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_two_workers_judging_copies_at_once_make_one_cluster(backend: str, tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis") if backend == "redis" else None
    indexes: list[NearDupIndex] = []
    try:
        for _ in range(2):
            if server is not None:
                indexes.append(RedisNearDupIndex.from_url(server.url, PARAMS, ttl_s=3600))
            else:
                indexes.append(SqliteNearDupIndex(tmp_path / "s.sqlite3", PARAMS, ttl_s=3600))
        for round_ in range(15):
            ids = [f"r{round_}-0", f"r{round_}-1"]
            texts = [edited(story(100 + round_), 0.05, seed=s) for s in (1, 2)]
            results = _judge_together(indexes, ids, texts)
            # Exactly one first copy; the other names it.
            assert results in ([None, ids[0]], [ids[1], None]), results
    finally:
        for index in indexes:
            index.close()
        if server is not None:
            server.stop()


@pytest.mark.parametrize(
    ("value", "expected"), [("0", False), ("off", False), ("true", True), (True, True)]
)
def test_near_duplicate_settings(value: object, expected: bool) -> None:
    config = CrawlerConfig.from_settings(project_settings(NEWSCRAWLER_DROP_NEAR_DUPLICATES=value))
    assert config.drop_near_duplicates is expected
    assert config.near_duplicates is True


def test_near_duplicate_setting_rejects_garbage() -> None:
    with pytest.raises(ConfigError, match="NEWSCRAWLER_NEAR_DUPLICATES must be true or false"):
        CrawlerConfig.from_settings(project_settings(NEWSCRAWLER_NEAR_DUPLICATES="maybe"))


class FailingIndex:
    """An index whose backend is down."""

    def judge(self, article_id: str, sig: Signature, keys: Sequence[int]) -> Verdict:
        raise ConnectionError("index unreachable")

    def expire(self) -> int:
        return 0

    def close(self) -> None:
        pass


def _article(article_id: str, text: str) -> Article:
    return Article(
        id=article_id, url="http://127.0.0.1/a", source_url="http://127.0.0.1/a",
        feed_url="http://127.0.0.1/feed", title=None, authors=[], published=None,
        modified=None, language=None, text=text, body=[{"kind": "paragraph", "text": text}],
        word_count=len(text.split()),
        site_name=None, description=None, tags=[], image=None, guid=None, fetched_at="",
    )  # fmt: skip


def test_pipeline_marks_copies_counts_short_texts_and_survives_index_errors(
    tmp_path: Path,
) -> None:
    from scrapy.utils.test import get_crawler

    from crawler.pipelines.neardup import NearDuplicatePipeline

    crawler = get_crawler()
    assert crawler.stats is not None
    crawler.stats.open_spider()
    config = CrawlerConfig.from_settings(project_settings())
    index = SqliteNearDupIndex(tmp_path / "s.sqlite3", PARAMS, ttl_s=3600)
    pipeline = NearDuplicatePipeline(crawler, config, cast(Any, None), index)
    first = pipeline.process_item(_article("1" * 32, story(1)))
    copy = pipeline.process_item(_article("2" * 32, edited(story(1), 0.1, seed=1)))
    short = pipeline.process_item(_article("3" * 32, "Too short to judge."))
    assert (first.near_duplicate_of, first.similarity) == (None, None)
    assert copy.near_duplicate_of == "1" * 32 and copy.similarity >= PARAMS.threshold
    assert (short.near_duplicate_of, short.similarity) == (None, None)
    pipeline.index = pipeline.detector.index = FailingIndex()
    failed = pipeline.process_item(_article("4" * 32, story(1)))
    assert failed.near_duplicate_of is None  # written unmarked, not lost
    stats = crawler.stats.get_stats()
    assert (stats["neardup/first_copy"], stats["neardup/linked"]) == (1, 1)
    assert (stats["neardup/not_judged"], stats["neardup/error"]) == (1, 1)
    index.close()


class RecordingIndex(FailingIndex):
    """An index that records what it is asked to judge."""

    def __init__(self) -> None:
        self.judged: list[tuple[str, Signature, Sequence[int]]] = []

    def judge(self, article_id: str, sig: Signature, keys: Sequence[int]) -> Verdict:
        self.judged.append((article_id, sig, keys))
        return FIRST_COPY


def test_detector_judges_the_sketch_made_by_the_worker_and_remakes_a_foreign_one() -> None:
    index = RecordingIndex()
    detector = NearDuplicateDetector(index, PARAMS)
    text = story(1)
    other = sketch(story(2), PARAMS)  # not the text's: shows which one is judged
    assert detector.check("a", text, other) == FIRST_COPY
    foreign = TextSketch("another-tag", other.signature, other.keys)
    assert detector.check("b", text, foreign) == FIRST_COPY
    assert detector.check("c", text) == FIRST_COPY
    assert detector.check("d", text, TextSketch(PARAMS.tag, None)) is None  # too short
    own = signature(text, PARAMS)
    assert own is not None
    assert index.judged == [
        ("a", other.signature, other.keys),
        ("b", own, tuple(band_keys(own, PARAMS))),
        ("c", own, tuple(band_keys(own, PARAMS))),
    ]


def test_extraction_worker_sketches_the_text_and_the_record_leaves_the_sketch_out() -> None:
    import gzip
    import json

    from crawler.extraction.article import extract_article
    from crawler.items import FeedEntry

    corpus = ROOT / "tests" / "data" / "corpus" / "news-sample.jsonl.gz"
    with gzip.open(corpus, "rt", encoding="utf-8") as lines:
        page = json.loads(next(lines))
    url = page["url"] or "https://example.com/page"
    headers: dict[str, str] = {}
    args = (page["html"].encode(), url, headers, FeedEntry(url, "https://example.com/feed.xml"), "")
    plain = extract_article(*args).article
    sketched = extract_article(*args, neardup=PARAMS).article
    assert plain is not None and sketched is not None
    assert plain.neardup_sketch is None
    assert sketched.neardup_sketch == sketch(sketched.text, PARAMS)
    assert sketched.neardup_sketch.signature is not None
    assert sketched.to_record() == plain.to_record()
    assert "neardup_sketch" not in sketched.to_record()


def test_pipeline_is_off_when_switched_off() -> None:
    from scrapy.exceptions import NotConfigured
    from scrapy.utils.test import get_crawler

    import crawler.settings as project
    from crawler.pipelines.neardup import NearDuplicatePipeline

    ours = {
        name: getattr(project, name) for name in dir(project) if name.startswith("NEWSCRAWLER_")
    }
    crawler = get_crawler(settings_dict={**ours, "NEWSCRAWLER_NEAR_DUPLICATES": "false"})
    with pytest.raises(NotConfigured):
        NearDuplicatePipeline.from_crawler(crawler)
