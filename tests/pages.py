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

# Stories in other languages, recorded from the dev corpus (../shared/corpus), for the
# language checks. za/Isolezwe: a Zulu story on a site whose template declares "en".
ZULU = (
    "LUSELUDE ukhalo ngempi yokuqedwa inkinga yemilutha yewunga enkabeni yeTheku. Lokhu kuza "
    "emva kokuvimbanisa kwayo emgwaqweni uChe Guevara - owawaziwa ngoMoore Road - ngemijondolo "
    "kaseyili noplastiki. Sekuphele amasonto amathathu le milutha elinganiselwa ku-200 edle "
    "owodwa wemizila yalo mgwaqo. Kuwona yakhe imijondolo, ethikameza abashayeli bezimoto, "
    "abaphoqeleke ukuthi basebenzise eminye. Okhulumela amaphoyisa kaMasipala weTheku, "
    "uColonel Boysie Zungu, uthe njengoba selulethiwe ezindlebeni zabo udaba lokuvalwa "
    "komgwaqo, bazalusukumela."
)
# no/NRK: Norwegian Bokmål, declared "nb", a code the detector does not have.
BOKMAL = (
    "Kvalifiseringen i stavsprang ble av det dramatiske slaget for norske Lene Retzius. Lene "
    "Retzius er, sammen med hele 19 andre stavhoppere, klar for finalen i stavsprang. Det skjer "
    "etter en overraskende vending. Det var ikke tolv utøvere som klarte å hoppe 4,55 meter, og "
    "etter en periode med uvisshet ble det klart at alle som hoppet 4,40 på første forsøk er "
    "med til finalen. Hun forteller at de ikke var klar over reglene og at det var noen "
    "nervepirrende minutter i påvente av en avgjørelse. – Da jeg feilet på 4,55 var jeg sikker "
    "på at jeg var ute, sier en smørblid Retzius til NRK."
)
# at/DerStandard.
GERMAN = (
    "Um seine Botschaft zu unterstreichen, wechselte Abdullah bin Zayed, Außenminister der "
    "Vereinigten Arabischen Emirate, ins Englische: „Der Tag wird kommen“, sagt er, „an dem "
    "wir wesentlich mehr radikale Extremisten und Terroristen in Europa haben werden, die die "
    "Konsequenz sein werden von mangelnder Entscheidungskraft, des Versuchs, politisch korrekt "
    "zu sein, und der Annahme, den Islam, den Mittleren und Nahen Osten besser zu verstehen, "
    "als wir es tun. Es tut mir leid, aber das ist pure Ignoranz.“ Das Video ist sieben Jahre "
    "alt, aufgezeichnet wurde es auf einer internationalen Konferenz in Riad, Saudi-Arabien."
)


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


def page(slug: str) -> str:
    """The article page of ``slug``: its title and ``paragraphs_for(slug)``."""
    return article_html(slug.replace("-", " ").title(), paragraphs_for(slug))
