"""Scrapy add-ons of the project (``ADDONS`` in ``crawler/settings.py``).

``DistributedAddon``: when ``REDIS_URL`` is set, switches the crawl to distributed mode (README,
"Scaling out"): the scrapy-redis based scheduler and per-run dupefilter, the worker
membership and in-flight release extensions, the feeds-once start middleware, the cluster
dedupe pipeline, the cluster-wide per-site rate (wrapping the configured http/https download
handlers), an output file name that includes the worker (``%(worker)s``) and a state
directory of its own for each worker (``state/<worker>``), unless the user chose them.
Without ``REDIS_URL`` nothing changes.

``RemoteControlAddon``: takes Scrapy's remote-control extension off the extension list while
``REMOTE_CONTROL_ENABLED`` is off (the project's default: a scheduled crawler listens on no
port). Scrapy imports every listed extension before the extension's own switch can refuse,
and that one imports aiohttp: about 0.15 s of CPU at every crawl's start, for nothing.
Switched on, the extension is loaded as Scrapy loads it.
"""

from __future__ import annotations

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings

from crawler.config import ConfigError, default_host

# The download handlers SiteRateDownloadHandler wraps, by scheme.
INNER_HANDLERS_SETTING = "NEWSCRAWLER_SITE_RATE_INNER_HANDLERS"

EMBEDDED_OUTPUT_FILE = "%(name)s_%(time)s.jsonl"
DISTRIBUTED_OUTPUT_FILE = "%(name)s_%(time)s_%(worker)s.jsonl"


REMOTE_CONTROL = "scrapy.extensions.remote_control.RemoteControl"


class RemoteControlAddon:
    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.getbool("REMOTE_CONTROL_ENABLED"):
            # Off Scrapy's base list: a key set to None in EXTENSIONS is still imported.
            settings["EXTENSIONS_BASE"].delete(REMOTE_CONTROL, "addon")


class DistributedAddon:
    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.get("REDIS_URL"):
            return
        try:
            import redis  # noqa: F401
            import scrapy_redis  # noqa: F401
        except ImportError as exc:
            raise ConfigError(
                "REDIS_URL is set but distributed mode is not installed "
                f"(pip install 'newscrawler[distributed]'): {exc}"
            ) from exc
        settings.set("SCHEDULER", "crawler.distributed.scheduler.DistributedScheduler", "addon")
        settings.set("DUPEFILTER_CLASS", "crawler.distributed.dupefilter.RunDupeFilter", "addon")
        # Before the membership: an idle worker releases what is durable, then says it is idle.
        settings["EXTENSIONS"]["crawler.distributed.inflight.InflightRelease"] = 390
        settings["EXTENSIONS"]["crawler.distributed.membership.WorkerMembership"] = 400
        settings["SPIDER_MIDDLEWARES"]["crawler.distributed.membership.RunStartMiddleware"] = 50
        settings["ITEM_PIPELINES"]["crawler.distributed.pipeline.SeenPagePipeline"] = 50
        settings["ITEM_PIPELINES"]["crawler.distributed.pipeline.ClusterDedupePipeline"] = 300
        handlers = settings.getwithbase("DOWNLOAD_HANDLERS")
        inner = {scheme: handlers[scheme] for scheme in ("http", "https") if handlers.get(scheme)}
        settings.set(INNER_HANDLERS_SETTING, inner, "addon")
        for scheme in inner:
            settings["DOWNLOAD_HANDLERS"][scheme] = (
                "crawler.distributed.politeness.SiteRateDownloadHandler"
            )
        # The project default names no worker: files from several hosts would clash. A name
        # chosen by the user (another value, or -s) is kept.
        if (
            settings.get("NEWSCRAWLER_OUTPUT_FILE") == EMBEDDED_OUTPUT_FILE
            and settings.getpriority("NEWSCRAWLER_OUTPUT_FILE") == SETTINGS_PRIORITIES["project"]
        ):
            settings.set("NEWSCRAWLER_OUTPUT_FILE", DISTRIBUTED_OUTPUT_FILE, "project")
        # The run lock and journal of incremental runs live in the state directory: the workers
        # of one host need one each, so the default `state` becomes `state/<worker>`.
        if (
            settings.get("NEWSCRAWLER_STATE_DIR") == "state"
            and settings.getpriority("NEWSCRAWLER_STATE_DIR") == SETTINGS_PRIORITIES["project"]
        ):
            worker = f"{default_host()}-{settings.get('NEWSCRAWLER_WORKER_ID')}"
            settings.set("NEWSCRAWLER_STATE_DIR", f"state/{worker}", "project")
