"""Kept for diplomacy_hub/urls.py's import: /healthz now lives in posts/views/health.py."""

from posts.views.health import healthz

__all__ = ["healthz"]
