from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('switchboard', '0007_presence')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ItemViewer',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('work_item', fields.ForeignKeyField('switchboard.WorkItem', source_field='work_item_id', db_constraint=True, to_field='id', related_name='open_by', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('switchboard.User', source_field='user_id', db_constraint=True, to_field='id', related_name='open_items', on_delete=OnDelete.CASCADE)),
                ('process_id', fields.CharField(max_length=64)),
                ('key', fields.CharField(unique=True, max_length=128)),
                ('editing', fields.BooleanField(default=False)),
                ('opened_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'item_viewer', 'app': 'switchboard', 'indexes': [Index(fields=['work_item_id', 'user_id'], name='item_viewer_item_user'), Index(fields=['process_id'], name='item_viewer_process'), Index(fields=['seen_at'], name='item_viewer_seen')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
