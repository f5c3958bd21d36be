"""Keeping note text and search words out of the logs."""

from __future__ import annotations

import logging

__all__ = ["PathOnlyAccessLog", "install_access_log_filter"]

ACCESS_LOGGER = "uvicorn.access"


class PathOnlyAccessLog(logging.Filter):
    """Drop the query string from uvicorn's access lines: paths carry ids only, queries can carry words."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        # uvicorn's access record: (client address, method, full path, HTTP version, status code)
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], args[2].split("?", 1)[0], args[3], args[4])
        return True


def install_access_log_filter() -> None:
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(existing, PathOnlyAccessLog) for existing in logger.filters):
        logger.addFilter(PathOnlyAccessLog())
