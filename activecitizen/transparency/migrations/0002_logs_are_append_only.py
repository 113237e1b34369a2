"""Invariant 2 for the logs: sealed entries, subtree hashes and signed checkpoints are never
updated or deleted, and a log never shrinks. On PostgreSQL triggers refuse it whoever asks;
TRUNCATE, which only tests use to empty tables, fires no row trigger."""

from django.db import migrations

APPEND_ONLY = ("transparency_entry", "transparency_node", "transparency_checkpoint")

CREATE = """
CREATE OR REPLACE FUNCTION transparency_is_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION USING
    MESSAGE = TG_TABLE_NAME || ' rows are never updated or deleted',
    ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION transparency_log_only_grows() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' OR NEW.size < OLD.size OR NEW.origin <> OLD.origin THEN
    RAISE EXCEPTION USING
      MESSAGE = 'a transparency log is never deleted, renamed or shrunk (' || OLD.origin || ')',
      ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER transparency_log_only_grows
  BEFORE UPDATE OR DELETE ON transparency_log
  FOR EACH ROW EXECUTE FUNCTION transparency_log_only_grows();
""" + "".join(
    f"""
CREATE TRIGGER {table}_append_only
  BEFORE UPDATE OR DELETE ON {table}
  FOR EACH ROW EXECUTE FUNCTION transparency_is_append_only();
"""
    for table in APPEND_ONLY
)

DROP = "".join(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};\n" for table in APPEND_ONLY) + """
DROP TRIGGER IF EXISTS transparency_log_only_grows ON transparency_log;
DROP FUNCTION IF EXISTS transparency_log_only_grows();
DROP FUNCTION IF EXISTS transparency_is_append_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("transparency", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
