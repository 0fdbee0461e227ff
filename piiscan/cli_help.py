"""`--help` with options under headings: the `scan` options grouped by what they are about.

An option joins a heading where it is declared, with one argument of its own decorator:

    @click.option("--sample-rows", ..., cls=in_section(POSTGRES))

Options without a section are listed under "Options"; headings appear in the order their first
option is declared. (click-option-group and cloup group options by declaring them together,
inside or right after a group: an option added at the end of the list could not join an
earlier group. Here it can, and the command stays a plain click command.)
"""

from __future__ import annotations

import functools
from typing import ClassVar

import click

SELECTION = "What is read (every source)"
FILES = "Files (in folders and in buckets)"
BUCKETS = "S3 and GCS (s3://, gs://)"
POSTGRES = "PostgreSQL (postgresql://)"
CI = "CI audits: baselines and what fails the job"


class SectionedOption(click.Option):
    """An option listed under the heading `section` by a `SectionedCommand`'s --help."""

    section: ClassVar[str | None] = None


@functools.cache
def in_section(title: str) -> type[click.Option]:
    """The option class for `cls=` that lists an option under `title`."""
    return type("SectionedOption", (SectionedOption,), {"section": title})


class SectionedCommand(click.Command):
    """A command whose --help lists each option under its section's heading."""

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        sections: dict[str, list[tuple[str, str]]] = {"Options": []}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is not None:
                sections.setdefault(getattr(param, "section", None) or "Options", []).append(record)
        for title, records in sections.items():
            if records:
                with formatter.section(title):
                    formatter.write_dl(records)
