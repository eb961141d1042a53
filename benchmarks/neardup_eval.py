"""Near-duplicate detection on a labelled set built from the dev corpora.

    python benchmarks/neardup_eval.py --corpus news-dev.jsonl.gz [web-dev.jsonl.gz ...]
                                      [--originals 400] [--seed 19] [--grid]

The distinct articles are the expected texts of the corpora (``expected.text`` of news-dev
and of web-dev where it is not null). For ``--originals`` of them (seeded choice among texts
written with spaces between words and long enough to cut), syndicated variants are made the
way outlets make them, each with its *change level* (words removed, replaced or added, over
the original's words):

- ``template``: the same text (another page template and headline give the same extracted
  text: the headline is not part of ``text``);
- ``dateline``: "CITY (Agency) — " before the first paragraph and an agency credit after the
  last;
- ``cut``: the last paragraphs cut, 5-30% of the words;
- ``sentence``: one sentence edited (about half of its words replaced);
- ``edits-10`` ... ``edits-30``: deterministic random edits (a span of 1-8 words replaced,
  deleted, or new words inserted, taken from another article) until 10-30% of the words
  changed;
- ``syndicated``: dateline, last paragraph(s) cut, a sentence edited and 5% span edits;
- ``scattered-5``, ``scattered-10``: single words replaced all over the text (a stress case
  no outlet makes: every edit breaks every shingle around it), left out of the target.

All documents go through the real index (``SqliteNearDupIndex`` in a temporary file) in one
seeded order in which every variant comes after its original. Printed for the chosen
parameters and a few others: precision of the ``near_duplicate_of`` links (the linked article
is of the same story), recall of the variants (linked to their story), recall by kind and by
change level, links between distinct corpus articles and the false-pair rate among their
pairs, texts not judged (too short), CPU time per article (signature + query + insert) and
index bytes per article. Before that, the corpus is searched for genuinely duplicated texts
(exact shingle Jaccard of LSH candidates), which are reported and counted as one story.

Targets: recall of the variants with up to 20% of the text changed >= 95%, precision >= 99%,
no link between two distinct corpus articles.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import random
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.neardup import (  # noqa: E402
    NearDupParams,
    Signature,
    band_keys,
    shingles,
    signature,
    similarity,
    tokens,
)
from crawler.storage.neardup_index import SqliteNearDupIndex  # noqa: E402

DATELINES = [
    "LONDON (Reuters) - ",
    "WASHINGTON (AP) — ",
    "PARIS (AFP) - ",
    "BERLIN (dpa) - ",
    "NEW YORK (UPI) -- ",
]
CREDITS = [
    "Reporting by staff; editing by the desk.",
    "Copyright 2024 The Associated Press. All rights reserved.",
    "© Agence France-Presse",
    "(dpa/mk)",
]
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
BUCKETS = [0.0, 0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 1.0]
TARGET_LEVEL = 0.20
STRESS_KINDS = ("scattered-5", "scattered-10")


@dataclass(frozen=True)
class Doc:
    key: str  # corpus id, or "<corpus id>#<kind>"
    story: str  # the original's corpus id
    text: str
    kind: str  # "corpus" or a variant kind
    level: float = 0.0


def load_texts(paths: list[Path]) -> list[tuple[str, str, str | None]]:
    """(id, expected text, language) of every record with an expected text."""
    texts = []
    for path in paths:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                text = (record.get("expected") or {}).get("text")
                if text:
                    lang = record.get("language") or (record.get("meta") or {}).get("lang")
                    texts.append((str(record["id"]), str(text), lang))
    return texts


# --- variants ---


def span_edits(words: list[str], share: float, donor: list[str], rng: random.Random) -> int:
    """Edit ``words`` in place with spans of 1-8 words replaced, deleted or inserted (from
    ``donor``) until ``share`` of the original count changed; returns the words changed."""
    target = max(1, round(share * len(words)))
    changed = 0
    while changed < target and words:
        length = min(rng.randint(1, 8), target - changed)
        at = rng.randrange(len(words))
        op = rng.random()
        new = [rng.choice(donor) for _ in range(length)]
        if op < 0.5:
            words[at : at + length] = new
        elif op < 0.75:
            del words[at : at + length]
        else:
            words[at:at] = new
        changed += length
    return changed


def scattered_edits(words: list[str], share: float, donor: list[str], rng: random.Random) -> int:
    positions = rng.sample(range(len(words)), max(1, round(share * len(words))))
    for at in positions:
        words[at] = rng.choice(donor)
    return len(positions)


def edit_sentence(paragraphs: list[str], donor: list[str], rng: random.Random) -> int:
    """Replace about half of the words of one sentence; returns the words changed."""
    index = rng.randrange(len(paragraphs))
    sentences = SENTENCE_END.split(paragraphs[index])
    at = rng.randrange(len(sentences))
    words = sentences[at].split()
    changed = 0
    for i in range(len(words)):
        if rng.random() < 0.5:
            words[i] = rng.choice(donor)
            changed += 1
    sentences[at] = " ".join(words)
    paragraphs[index] = " ".join(sentences)
    return changed


def cut_end(paragraphs: list[str], share: float) -> tuple[list[str], int]:
    """Cut whole last paragraphs while at most ``share`` of the words go (at least one
    paragraph when the text has several); returns the paragraphs and the words cut."""
    total = sum(len(p.split()) for p in paragraphs)
    kept = list(paragraphs)
    cut = 0
    while len(kept) > 1:
        last = len(kept[-1].split())
        if cut and cut + last > share * total:
            break
        cut += last
        kept.pop()
        if cut >= share * total:
            break
    return kept, cut


def variants(story: str, text: str, donor: list[str], rng: random.Random) -> list[Doc]:
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    total = len(text.split())
    out = [Doc(f"{story}#template", story, text, "template", 0.0)]

    dateline, credit = rng.choice(DATELINES), rng.choice(CREDITS)
    added = len(dateline.split()) + len(credit.split())
    out.append(
        Doc(
            f"{story}#dateline",
            story,
            "\n\n".join([dateline + paragraphs[0], *paragraphs[1:], credit]),
            "dateline",
            added / total,
        )
    )

    kept, cut = cut_end(paragraphs, rng.uniform(0.05, 0.30))
    out.append(Doc(f"{story}#cut", story, "\n\n".join(kept), "cut", cut / total))

    edited = list(paragraphs)
    changed = edit_sentence(edited, donor, rng)
    out.append(Doc(f"{story}#sentence", story, "\n\n".join(edited), "sentence", changed / total))

    for percent in (10, 15, 20, 25, 30):
        words = text.split()
        changed = span_edits(words, percent / 100, donor, rng)
        out.append(
            Doc(f"{story}#edits-{percent}", story, " ".join(words), f"edits-{percent}",
                changed / total)
        )  # fmt: skip

    kept, cut = cut_end(paragraphs, 0.10)
    kept = [dateline + kept[0], *kept[1:]]
    changed = edit_sentence(kept, donor, rng)
    words = "\n\n".join(kept).split()
    changed += span_edits(words, 0.05, donor, rng)
    level = (cut + changed + len(dateline.split())) / total
    out.append(Doc(f"{story}#syndicated", story, " ".join(words), "syndicated", level))

    for percent in (5, 10):
        words = text.split()
        changed = scattered_edits(words, percent / 100, donor, rng)
        out.append(
            Doc(f"{story}#scattered-{percent}", story, " ".join(words),
                f"scattered-{percent}", changed / total)
        )  # fmt: skip
    return out


def spaced(text: str) -> bool:
    """Written with spaces between words (the change levels count whitespace words)."""
    return len(tokens(text)) <= 1.3 * len(text.split())


def build_set(
    texts: list[tuple[str, str, str | None]], originals: int, seed: int, min_words: int
) -> list[Doc]:
    """The corpus articles in a seeded order, each variant at a random later place."""
    rng = random.Random(seed)
    corpus = [Doc(key, key, text, "corpus") for key, text, _ in texts]
    by_lang: dict[str | None, list[str]] = defaultdict(list)
    for key, _, lang in texts:
        by_lang[lang].append(key)
    text_of = {key: text for key, text, _ in texts}
    eligible = [
        (key, text, lang)
        for key, text, lang in texts
        if len(text.split()) >= min_words and "\n\n" in text and spaced(text)
    ]
    chosen = rng.sample(eligible, min(originals, len(eligible)))
    made: list[Doc] = []
    for key, text, lang in chosen:
        donors = [k for k in by_lang[lang] if k != key] or [k for k in text_of if k != key]
        donor = text_of[rng.choice(donors)].split()
        made += variants(key, text, donor, rng)
    place = {doc.key: rng.random() for doc in corpus}
    for doc in made:
        start = place[doc.story]
        place[doc.key] = start + (1 - start) * rng.uniform(0.001, 1)
    return sorted([*corpus, *made], key=lambda d: place[d.key])


# --- genuine duplicates in the corpora ---


def corpus_duplicates(
    texts: list[tuple[str, str, str | None]], min_tokens: int
) -> list[tuple[str, str, float]]:
    """Pairs of corpus texts sharing a band of a permissive LSH (64 bands of 2 rows) with the
    exact Jaccard of their 3-word shingle sets, most similar first."""
    params = NearDupParams(num_perm=128, bands=64, shingle_words=3, min_tokens=min_tokens)
    buckets: dict[int, list[int]] = defaultdict(list)
    sets = []
    for i, (_, text, _) in enumerate(texts):
        words = tokens(text)
        sets.append(set(shingles(words, 3)))
        sig = signature(text, params)
        if sig is not None:
            for key in band_keys(sig, params):
                buckets[key].append(i)
    pairs: set[tuple[int, int]] = set()
    for members in buckets.values():
        pairs.update(itertools.combinations(sorted(members), 2))
    found = []
    for i, j in sorted(pairs):
        exact = len(sets[i] & sets[j]) / len(sets[i] | sets[j])
        found.append((texts[i][0], texts[j][0], exact))
    return sorted(found, key=lambda f: -f[2])


class Stories:
    """Union-find over story ids: genuinely duplicated corpus texts are one story."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        while self.parent.get(key, key) != key:
            key = self.parent[key]
        return key

    def union(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)


