"""``python manage.py siqaco_index ROOT --catalogue CAT.sqlite``: index an archive with
siqaco (incrementally) and store its per-day statistics through the Django ORM.

Running it again updates the rows of the days that changed; it never duplicates a row.
"""

import datetime as dt

import siqaco
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from archive_stats.models import DayStatistics

FIELDS = ("percent_availability", "num_gaps", "sum_gaps", "max_gap", "num_overlaps", "sum_overlaps", "max_overlap")


class Command(BaseCommand):
    help = "Index a miniSEED archive with siqaco and store per-day statistics."

    def add_arguments(self, parser):
        parser.add_argument("root", help="archive root")
        parser.add_argument("--catalogue", required=True, help="siqaco tsindex catalogue (SQLite)")
        parser.add_argument("--layout", default="sds")
        parser.add_argument("--select", action="append", default=None, help="NET.STA.LOC.CHA globs")

    def handle(self, root, catalogue, layout, select, **options):
        try:
            counts = siqaco.index(root, catalogue, layout=layout)
            report = siqaco.stats(catalogue, select=select, per_day=True)
        except (siqaco.SiqacoError, OSError) as e:
            raise CommandError(str(e)) from e
        n = 0
        with transaction.atomic():
            for stream in report.streams:
                for day in stream["days"]:
                    DayStatistics.objects.update_or_create(
                        nslc=stream["nslc"],
                        date=dt.date.fromisoformat(day["date"]),
                        defaults={f: day[f] for f in FIELDS},
                    )
                    n += 1
        self.stdout.write(
            f"indexed {counts['files_indexed']} file(s) ({counts['files_unchanged']} unchanged); "
            f"stored {n} stream-day(s)"
        )
