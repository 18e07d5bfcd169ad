"""One adapter per network; `get_adapter` and `get_connect_flow` build them from plain
configuration (callers in `channels.services` read it from settings)."""

from __future__ import annotations

from importlib import import_module

from channels.adapters.base import Adapter, AppCredentials, ConnectFlow
from channels.adapters.transport import Timeouts

NETWORKS = ("twitter", "facebook", "youtube", "flickr")

_MODULES = {network: f"channels.adapters.{network}" for network in NETWORKS}


def get_adapter(
    network: str, *, sandbox_url: str | None, app: AppCredentials, timeouts: Timeouts | None = None
) -> Adapter:
    module = import_module(_MODULES[network])
    return module.build_adapter(sandbox_url=sandbox_url, app=app, timeouts=timeouts or Timeouts())


def get_connect_flow(
    network: str, *, sandbox_url: str | None, app: AppCredentials, timeouts: Timeouts | None = None
) -> ConnectFlow:
    module = import_module(_MODULES[network])
    return module.build_connect_flow(sandbox_url=sandbox_url, app=app, timeouts=timeouts or Timeouts())
