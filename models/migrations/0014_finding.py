from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('switchboard', '0013_portal')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RecentWorkItem',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('work_item', fields.ForeignKeyField('switchboard.WorkItem', source_field='work_item_id', db_constraint=True, to_field='id', related_name='recent_by', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('switchboard.User', source_field='user_id', db_constraint=True, to_field='id', related_name='recent_items', on_delete=OnDelete.CASCADE)),
                ('opened_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'recent_work_item', 'app': 'switchboard', 'unique_together': (('user_id', 'work_item_id'),), 'indexes': [Index(fields=['user_id', 'opened_at'], name='recent_work_item_user_opened')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WorkItemFollower',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('work_item', fields.ForeignKeyField('switchboard.WorkItem', source_field='work_item_id', db_constraint=True, to_field='id', related_name='followers', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('switchboard.User', source_field='user_id', db_constraint=True, to_field='id', related_name='followed_items', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'work_item_follower', 'app': 'switchboard', 'unique_together': (('user_id', 'work_item_id'),), 'indexes': [Index(fields=['work_item_id'], name='work_item_follower_item')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