# --- one evaluation ---


@dataclass
class Result:
    params: NearDupParams
    links: int = 0
    correct: int = 0
    variants: int = 0
    variants_found: int = 0
    target_variants: int = 0
    target_found: int = 0
    corpus_links: int = 0
    corpus_pairs: int = 0
    wrong_corpus_links: list[tuple[str, str, float]] | None = None
    not_judged: int = 0
    cpu_ms: float = 0.0
    index_bytes: float = 0.0
    by_kind: dict[str, list[int]] | None = None
    by_level: dict[str, list[int]] | None = None


def bucket(level: float) -> str:
    if level == 0:
        return "0%"
    for low, high in itertools.pairwise(BUCKETS):
        if low < level <= high:
            return f"{low:.0%}-{high:.0%}" if high < 1 else f">{low:.0%}"
    return f">{BUCKETS[-2]:.0%}"


def evaluate(docs: list[Doc], params: NearDupParams, stories: Stories) -> Result:
    result = Result(
        params, by_kind=defaultdict(lambda: [0, 0]), by_level=defaultdict(lambda: [0, 0])
    )
    assert result.by_kind is not None and result.by_level is not None
    result.wrong_corpus_links = []
    story_of = {doc.key: stories.find(doc.story) for doc in docs}
    kind_of = {doc.key: doc.kind for doc in docs}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "index.sqlite3"
        index = SqliteNearDupIndex(path, params, ttl_s=86400)
        empty = path.stat().st_size + _wal_size(path)
        clock = 0.0
        index.clock = lambda: clock
        cpu = 0.0
        judged = 0
        for doc in docs:
            clock += 1.0
            started = time.process_time()
            sig = signature(doc.text, params)
            verdict = None
            if sig is not None:
                verdict = index.judge(doc.key, sig, band_keys(sig, params))
            cpu += time.process_time() - started
            if sig is None:
                result.not_judged += 1
                if doc.kind == "corpus":
                    continue
            judged += sig is not None
            linked = verdict.near_duplicate_of if verdict else None
            if linked is not None:
                result.links += 1
                ok = story_of[linked] == story_of[doc.key]
                result.correct += ok
                if doc.kind == "corpus" and kind_of[linked] == "corpus":
                    result.corpus_links += 1
                    if not ok:
                        score = verdict.similarity if verdict else 0.0
                        result.wrong_corpus_links.append((doc.key, linked, score or 0.0))
            if doc.kind != "corpus":
                found = linked is not None and story_of[linked] == story_of[doc.key]
                result.variants += 1
                result.variants_found += found
                result.by_kind[doc.kind][0] += 1
                result.by_kind[doc.kind][1] += found
                if doc.kind not in STRESS_KINDS:
                    result.by_level[bucket(doc.level)][0] += 1
                    result.by_level[bucket(doc.level)][1] += found
                    if doc.level <= TARGET_LEVEL + 1e-9:
                        result.target_variants += 1
                        result.target_found += found
        index.close()
        size = path.stat().st_size + _wal_size(path) - empty
    corpus = sum(1 for doc in docs if doc.kind == "corpus")
    result.corpus_pairs = corpus * (corpus - 1) // 2
    result.cpu_ms = cpu * 1000 / len(docs)
    result.index_bytes = size / max(1, judged)
    return result


