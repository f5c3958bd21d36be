"""Prometheus metrics: requests and latency by route template, suggestions served, reviews stored.

Each app owns its registry (tests build many apps in one process). With ``--workers N`` every worker
reports its own counts; scrape each, or run one worker per container.
"""

from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.connections import CLIENT_CLOSED_REQUEST, DISCONNECTED_SCOPE_KEY

__all__ = ["Metrics", "MetricsMiddleware"]

UNMATCHED_ROUTE = "<unmatched>"  # one label for every unknown path: URLs must not explode the label set
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "chartcoder_http_requests",
            "HTTP requests answered, by method, route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "chartcoder_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.notes_suggested = Counter("chartcoder_notes_suggested", "Notes the engine coded.", registry=self.registry)
        self.suggestions_served = Counter(
            "chartcoder_suggestions_served", "Code suggestions returned to clients.", registry=self.registry
        )
        self.reviews_stored = Counter(
            "chartcoder_reviews_stored", "Reviews committed (idempotent replays not counted).", registry=self.registry
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware): times every HTTP request and labels it by its route template."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # what the client gets if the app raises before answering
        started = time.perf_counter()
        answered = False

        async def send_and_remember(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status, answered = message["status"], True
            await send(message)

        try:
            await self.app(scope, receive, send_and_remember)
        finally:
            if not answered and scope.get(DISCONNECTED_SCOPE_KEY):
                status = CLIENT_CLOSED_REQUEST  # the client left: not a server error
            route = scope.get("route")
            template = getattr(route, "path", None) or UNMATCHED_ROUTE
            method = scope["method"]
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.latency.labels(method, template).observe(time.perf_counter() - started)
