"""Keeping note text and search words out of the logs."""

from __future__ import annotations

import logging
import re

__all__ = ["MASKED_SEGMENT", "PathOnlyAccessLog", "install_access_log_filter", "loggable_path"]

ACCESS_LOGGER = "uvicorn.access"


_LOGGABLE_SEGMENT = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")  # route words, ids and codes
MASKED_SEGMENT = "<masked>"


class PathOnlyAccessLog(logging.Filter):
    """Drop the query string from uvicorn's access lines (queries carry what a coder typed), and mask any path
    segment that is not shaped like a route word, an id or a code (``/v1/codes/chest pain`` is free text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        # uvicorn's access record: (client address, method, full path, HTTP version, status code)
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], loggable_path(args[2]), args[3], args[4])
        return True


def loggable_path(path_and_query: str) -> str:
    path = path_and_query.split("?", 1)[0]
    return "/".join(
        segment if not segment or _LOGGABLE_SEGMENT.match(segment) else MASKED_SEGMENT for segment in path.split("/")
    )


def install_access_log_filter() -> None:
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(existing, PathOnlyAccessLog) for existing in logger.filters):
        logger.addFilter(PathOnlyAccessLog())
