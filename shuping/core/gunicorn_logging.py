"""A gunicorn logger that keeps voters out of the access log.

An access-log line holds the time, the client address and the path — for /v/<secret>/… the path is the
token itself. Together that would link a ballot to a device and a time (domain.md "Integrity"), so lines
for voter pages and the cast API are dropped entirely. Everything else is logged as usual.
Used by `shuping serve` (--logger-class shuping.core.gunicorn_logging.Logger).
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger as GunicornLogger

# Paths whose requests are never written to the access log.
PRIVATE_PREFIXES = ("/v/", "/api/ballots/cast")


def is_private(path: str) -> bool:
    return path == "/v" or path.startswith(PRIVATE_PREFIXES)


class Logger(GunicornLogger):
    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        path = environ.get("PATH_INFO") or getattr(req, "path", "") or ""
        if is_private(path):
            return
        super().access(resp, req, environ, request_time)
