"""Ballots are queued in their poll's transparency log, which the tally now seals and folds in
one step; the separate tally queue goes.

Every ballot already stored is queued in its poll's log, oldest first, so that the log holds
every ballot (invariant 3): those still waiting in the old queue are folded into the counts when
sealed, those already counted are sealed without being counted twice (`fold` false).
"""

from django.conf import settings
from django.db import migrations


def queue_every_ballot(apps, schema_editor):
    Ballot = apps.get_model("polls", "Ballot")
    PendingTally = apps.get_model("polls", "PendingTally")
    Log = apps.get_model("transparency", "Log")
    QueuedEntry = apps.get_model("transparency", "QueuedEntry")
    waiting = set(PendingTally.objects.values_list("ballot_id", flat=True))
    poll_ids = Ballot.objects.values_list("poll_id", flat=True).distinct().order_by("poll_id")
    for poll_id in list(poll_ids):
        log, _created = Log.objects.get_or_create(
            origin=f"{settings.TRANSPARENCY_ORIGIN_PREFIX}/poll/{poll_id}",
            defaults={"origin_id": f"poll-{poll_id}", "kind": "poll"},
        )
        batch = []
        ballots = Ballot.objects.filter(poll_id=poll_id).order_by("pk")
        for pk, content, cast_at in ballots.values_list("pk", "content", "cast_at").iterator():
            batch.append(
                QueuedEntry(
                    log_id=log.pk,
                    data=content.encode(),
                    ref=pk,
                    queued_at=cast_at,
                    fold=pk in waiting,
                )
            )
            if len(batch) >= 5000:
                QueuedEntry.objects.bulk_create(batch)
                batch = []
        QueuedEntry.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("polls", "0004_lean_indexes"),
        ("transparency", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(queue_every_ballot, migrations.RunPython.noop, elidable=True),
        migrations.DeleteModel(name="PendingTally"),
    ]
