"""The installed detectors: the `piiscan.detectors` entry points (piiscan/plugins.py).

A detector is registered in one place, its entry point, exactly as a third party's would be; its
entity, canonical form, mask, explanation and `subject find` option live in its own class. An
unused detector's module is imported only to read its class attributes; it is instantiated
(patterns compiled, gazetteers loaded) only when its entity is wanted.
"""

from __future__ import annotations

from collections.abc import Iterable

from piiscan.detectors.base import Candidate, Detector, Pattern, RecordDetector, SubjectOption
from piiscan.plugins import DETECTORS, PluginError, plugins

__all__ = [
    "Candidate",
    "Detector",
    "Pattern",
    "RecordDetector",
    "SubjectOption",
    "detector_classes",
    "known_entities",
    "load_detectors",
    "subject_options",
]

DetectorClass = type[Detector] | type[RecordDetector]


def detector_classes(*, skip_missing: bool = False) -> dict[str, DetectorClass]:
    """The installed detector classes by name. A plugin that cannot be imported raises
    PluginError, or is passed over with `skip_missing` (for tools that need only some)."""
    out: dict[str, DetectorClass] = {}
    for name, plugin in plugins(DETECTORS).items():
        try:
            cls = plugin.load()
        except PluginError:
            if skip_missing:
                continue
            raise
        if not (isinstance(cls, type) and issubclass(cls, Detector | RecordDetector)):
            raise PluginError(f"{plugin.label}: {plugin.value} is not a piiscan Detector or RecordDetector")
        out[name] = cls
    return out


def load_detectors(
    entities: Iterable[str] | None = None, names: Iterable[str] | None = None
) -> list[Detector | RecordDetector]:
    """Instances of the installed detectors, optionally only those for `entities`/`names`."""
    wanted_entities = set(entities) if entities is not None else None
    wanted_names = set(names) if names is not None else None
    return [
        cls()
        for name, cls in detector_classes().items()
        if (wanted_names is None or name in wanted_names) and (wanted_entities is None or cls.entity in wanted_entities)
    ]


def known_entities() -> list[str]:
    """The entities the installed detectors find, sorted."""
    return sorted({cls.entity for cls in detector_classes().values()})


def subject_options() -> dict[str, DetectorClass]:
    """`subject find` option name -> the detector class that canonicalises its values, by option
    name; detectors that cannot be imported are passed over (their option is then unknown)."""
    out: dict[str, DetectorClass] = {}
    for cls in detector_classes(skip_missing=True).values():
        option = cls.subject
        if option is None:
            continue
        if option.name in out:
            raise PluginError(
                f"detectors {out[option.name].name} and {cls.name} both answer to subject find --{option.name}"
            )
        out[option.name] = cls
    return dict(sorted(out.items()))
