from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import NotificationKind
from tortoise import fields

# FOLLOWED_ITEM_CHANGED: the followers of a changed item are notified (server/domain/search/following.py);
# the kind is a plain VARCHAR(32) column, so only the models' recorded state changes


class Migration(migrations.Migration):
    dependencies = [('switchboard', '0018_full_text')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Notification',
            name='kind',
            field=fields.CharEnumField(description='ASSIGNED: ASSIGNED\nNEW_INFORMATION: NEW_INFORMATION\nBACK_FROM_WAITING: BACK_FROM_WAITING\nDUE_NEAR: DUE_NEAR\nDUE_MISSED: DUE_MISSED\nPEER_REVIEW_REQUESTED: PEER_REVIEW_REQUESTED\nPEER_REVIEW_FAILED: PEER_REVIEW_FAILED\nCASE_NEEDS_ATTENTION: CASE_NEEDS_ATTENTION\nMENTION: MENTION\nFOLLOWED_ITEM_CHANGED: FOLLOWED_ITEM_CHANGED', enum_type=NotificationKind, max_length=32),
        ),
    ]
