"""Invariant 2: a ballot, once written, is never updated or deleted. On PostgreSQL a trigger
refuses it whoever asks (the admin, a script, a mistaken migration); TRUNCATE, which only
tests use to empty tables, fires no row trigger."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION polls_ballot_is_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION USING
    MESSAGE = 'ballots are never updated or deleted (ballot ' || OLD.public_id || ')',
    ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER polls_ballot_append_only
  BEFORE UPDATE OR DELETE ON polls_ballot
  FOR EACH ROW EXECUTE FUNCTION polls_ballot_is_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS polls_ballot_append_only ON polls_ballot;
DROP FUNCTION IF EXISTS polls_ballot_is_append_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("polls", "0002_assist_voting_permission")]

    operations = [migrations.RunPython(create, drop)]
