"""Connector options: one frozen dataclass per connector, checked when the connector is made."""

from __future__ import annotations

import dataclasses

import pytest

from piiscan.connectors import connector_for
from piiscan.connectors.options import LocalOptions, PostgresOptions, S3Options


def test_a_connector_takes_only_its_own_options() -> None:
    with pytest.raises(TypeError, match=r"^LocalConnector takes LocalOptions, not S3Options$"):
        connector_for("file", S3Options())
    assert connector_for("maildir", None).options == LocalOptions()


def test_options_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        S3Options().versions = True  # type: ignore[misc]


@pytest.mark.parametrize(
    ("options", "sampling"),
    [
        (PostgresOptions(), None),
        (PostgresOptions(sample_rows=10), {"rows": 10}),
        (PostgresOptions(sample_percent=2.5), {"percent": 2.5}),
        (S3Options(), None),
    ],
)
def test_sampling_is_what_the_manifest_says(options: PostgresOptions | S3Options, sampling: dict | None) -> None:
    assert options.sampling == sampling


def test_sample_rows_and_percent_exclude_each_other() -> None:
    with pytest.raises(ValueError, match="choose one of --sample-rows and --sample-percent"):
        PostgresOptions(sample_rows=1, sample_percent=1.0)
