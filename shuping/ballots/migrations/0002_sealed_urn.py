"""The sealed urn (封箱即混洗): encrypted ballots while the box is open, receipts kept apart from ballots.

Existing boxes each get their own random urn key name (a default would give every existing row the same
one); existing receipts move to BallotReceipt before the column leaves Ballot.
"""

import secrets
import uuid

import django.db.models.deletion
from django.db import migrations, models

import shuping.ballots.codes


def name_keys(apps, schema_editor):
    BallotBox = apps.get_model("ballots", "BallotBox")
    for box in BallotBox.objects.all().only("pk"):
        BallotBox.objects.filter(pk=box.pk).update(urn_key_id=secrets.token_hex(16))


def move_receipts(apps, schema_editor):
    Ballot = apps.get_model("ballots", "Ballot")
    BallotReceipt = apps.get_model("ballots", "BallotReceipt")
    rows = list(Ballot.objects.values_list("box_id", "receipt"))
    secrets.SystemRandom().shuffle(rows)
    BallotReceipt.objects.bulk_create([BallotReceipt(id=uuid.uuid4(), box_id=b, receipt=r) for b, r in rows],
                                      batch_size=2000)


def restore_receipts(apps, schema_editor):
    raise RuntimeError("不能回退：回执码已与选票分开保存，无法再对应到各张选票")


class Migration(migrations.Migration):

    dependencies = [
        ("ballots", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="ballotbox",
            name="urn_key_id",
            field=models.CharField(default=shuping.ballots.codes.new_key_id, editable=False, max_length=32),
        ),
        migrations.AddField(
            model_name="ballotbox",
            name="retired_key_id",
            field=models.CharField(blank=True, default="", editable=False, max_length=32),
        ),
        migrations.RunPython(name_keys, migrations.RunPython.noop),
        migrations.CreateModel(
            name="EncryptedBallot",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("key_id", models.CharField(max_length=32)),
                ("blob", models.BinaryField()),
                ("box", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="urn",
                                          to="ballots.ballotbox")),
            ],
        ),
        migrations.CreateModel(
            name="BallotReceipt",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("receipt", models.CharField(max_length=12)),
                ("box", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="receipts",
                                          to="ballots.ballotbox")),
            ],
        ),
        migrations.RunPython(move_receipts, restore_receipts),
        migrations.RemoveField(model_name="ballot", name="receipt"),
    ]
