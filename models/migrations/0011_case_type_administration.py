from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('switchboard', '0010_audit_log')]

    initial = False

    operations = [
        ops.AddField(
            model_name='CaseType',
            name='active',
            field=fields.BooleanField(default=True),
        ),
        ops.AddField(
            model_name='CaseType',
            name='description',
            field=fields.TextField(null=True, unique=False),
        ),
    ]
