from typing import Any

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


async def start_sequence(apps: Any, schema_editor: Any) -> None:
    # cursors continue after the events already logged; those keep their ids (written before
    # cursors were in commit order, they are older than any client's cursor that matters)
    client = schema_editor.client
    record = apps.get_model("switchboard", "EventRecord")
    sequence = apps.get_model("switchboard", "EventSequence")
    last = await record.all().using_db(client).order_by("-id").first().values_list("id", flat=True)
    await sequence.create(id=1, last_id=last or 0, pruned_through=0, using_db=client)


class Migration(migrations.Migration):
    dependencies = [('switchboard', '0005_sign_in_throttle')]

    initial = False

    operations = [
        ops.CreateModel(
            name='EventSequence',
            fields=[
                ('id', fields.IntField(primary_key=True, unique=True, db_index=True)),
                ('last_id', fields.BigIntField()),
                ('pruned_through', fields.BigIntField(default=0)),
            ],
            options={'table': 'event_sequence', 'app': 'switchboard', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='EventChannel',
            fields=[
                ('id', fields.BigIntField(primary_key=True, unique=True, db_index=True)),
                ('channel', fields.CharField(max_length=96)),
                ('event_id', fields.BigIntField()),
            ],
            options={'table': 'event_channel', 'app': 'switchboard', 'indexes': [Index(fields=['channel', 'event_id'], name='event_channel_channel_event')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.RunPython(start_sequence, ops.RunPython.noop),
    ]