def pairwise(docs: list[Doc], params: NearDupParams) -> dict[str, list[int]]:
    """Each variant against its original alone (no other copy to link through): found when
    they share a band key and the estimated similarity reaches the threshold. Per change
    level bucket (and per stress kind): [variants, found, lowest similarity found]."""
    originals = {doc.key: doc for doc in docs if doc.kind == "corpus"}
    cache: dict[str, tuple[Signature | None, set[int]]] = {}

    def signed(doc: Doc) -> tuple[Signature | None, set[int]]:
        if doc.key not in cache:
            sig = signature(doc.text, params)
            cache[doc.key] = (sig, set(band_keys(sig, params)) if sig else set())
        return cache[doc.key]

    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for doc in docs:
        if doc.kind == "corpus":
            continue
        label = doc.kind if doc.kind in STRESS_KINDS else bucket(doc.level)
        a, a_keys = signed(doc)
        b, b_keys = signed(originals[doc.story])
        found = bool(a and b and a_keys & b_keys and similarity(a, b) >= params.threshold)
        out[label][0] += 1
        out[label][1] += found
        if doc.kind not in STRESS_KINDS and doc.level <= TARGET_LEVEL + 1e-9:
            out["<=20%"][0] += 1
            out["<=20%"][1] += found
    return out


