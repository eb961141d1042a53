"""Scrapy settings for newscrawler: hardened values and component order, no logic.

Project settings start with ``NEWSCRAWLER_`` and are validated in ``crawler/config.py``.
"""

from crawler import items as _items

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
# Sitemaps as sources (-a sitemaps=, or robots.txt of -a sites): entries older than this are
# skipped; gunzipped/plain size cap; index nesting followed; child sitemaps fetched per root.
NEWSCRAWLER_SITEMAP_MAX_AGE_DAYS = 2
NEWSCRAWLER_SITEMAP_MAX_BYTES = 50 * 1024 * 1024
NEWSCRAWLER_SITEMAP_MAX_DEPTH = 2
NEWSCRAWLER_SITEMAP_MAX_CHILDREN = 50
# Feed discovery (-a sites=): candidate URLs tried per stage and site.
NEWSCRAWLER_DISCOVERY_MAX_CANDIDATES = 10
# Safety budgets (README, "Security"): download caps per request type, items parsed per feed,
# pages larger than this are not given to the extractor, longest Retry-After honoured.
NEWSCRAWLER_FEED_MAXSIZE_BYTES = 10 * 1024 * 1024
NEWSCRAWLER_FEED_MAX_ITEMS = 1000
NEWSCRAWLER_ARTICLE_MAXSIZE_BYTES = 8 * 1024 * 1024
# Real pages with inline scripts and styles often pass 2 MiB; 8 MiB (the article download cap)
# keeps them. trafilatura itself accepts 20 MB.
NEWSCRAWLER_EXTRACT_MAXSIZE_BYTES = 8 * 1024 * 1024
NEWSCRAWLER_RETRY_AFTER_MAX_S = 120
# Response header bytes (status line included) read before a download fails as
# headers_too_large: an endless stream of short header lines must not fill memory.
NEWSCRAWLER_HEADERS_MAXSIZE_BYTES = 256 * 1024
# Incremental runs: state (seen articles, feed validators, run lock, journal) lives here.
NEWSCRAWLER_STATE_DIR = "state"
NEWSCRAWLER_STATE_BACKEND = "sqlite"
NEWSCRAWLER_SEEN_TTL_DAYS = 30
NEWSCRAWLER_WRITE_BATCH_SIZE = 20
# An article whose download keeps failing (5xx, timeouts) is requested again by this many runs
# in all, then given up; a 410 or a policy refusal is given up at once.
NEWSCRAWLER_ARTICLE_MAX_ATTEMPTS = 10
# Near-duplicates (docs/near-duplicates.md): copies of a story already seen (on any site, in
# any run within NEWSCRAWLER_SEEN_TTL_DAYS) are marked with near_duplicate_of, or dropped.
NEWSCRAWLER_NEAR_DUPLICATES = True
NEWSCRAWLER_DROP_NEAR_DUPLICATES = False
# Distributed mode (README, "Scaling out"): set REDIS_URL, e.g. redis://host:6379/0.
REDIS_URL = None
NEWSCRAWLER_WORKER_ID = "1"
NEWSCRAWLER_SITE_RATE_PER_S = 4.0
NEWSCRAWLER_HEARTBEAT_S = 10.0
# Extraction runs in this many worker processes; None: one per CPU core.
NEWSCRAWLER_EXTRACTION_WORKERS = None
# A page whose extraction takes longer is dropped as extraction_timeout (its worker is replaced).
NEWSCRAWLER_EXTRACTION_TIMEOUT_S = 30.0
# Rights (docs/rights.md): drop articles whose site or page reserves text and data mining.
NEWSCRAWLER_SKIP_TDM_RESERVED = False
# Feed history and adaptive polling (docs/feed-health.md): a run polls only the feeds that are
# due, each at its own pace within these bounds; history rows older than the days are pruned.
NEWSCRAWLER_ADAPTIVE_POLLING = True
NEWSCRAWLER_POLL_ALL_FEEDS = False
NEWSCRAWLER_POLL_MIN_INTERVAL_S = 600
NEWSCRAWLER_POLL_MAX_INTERVAL_S = 4 * 3600
NEWSCRAWLER_FEED_HISTORY_DAYS = 90

# WARC capture (docs/archiving.md): off by default; files rotate at this size.
NEWSCRAWLER_WARC = False
NEWSCRAWLER_WARC_MAX_BYTES = 1024 * 1024 * 1024

# A progress line (feeds done, articles written/queued/failed, rate, ETA) at INFO this often;
# 0 switches it off.
NEWSCRAWLER_PROGRESS_INTERVAL_S = 30.0
# On a terminal (standard error a TTY), a live progress line redrawn in place; False: none.
NEWSCRAWLER_PROGRESS_LIVE = True

