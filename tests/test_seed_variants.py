"""The reference page (``tests/data/seed/upi_article.html``) in harder variants: the output must
still be exactly the story's nine paragraphs (``expected.txt``), with title, author and date."""

from __future__ import annotations

import pytest

from crawler.extraction import extract_page
from tests.conftest import DATA

URL = "http://127.0.0.1:9/Top_News/World-News/2017/01/19/joint-bombings"
VARIANTS = {
    "upi_ad_paragraph.html": "Advertisement",  # the ad label as a <p> inside the body
    "upi_caption_paragraph.html": "Khmeimim",  # the caption also as a body paragraph
    "upi_caption_only_in_body.html": "Khmeimim",  # ...and nowhere else but the image alt
    "upi_headlines_in_article.html": "Latest Headlines",  # the block inside <article>
    "upi_all_harder.html": "Earthquakes rattle",  # all of the above at once
}


@pytest.mark.parametrize(("name", "junk"), VARIANTS.items())
def test_harder_seed_variant_is_exactly_the_story(name: str, junk: str) -> None:
    html = (DATA / "seed" / name).read_text().replace("{base}", "http://127.0.0.1:9")
    assert junk in html
    result = extract_page(html.encode(), URL, {"content-type": "text/html; charset=utf-8"})
    assert result.error is None
    assert result.text == (DATA / "seed" / "expected.txt").read_text().strip()
    assert len(result.text.split("\n\n")) == 9
    assert result.metadata.title == "Russia, Turkey carry out joint bombings in Syria"
    assert result.metadata.authors == ["Andrew V. Pestano"]
    assert result.metadata.published == "2017-01-19T14:05:00-05:00"
