"""Scrapy settings for newscrawler: hardened values and component order, no logic.

Project settings start with ``NEWSCRAWLER_`` and are validated in ``crawler/config.py``.
"""

BOT_NAME = "newscrawler"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
# Our `crawl` command: the built-in one plus an exit status the scheduler can act on.
COMMANDS_MODULE = "crawler.commands"

# --- Project settings (see README, "Settings") ---
# Who to contact about the crawler: appears in the User-Agent. Set this to your URL or e-mail.
NEWSCRAWLER_CONTACT = "+https://example.com/newscrawler-contact"
NEWSCRAWLER_OUTPUT_DIR = "output"
NEWSCRAWLER_OUTPUT_FILE = "%(name)s_%(time)s.jsonl"
NEWSCRAWLER_MAX_ENTRIES_PER_FEED = 200
NEWSCRAWLER_MIN_TEXT_CHARS = 200
# Extraction runs in this many worker processes; None: one per CPU core.
NEWSCRAWLER_EXTRACTION_WORKERS = None
# A page whose extraction takes longer is dropped as extraction_timeout (its worker is replaced).
NEWSCRAWLER_EXTRACTION_TIMEOUT_S = 30.0

# --- Politeness ---
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.25
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
RETRY_TIMES = 2
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Scrapy starts this many asyncio tasks for every callback's output, even for the one item of an
# article page: 100 (its default) costs the crawler process CPU that extraction needs.
CONCURRENT_ITEMS = 8

# --- Safety ---
# Only http(s): a feed must not make the crawler read local files or reach other protocols.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "ftp": None, "s3": None}
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024

# --- Components ---
ITEM_PIPELINES = {
    "crawler.pipelines.extraction.ExtractionPipeline": 100,
    "crawler.pipelines.dedupe.DedupePipeline": 200,
    "crawler.pipelines.writer.JsonLinesPipeline": 800,
}
EXTENSIONS = {
    "crawler.extensions.report.RunReport": 500,
}
LOG_FORMATTER = "crawler.logformatter.NewsLogFormatter"
LOG_LEVEL = "INFO"

FEED_EXPORT_ENCODING = "utf-8"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# Scrapy's remote-control server listens on a port: not wanted on a scheduled crawler.
REMOTE_CONTROL_ENABLED = False