def _wal_size(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def _pct(n: int, d: int) -> str:
    return f"{100 * n / d:.1f}%" if d else "n/a"


def report(result: Result, pairs: dict[str, list[int]], *, detail: bool) -> None:
    p = result.params
    name = (
        f"num_perm={p.num_perm} shingle={p.shingle_words} threshold={p.threshold} "
        f"bands={p.bands}x{p.rows} min_tokens={p.min_tokens}"
    )
    print(
        f"{name}: precision {_pct(result.correct, result.links)} "
        f"({result.links} links), recall <=20% {_pct(result.target_found, result.target_variants)}"
        f" ({result.target_variants}), recall all {_pct(result.variants_found, result.variants)}"
        f", distinct-pair links {len(result.wrong_corpus_links or [])} "
        f"(rate {len(result.wrong_corpus_links or []) / max(1, result.corpus_pairs):.1e}), "
        f"cpu {result.cpu_ms:.3f} ms/article, index {result.index_bytes:.0f} B/article"
    )
    levels = sorted((k for k in pairs if k != "<=20%"), key=_order)
    print(
        "  variant vs original alone: <=20% "
        + _pct(pairs["<=20%"][1], pairs["<=20%"][0])
        + "; "
        + ", ".join(f"{k} {_pct(f, n)}" for k, (n, f) in ((k, pairs[k]) for k in levels))
    )
    if not detail:
        return
    assert result.by_kind is not None and result.by_level is not None
    print(f"  not judged (under {p.min_tokens} tokens): {result.not_judged}")
    print(f"  links between corpus articles: {result.corpus_links}")
    for a, b, score in result.wrong_corpus_links or []:
        print(f"    FALSE PAIR {a} -> {b} (similarity {score})")
    print("  recall by kind:")
    for kind, (n, found) in sorted(result.by_kind.items()):
        print(f"    {kind:<13} {_pct(found, n):>7} of {n}")
    print("  recall by change level (stress kinds left out):")
    for level, (n, found) in sorted(result.by_level.items(), key=lambda kv: _order(kv[0])):
        print(f"    {level:<8} {_pct(found, n):>7} of {n}")


def _order(label: str) -> float:
    if label == "0%":
        return -1
    digits = re.findall(r"\d+", label)
    return float(digits[0]) + (0.5 if label.startswith(">") else 0) if digits else -1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, nargs="+", required=True)
    parser.add_argument("--originals", type=int, default=400)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--grid", action="store_true", help="a wider grid of parameters")
    parser.add_argument("--quick", action="store_true", help="the chosen parameters only")
    args = parser.parse_args()
    paths = args.corpus
    missing = [p for p in paths if not p.exists()]
    if missing:
        print(
            f"neardup_eval: no corpus found ({', '.join(map(str, missing))}); "
            "give --corpus PATH ... (gzip JSON Lines with expected.text)",
            file=sys.stderr,
        )
        return 2
    chosen = NearDupParams()
    texts = load_texts(paths)
    print(f"corpus: {len(texts)} articles with an expected text from {len(paths)} file(s)")
    stories = Stories()
    candidates = corpus_duplicates(texts, chosen.min_tokens)
    duplicates = [c for c in candidates if c[2] >= 0.3]
    print(f"genuinely duplicated corpus texts (exact 3-shingle Jaccard >= 0.3): {len(duplicates)}")
    for a, b, exact in duplicates:
        print(f"  {a} ~ {b}: {exact:.3f}")
        stories.union(a, b)
    print("closest distinct corpus texts (exact 3-shingle Jaccard):")
    for a, b, exact in candidates[len(duplicates) : len(duplicates) + 3]:
        print(f"  {a} ~ {b}: {exact:.3f}")
    docs = build_set(texts, args.originals, args.seed, min_words=150)
    kinds = Counter(doc.kind for doc in docs)
    print(
        f"set: {kinds.pop('corpus')} corpus articles, {sum(kinds.values())} variants of "
        f"{args.originals} originals ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))})"
    )
    print("\nchosen parameters:")
    report(evaluate(docs, chosen, stories), pairwise(docs, chosen), detail=True)
    if args.quick:
        return 0
    print("\nothers:")
    others = [
        replace(chosen, threshold=0.3),
        replace(chosen, threshold=0.5),
        replace(chosen, shingle_words=5),
        replace(chosen, shingle_words=2),
        replace(chosen, num_perm=64, bands=16),
        replace(chosen, num_perm=256, bands=64),
        replace(chosen, bands=16),
        replace(chosen, min_tokens=20),
    ]
    if args.grid:
        others += [
            replace(chosen, shingle_words=w, threshold=t)
            for w in (2, 3, 4, 5)
            for t in (0.3, 0.4, 0.5, 0.6)
        ]
    for params in others:
        report(evaluate(docs, params, stories), pairwise(docs, params), detail=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
