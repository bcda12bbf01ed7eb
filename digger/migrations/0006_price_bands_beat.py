"""Creates the daily beat entry that recomputes fair-price bands (idempotent), like 0002 for runs and digests."""
from django.db import migrations

NAME = "digger: compute price bands"


def create(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    schedule, _ = IntervalSchedule.objects.get_or_create(every=1, period="days")
    PeriodicTask.objects.get_or_create(name=NAME, defaults={"task": "digger.tasks.compute_price_bands",
                                                           "interval": schedule, "enabled": True})


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("digger", "0005_alert_channel_push"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create, remove)]
