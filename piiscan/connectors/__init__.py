"""Connectors by URI scheme: the `piiscan.connectors` entry points (piiscan/plugins.py).

An unused connector costs no import; a missing optional dependency gives a one-line hint.
"""

from __future__ import annotations

from piiscan.connectors.base import (
    Connector,
    ListFailure,
    Listing,
    Selection,
    Skipped,
    SourceError,
)
from piiscan.connectors.options import ConnectorOptions
from piiscan.plugins import CONNECTORS, PluginError, plugins

__all__ = [
    "Connector",
    "ListFailure",
    "Listing",
    "Selection",
    "Skipped",
    "SourceError",
    "connector_for",
    "scheme_of",
]


def scheme_of(uri: str) -> str:
    """The URI's scheme; plain paths (and Windows drive letters) are `file`."""
    head, sep, _ = uri.partition("://")
    return head.lower() if sep and len(head) > 1 else "file"


def connector_for(scheme: str, options: ConnectorOptions | None = None) -> Connector:
    """A connector for `scheme`; SourceError for an unknown scheme or a missing dependency."""
    installed = plugins(CONNECTORS)
    if scheme not in installed:
        known = ", ".join(f"{s}://" for s in installed)
        raise SourceError(f"unsupported source scheme {scheme}:// (supported: {known})")
    try:
        cls = installed[scheme].load()
    except PluginError as exc:
        raise SourceError(str(exc)) from None
    return cls(options)
