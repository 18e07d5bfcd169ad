"""The embedded default: `make run` on a laptop with SQLite and the filesystem broker."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
