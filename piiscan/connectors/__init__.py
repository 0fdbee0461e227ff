"""The connector registry: URI scheme -> "module:Class", plus what to install when it is missing.

An unused connector costs no import; a missing optional dependency gives a one-line hint.
"""

from __future__ import annotations

import importlib

from piiscan.connectors.base import (
    Connector,
    ListFailure,
    Listing,
    Selection,
    Skipped,
    SourceError,
)
from piiscan.connectors.options import ConnectorOptions

__all__ = [
    "REGISTRY",
    "Connector",
    "ListFailure",
    "Listing",
    "Selection",
    "Skipped",
    "SourceError",
    "connector_for",
    "scheme_of",
]

#: scheme -> (target, the pip extra that provides its dependencies)
REGISTRY: dict[str, tuple[str, str]] = {
    "file": ("piiscan.connectors.local:LocalConnector", ""),
    "maildir": ("piiscan.connectors.local:MaildirConnector", ""),
    "s3": ("piiscan.connectors.s3:S3Connector", "s3"),
    "gs": ("piiscan.connectors.gcs:GcsConnector", "gcs"),
    "postgresql": ("piiscan.connectors.postgres:PostgresConnector", "postgres"),
    "postgres": ("piiscan.connectors.postgres:PostgresConnector", "postgres"),
}


def scheme_of(uri: str) -> str:
    """The URI's scheme; plain paths (and Windows drive letters) are `file`."""
    head, sep, _ = uri.partition("://")
    return head.lower() if sep and len(head) > 1 else "file"


def connector_for(scheme: str, options: ConnectorOptions | None = None) -> Connector:
    try:
        target, extra = REGISTRY[scheme]
    except KeyError:
        known = ", ".join(f"{s}://" for s in sorted(REGISTRY))
        raise SourceError(f"unsupported source scheme {scheme}:// (supported: {known})") from None
    module, _, cls_name = target.partition(":")
    try:
        cls = getattr(importlib.import_module(module), cls_name)
    except ImportError as exc:
        hint = f"pip install 'piiscan[{extra}]'" if extra else "reinstall piiscan"
        raise SourceError(f"{scheme}:// needs {exc.name}, which is not installed: {hint}") from None
    return cls(options)
