"""Seed the phrase library with Shuping's default wording (shuping.speeches.phrases.DEFAULT_PHRASES)."""

from django.db import migrations


def seed(apps, schema_editor):
    from shuping.speeches.phrases import load_default_phrases

    load_default_phrases(apps.get_model("speeches", "Phrase"))


class Migration(migrations.Migration):
    dependencies = [("speeches", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
