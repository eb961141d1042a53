"""Distributed mode: several ``scrapy crawl feeds`` workers share one crawl through Redis.

Switched on by ``REDIS_URL`` (``crawler/addons.py``). The scrapy-redis scheduler and dupefilter
share the request queue; ``crawler/storage/redis_cluster.py`` holds the coordination (worker
lock and heartbeat, runs, in-flight requests, article claims) and
``crawler/storage/redis_state.py`` the seen articles and feed validators. The Scrapy components
here only wire them in:

- ``scheduler.DistributedScheduler``: pops requests into the worker's in-flight set;
- ``inflight.InflightRelease`` (extension): takes them out of it as their outcome becomes
  durable;
- ``dupefilter.RunDupeFilter``: one fingerprint set per run, dropped when the run ends;
- ``membership.WorkerMembership`` (extension) and ``membership.RunStartMiddleware``: lock,
  heartbeat, reclaiming dead workers' requests, deciding when the run is done, queueing the
  feeds once per run;
- ``pipeline.ClusterDedupePipeline``: one record per article across workers and runs;
- ``politeness.SiteRateMiddleware``: one request rate per site for the whole cluster.
"""
