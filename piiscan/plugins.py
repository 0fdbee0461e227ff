"""Plugins: the one way detectors, connectors and extractors are found, built-in ones included.

Each kind is a group of Python entry points (the packaging standard's `entry_points.txt`, read
with `importlib.metadata`), so a team adds its own from a package of its own, without forking:

    [project.entry-points."piiscan.detectors"]
    ticket = "acme_piiscan.ticket:TicketDetector"
    [project.entry-points."piiscan.connectors"]
    s3 = "piiscan.connectors.s3:S3Connector [s3]"

The name is the detector's name, the connector's URI scheme, or the extractor's format. The
optional `[extra]` names the pip extra that brings the plugin's dependencies: when importing the
plugin fails for a missing module, `PluginError` says what to install, in the same words for
every kind. Nothing is imported until it is asked for, so an unused plugin costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import Distribution, EntryPoint, EntryPoints, entry_points
from typing import Any

DETECTORS = "piiscan.detectors"
CONNECTORS = "piiscan.connectors"
EXTRACTORS = "piiscan.extractors"

#: what a plugin of each group is, for messages
_KIND = {DETECTORS: "detector", CONNECTORS: "connector", EXTRACTORS: "extractor"}


class PluginError(Exception):
    """A plugin cannot be loaded: the message names it and says what to do (one line)."""


@dataclass(frozen=True)
class Plugin:
    """One entry point of a piiscan group: its name, where it points, and who provides it."""

    group: str
    name: str
    value: str  # "module:attribute [extra]"
    # the distribution that declares it: its name is read (a metadata file parsed, about 10 ms
    # each) only when a message or a listing needs it, not at every start
    source: Distribution | None = field(default=None, compare=False, repr=False)

    @property
    def dist(self) -> str:
        """The name of the distribution that declares it ("piiscan" for the built-ins)."""
        return self.source.name if self.source is not None else "?"

    @property
    def extras(self) -> list[str]:
        return EntryPoint(self.name, self.value, self.group).extras

    @property
    def label(self) -> str:
        """`detector plugin places (piiscan)`: how messages name it."""
        return f"{_KIND.get(self.group, self.group)} plugin {self.name} ({self.dist})"

    def load(self) -> Any:
        """The object the entry point names; PluginError when it cannot be imported."""
        try:
            return EntryPoint(self.name, self.value, self.group).load()
        except ImportError as exc:
            raise PluginError(self.missing(exc.name or "a module")) from None
        except AttributeError:
            raise PluginError(f"{self.label}: {self.value} names nothing that exists") from None

    def missing(self, module: str) -> str:
        """The one message for a plugin whose dependency `module` is not installed."""
        extras = self.extras
        hint = f"pip install '{self.dist}[{','.join(extras)}]'" if extras else f"reinstall {self.dist}"
        return f"{self.label} needs {module}, which is not installed: {hint}"


@cache
def plugins(group: str) -> dict[str, Plugin]:
    """The plugins of `group` by name, sorted by name; PluginError when two distributions
    declare the same name (which one was meant cannot be guessed)."""
    found: dict[str, Plugin] = {}
    for ep in _entry_points().select(group=group):
        plugin = Plugin(group, ep.name, ep.value, ep.dist)
        other = found.get(ep.name)
        if other is not None and other.value != plugin.value:
            raise PluginError(f"{plugin.label} is also declared by {other.dist}: uninstall one of them")
        found[ep.name] = plugin
    return dict(sorted(found.items()))


@cache
def _entry_points() -> EntryPoints:
    """Every installed entry point: the distributions' metadata is read once for all three groups
    (each read costs 30 ms or more at start-up)."""
    return entry_points()
