"""Per-stream, per-UTC-day statistics of an archive, as siqaco computes them (MUSTANG
names; see docs/gaps.md of siqaco)."""

from django.db import models


class DayStatistics(models.Model):
    nslc = models.CharField(max_length=64)
    date = models.DateField()
    percent_availability = models.FloatField()
    num_gaps = models.IntegerField()
    sum_gaps = models.FloatField()
    max_gap = models.FloatField()
    num_overlaps = models.IntegerField()
    sum_overlaps = models.FloatField()
    max_overlap = models.FloatField()
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["nslc", "date"], name="one_row_per_stream_day")]
        ordering = ["nslc", "date"]

    def __str__(self) -> str:
        return f"{self.nslc} {self.date}: {self.percent_availability:.4f} %"
