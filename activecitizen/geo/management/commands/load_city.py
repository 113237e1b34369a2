"""`manage.py load_city FILE [FILE2]`: create or update okrugs and districts from files."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from activecitizen.core.errors import InvalidInput
from activecitizen.geo.loading import CSV_COLUMNS
from activecitizen.geo.services import load_city


def _csv_columns_help() -> str:
    return "; ".join(
        f"{column}{'' if required else ' (optional)'}: {what}"
        for column, (required, what) in CSV_COLUMNS.items()
    )


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]
        # A property, so that the text is translated when shown, not when imported.
        return _(
            "Create or update okrugs and districts, matched by code, from a GeoJSON "
            "FeatureCollection of districts whose properties name the okrug (NAME, OKATO, "
            "NAME_AO, OKATO_AO, ABBREV_AO, TYPE_MO; optional NAME_EN, NAME_AO_EN), optionally "
            "with a second GeoJSON of okrugs (NAME, OKATO, ABBREV), or from a CSV with one "
            "district a row. Bad input changes nothing. CSV columns: %(columns)s."
        ) % {"columns": _csv_columns_help()}

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help=gettext_lazy("districts: .geojson or .csv"))
        parser.add_argument(
            "second_file",
            type=Path,
            nargs="?",
            help=gettext_lazy("okrugs with their boundaries (.geojson), optional"),
        )
        parser.add_argument(
            "--format",
            choices=["csv", "geojson"],
            help=gettext_lazy("the files' format when their names do not tell it"),
        )
        parser.add_argument(
            "--names-en",
            type=Path,
            help=gettext_lazy("a CSV with the columns okato, name_en: English names by code"),
        )

    def handle(self, *args, **options) -> None:
        try:
            report = load_city(
                path=options["file"],
                okrugs_path=options["second_file"],
                file_format=options["format"],
                names_en_path=options["names_en"],
            )
        except InvalidInput as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(
            _("Okrugs: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
            % {
                "created": report.okrugs_created,
                "updated": report.okrugs_updated,
                "unchanged": report.okrugs_unchanged,
            }
        )
        self.stdout.write(
            _("Districts: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
            % {
                "created": report.districts_created,
                "updated": report.districts_updated,
                "unchanged": report.districts_unchanged,
            }
        )
