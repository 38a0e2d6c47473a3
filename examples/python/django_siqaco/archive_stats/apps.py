from django.apps import AppConfig


class ArchiveStatsConfig(AppConfig):
    name = "archive_stats"
    default_auto_field = "django.db.models.BigAutoField"
