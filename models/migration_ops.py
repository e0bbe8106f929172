"""Migration operations that never rebuild a table.

Tortoise's SQLite schema editor carries out RemoveField and AlterField by rebuilding the table
(create a copy, copy the rows, DROP the original, rename). With foreign keys enforced, dropping
the original runs its ON DELETE actions: rebuilding `work_item` deletes every timeline entry
(CASCADE), rebuilding `mailbox` or `smtp_connector` empties the references to them (SET NULL).
Measured on this stack by tests/test_timeline_data_migration.py. Use these instead on any table
other tables point at:

- `DropColumn`: RemoveField that drops the column in place (ALTER TABLE … DROP COLUMN; SQLite
  3.35+ and PostgreSQL), for a column no index, constraint or foreign key uses;
- `AlterFieldState`: AlterField for a change the database does not see (an enum gaining a value
  in a CharEnumField of the same length, a description): the migration state moves on, the
  table is left alone.
"""

from __future__ import annotations

from tortoise.migrations import operations as ops


class DropColumn(ops.RemoveField):
    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if not state_editor:
            return
        model = old_state.apps.get_model(f"{app_label}.{self.model_name}")
        field = model._meta.fields_map[self.name]
        column = field.source_field or field.model_field_name
        await state_editor.client.execute_script(f'ALTER TABLE "{model._meta.db_table}" DROP COLUMN "{column}"')


class AlterFieldState(ops.AlterField):
    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None
