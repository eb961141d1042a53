"""The benchmark's scoring functions on tiny inputs with known answers."""

from __future__ import annotations

from collections import Counter

import pytest

from benchmarks.scoring import (
    Overlap,
    PageMean,
    bag,
    f1,
    overlap,
    shingles,
    snippet_key,
    snippets_found,
    tokens,
)


def test_tokens_are_casefolded_nfkc_word_runs() -> None:
    # NFKC turns the full-width letters and the "ﬁ" ligature into plain ones; ß folds to ss.
    assert tokens("Ｆｏｏ, the ﬁne STRASSE—Straße!") == ["foo", "the", "fine", "strasse", "strasse"]
    assert tokens(None) == []
    assert tokens("3 < 5") == ["3", "5"]


def test_shingles_are_runs_of_four_with_counts() -> None:
    words = tokens("a b c d e a b c d")
    assert shingles(words) == Counter(
        {
            ("a", "b", "c", "d"): 2,
            ("b", "c", "d", "e"): 1,
            ("c", "d", "e", "a"): 1,
            ("d", "e", "a", "b"): 1,
            ("e", "a", "b", "c"): 1,
        }
    )
    # Fewer than four tokens make one short shingle; none make none.
    assert shingles(["x", "y"]) == Counter({("x", "y"): 1})
    assert shingles([]) == Counter()


def test_overlap_counts_each_word_at_most_as_often_as_in_the_label() -> None:
    got = overlap(bag(tokens("the cat the cat sat")), bag(tokens("the cat sat on the mat")))
    assert (got.hit, got.predicted, got.expected) == (4, 5, 6)
    assert got.precision == pytest.approx(0.8)
    assert got.recall == pytest.approx(4 / 6)
    assert got.f1 == pytest.approx(2 * 0.8 * (4 / 6) / (0.8 + 4 / 6))


def test_shingle_overlap_punishes_reordering_that_words_do_not_see() -> None:
    label = tokens("one two three four five six")
    shuffled = tokens("four five six one two three")
    assert overlap(bag(shuffled), bag(label)).f1 == 1.0
    assert overlap(shingles(shuffled), shingles(label)).f1 == 0.0


def test_micro_average_sums_before_dividing() -> None:
    total = Overlap()
    total += Overlap(hit=1, predicted=1, expected=1)
    total += Overlap(hit=0, predicted=9, expected=3)
    assert (total.precision, total.recall) == (0.1, 0.25)
    assert Overlap().precision == Overlap().recall == 1.0
    assert f1(0.0, 0.0) == 0.0


def test_page_mean_weighs_pages_equally_and_skips_empty_sides() -> None:
    mean = PageMean()
    mean.add(Overlap(hit=1, predicted=1, expected=1))  # P 1, R 1
    mean.add(Overlap(hit=0, predicted=9, expected=3))  # P 0, R 0
    mean.add(Overlap(hit=0, predicted=0, expected=2))  # no output: no precision, R 0
    assert mean.precision == 0.5
    assert mean.recall == pytest.approx(1 / 3)
    assert mean.f1 == pytest.approx(2 * 0.5 * (1 / 3) / (0.5 + 1 / 3))


def test_snippets_match_after_whitespace_and_case_normalisation() -> None:
    text = "The  Quick\nbrown fox\u00a0jumps."
    assert snippet_key(" A\tb ") == "a b"
    assert snippets_found(text, ["quick brown", "FOX JUMPS", "lazy dog", "  "]) == (2, 3)
    assert snippets_found(None, ["x"]) == (0, 1)


def test_boilerplate_checks_see_whole_lines_only() -> None:
    from benchmarks.labels import has_ad_line, has_caption, has_promo_line

    assert has_ad_line("The story.\n\n– Advertisement –\n\nMore story.")
    assert not has_ad_line("Ads on buses paid for the campaign.")
    assert has_promo_line("The story.\n\nRead more: Another headline")
    assert not has_promo_line("Read more " + "words " * 30)  # a long line is prose
    assert has_caption("A story. The mayor at the opening. More.", ["The mayor at the opening."])
    assert not has_caption("A story.", ["  ", "Not here"])
