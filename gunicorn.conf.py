"""gunicorn reads this file from the directory it starts in (the project's root; `-c` names another), so every
gunicorn serving the app uses it: bench/server.py's and production's (`gunicorn cft.wsgi:application ...`).

Its error log ("Error handling request /checkin/...", an invalid request line) and its access log (the request
line and the Referer) would show a patient link's token: both pass through the app's redaction (cft/logs.py)."""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger


class RedactingLogger(Logger):
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        from cft.logs import RedactLinkTokens  # the project is importable once gunicorn has loaded its config

        for log in (self.error_log, self.access_log):
            if not any(isinstance(existing, RedactLinkTokens) for existing in log.filters):
                log.addFilter(RedactLinkTokens())


logger_class = RedactingLogger
