"""Imported first by the extraction pool's forkserver, never by the crawler process: prepares
the process every extraction worker is forked from.

- BLAS libraries run single-threaded: one worker runs per core, so threads inside a worker only
  compete with the other workers (py3langid's scoring is a small matrix product, and its
  threads spin for CPU the other workers need). Set before numpy is first imported; a value
  the user set is kept.
- py3langid's model is loaded once, so the workers share it instead of each loading its own
  copy (about 1 s of CPU and 90 MiB a worker).
- The date parser that htmldate (trafilatura's date search) hands the strings its own patterns
  do not read to, dateparser, builds its data for every locale the first time a string
  reaches it (about 1.5 s of CPU and 40 MiB): built here once, for all the workers, instead of
  in each worker on its first such page.
- All of it is then frozen for the garbage collector (``gc.freeze``).
"""

import contextlib
import gc
import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from htmldate.extractors import get_external_parser  # noqa: E402

from crawler.extraction.metadata import language_identifier  # noqa: E402

language_identifier()
# htmldate's own parser instance (cached by htmldate); a string that no locale reads makes
# dateparser try, and so prepare, every one of them. Only a head start: should it fail, the
# forkserver must still start (an exception here would stop it), and the workers prepare
# dateparser themselves as before.
with contextlib.suppress(Exception):
    get_external_parser().get_date_data("xx 12 yy 2020")

# What is loaded by now lives as long as the workers: frozen, so that their full garbage
# collections neither walk it (about 2% of a worker's CPU) nor write to its memory pages, which
# then stay shared with the forkserver.
gc.freeze()
