"""Imported first by the extraction pool's forkserver, never by the crawler process: prepares
the process every extraction worker is forked from.

- BLAS libraries run single-threaded: one worker runs per core, so threads inside a worker only
  compete with the other workers (py3langid's scoring is a small matrix product, and its
  threads spin for CPU the other workers need). Set before numpy is first imported; a value
  the user set is kept.
- The extraction code (``crawler.extraction.article``) and the feed parse workers' code
  (``crawler.feeds.jobs``) are imported once and py3langid's model loaded once, so the
  workers share them instead of each loading its own copy (the model alone takes 90 MiB a
  worker; it is read from the user's cache, ``language_model``).
- dateparser (htmldate's parser for the strings its own patterns do not read) is not prepared
  here: building its data for every locale costs about 1.4 s of CPU, which every crawl would
  pay at start, while a worker pays it only on its first page that needs it, and many short
  crawls have none.
- All of it is then frozen for the garbage collector (``gc.freeze``).
"""

import gc
import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

# The extraction code: the crawler process hands its workers crawler.extraction.remote's
# extract_article, which imports it where it runs. Both imported here: the crawler starts the
# forkserver (prepare_forkserver) before it makes its extraction pool.
import crawler.extraction.article  # noqa: E402
import crawler.extraction.remote  # noqa: E402

# The feed parse pool's function (crawler.feeds.jobs.call): the crawl command starts the
# forkserver before that pool is made, and its worker would import it at its first feed.
import crawler.feeds.jobs  # noqa: E402, F401
from crawler.extraction.metadata import language_identifier  # noqa: E402

language_identifier()
# What is loaded by now lives as long as the workers: frozen, so that their full garbage
# collections neither walk it (about 2% of a worker's CPU) nor write to its memory pages, which
# then stay shared with the forkserver.
gc.freeze()
