"""Article pages for end-to-end tests: realistic markup (navigation, byline, figure, ads,
related links) around known paragraphs, so tests can assert the exact clean text."""

from __future__ import annotations

from html import escape

SENTENCES = [
    "The council met on Monday evening to discuss the proposal in detail.",
    "Residents had raised concerns about traffic and noise for several months.",
    "Officials said the work would be finished before the winter season begins.",
    "A spokesperson for the city thanked volunteers for their patience and support.",
    "Local businesses expect more visitors once the project is complete next year.",
    "The regional government will publish a full report on the costs in October.",
]


def paragraphs_for(slug: str, count: int = 4) -> list[str]:
    """Distinct, deterministic paragraphs for an article."""
    return [
        f"{SENTENCES[i % len(SENTENCES)]} This is paragraph {i + 1} of the story about "
        f"{slug.replace('-', ' ')}, reported by our local desk. "
        f"{SENTENCES[(i + 3) % len(SENTENCES)]}"
        for i in range(count)
    ]


def article_html(
    title: str,
    paragraphs: list[str],
    *,
    author: str | None = None,
    published: str | None = None,
    canonical: str | None = None,
    lang: str = "en",
) -> str:
    head = [
        f"<title>{escape(title)} | Local Wire</title>",
        f'<meta property="og:title" content="{escape(title)}">',
    ]
    if author:
        head.append(f'<meta name="author" content="{escape(author)}">')
    if published:
        head.append(f'<meta property="article:published_time" content="{published}">')
    if canonical:
        head.append(f'<link rel="canonical" href="{canonical}">')
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">{"".join(head)}</head>
<body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>{escape(title)}</h1>{f'<p class="byline">By {escape(author)}</p>' if author else ""}
{body}
</article>
<aside><h2>Most read</h2><ul><li><a href="/x">Another story</a></li></ul></aside>
<footer>All rights reserved.</footer></body></html>"""