# A feed, sitemap, homepage or OPML list whose parse takes longer fails as parse_timeout (its
# parse worker is killed and replaced).
NEWSCRAWLER_PARSE_TIMEOUT_S = 20.0

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
# HTTP(S) through Scrapy's HTTP/1.1 handler with a cap on response header bytes.
DOWNLOAD_HANDLERS = {
    "file": None,
    "data": None,
    "ftp": None,
    "s3": None,
    "http": "crawler.downloadhandlers.HeaderCappedDownloadHandler",
    "https": "crawler.downloadhandlers.HeaderCappedDownloadHandler",
}
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
# No loopback, private, link-local or metadata address, however written or resolved, unless
# listed here (hosts, host:port pairs, CIDR ranges). See crawler/netpolicy.py.
ALLOW_PRIVATE_HOSTS: list[str] = []
TWISTED_DNS_RESOLVER = "crawler.resolver.PolicyResolver"
DOWNLOADER_MIDDLEWARES = {
    # Before robots.txt (100): a refused URL must not even cause a robots.txt request.
    "crawler.downloadermiddlewares.urlpolicy.UrlPolicyMiddleware": 50,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.downloadermiddlewares.robots.RobotsPolicyMiddleware": 100,
    # After robots.txt: a site's tdmrep.json and AI-crawler rules, before its article requests.
    "crawler.downloadermiddlewares.rights.SiteRightsMiddleware": 110,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.downloadermiddlewares.retry.PoliteRetryMiddleware": 550,
    "crawler.downloadermiddlewares.conditional.ConditionalGetMiddleware": 560,
    # A 206 to a request without Range is part of a document: a failed download (http_206).
    "crawler.downloadermiddlewares.partial.PartialContentMiddleware": 570,
    # Scrapy's redirects, leaving unfollowed a Location no request can be made for.
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.downloadermiddlewares.redirect.RedirectMiddleware": 600,
    # Scrapy's meta refresh, reading the page's head instead of decoding the whole page.
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.downloadermiddlewares.metarefresh.MetaRefreshMiddleware": 580,
    # Scrapy's offsite filter lets every request through when the spider has no
    # allowed_domains, which ours never have (spider arguments are validated; which URLs are
    # fetched is decided by the URL policy above): run twice a request for nothing.
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    # Nearest the download handler (after every built-in one, up to HttpCacheMiddleware at
    # 900): archives the request as sent and the response as received, before
    # HttpCompressionMiddleware (590) decodes it or RedirectMiddleware (600) follows it.
    "crawler.downloadermiddlewares.warc.WarcMiddleware": 950,
}

# --- Components ---
ITEM_PIPELINES = {
    "crawler.pipelines.extraction.ExtractionPipeline": 100,
    "crawler.pipelines.dedupe.DedupePipeline": 200,
    "crawler.pipelines.revisions.RevisionPipeline": 700,
    "crawler.pipelines.neardup.NearDuplicatePipeline": 750,
    "crawler.pipelines.limit.ItemLimitPipeline": 790,
    "crawler.pipelines.writer.JsonLinesPipeline": 800,
}
EXTENSIONS = {
    "crawler.extensions.report.RunReport": 500,
    # Incremental runs: run lock, crash recovery, state store (before any request).
    "crawler.extensions.state.RunState": 100,
    # A stopping crawl cancels the downloads still queued behind DOWNLOAD_DELAY.
    "crawler.extensions.stopping.PromptStop": 510,
    "crawler.extensions.progress.Progress": 520,
    # Before the run report: the live line's final figures are drawn before the summary.
    "crawler.extensions.progress.LiveProgress": 490,
    # Feed history and adaptive polling (after RunState: the state directory is locked).
    "crawler.extensions.polling.FeedPolling": 150,
}
SPIDER_MIDDLEWARES = {
    "crawler.spidermiddlewares.seen.SeenArticlesMiddleware": 850,
    # Scrapy's check for requests whose meta was copied from a response's: a warning for spider
    # authors, and ours build every request's meta afresh. A layer every callback's output
    # passes through, for nothing.
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
}
# DistributedAddon: the scheduler, dupefilter and distributed components when REDIS_URL is
# set. RemoteControlAddon: Scrapy's remote control not even imported while it is off.
ADDONS = {"crawler.addons.DistributedAddon": 0, "crawler.addons.RemoteControlAddon": 0}
LOG_FORMATTER = "crawler.logformatter.NewsLogFormatter"
LOG_LEVEL = "INFO"

FEED_EXPORT_ENCODING = "utf-8"
# -o/-O FILE: the record's fields, as in the run's own file (Scrapy would export every field
# of the item, the near-duplicate sketch and the cut fields that are not part of the record).
FEED_EXPORT_FIELDS = list(_items.RECORD_FIELDS)
# -o/-O FILE: a run that finds nothing new leaves the file as it is (Scrapy's default would
# create it empty, and with -O empty the user's file).
FEED_STORE_EMPTY = False
# -o FILE.csv: lists and objects as JSON in their cells.
FEED_EXPORTERS = {"csv": "crawler.exporters.JsonCellsCsvItemExporter"}
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# Scrapy's remote-control server listens on a port: not wanted on a scheduled crawler.
REMOTE_CONTROL_ENABLED = False
