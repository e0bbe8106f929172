from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('switchboard', '0004_timeline_data_keys')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SignInThrottle',
            fields=[
                ('key', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=400)),
                ('failures', fields.IntField(default=0)),
                ('last_attempt_ms', fields.BigIntField()),
                ('blocked_until_ms', fields.BigIntField(default=0)),
            ],
            options={'table': 'sign_in_throttle', 'app': 'switchboard', 'pk_attr': 'key'},
            bases=['Model'],
        ),
        ops.DeleteModel(name='LoginThrottle'),
    ]
