"""SharedTdmRep: one ``tdmrep.json`` request per site for the whole cluster and run.

In distributed mode (``REDIS_URL``) the rights middleware asks here before fetching a site's
``/.well-known/tdmrep.json``. The first worker to ``claim`` the site fetches it and
``publish``-es the outcome (the file's rules, or "declares nothing"); the other workers
``get`` it from Redis instead of asking the site. A claim is a lease (``LEASE_S``): if its
worker dies before publishing, the lease runs out and another worker fetches the file.

Keys: ``newscrawler:tdmrep:<spider>:<run id>:<host:port>``, ``pending`` while claimed, then
the outcome as JSON, kept ``RESULT_TTL_S`` (a new run has a new run id and asks again).
"""

from __future__ import annotations

import json

import redis

from crawler.rights import TdmRepError, TdmRepFile, parse_tdmrep
from crawler.storage.redis_cluster import RedisCluster

# Longer than a tdmrep.json download can take (timeouts and retries included).
LEASE_S = 300
RESULT_TTL_S = 24 * 3600
_PENDING = b"pending"


class SharedTdmRep:
    def __init__(self, server: redis.Redis, cluster: RedisCluster, spider: str) -> None:
        self.server = server
        self.cluster = cluster
        self.spider = spider

    def key(self, netloc: str) -> str:
        return f"newscrawler:tdmrep:{self.spider}:{self.cluster.run_id}:{netloc}"

    def claim(self, netloc: str) -> bool:
        """True when this worker is to fetch the site's file (no one else has it)."""
        return bool(self.server.set(self.key(netloc), _PENDING, nx=True, ex=LEASE_S))

    def publish(self, netloc: str, rules: TdmRepFile | None) -> None:
        body = None if rules is None else rules.to_json()
        self.server.set(self.key(netloc), json.dumps({"rules": body}), ex=RESULT_TTL_S)

    def get(self, netloc: str) -> tuple[bool, TdmRepFile | None]:
        """``(True, rules)`` once the outcome is published, ``(False, None)`` before (or when
        the claim lapsed: the caller then claims it itself)."""
        value = self.server.get(self.key(netloc))
        if value is None or value == _PENDING:
            return False, None
        try:
            rules = json.loads(value)["rules"]
            return True, None if rules is None else parse_tdmrep(json.dumps(rules).encode())
        except (ValueError, KeyError, TypeError, TdmRepError):
            return True, None  # not what publish() writes: declares nothing
