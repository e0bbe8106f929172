from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

# the items a contact is one of the other contacts of (workItems(filter: {contactIds})), and what
# deleting a contact looks up; the table is the many-to-many's own, outside the models' state
CONTACT_INDEX = 'CREATE INDEX "work_item_contact_contact" ON "work_item_contact" ("contact_id")'


class Migration(migrations.Migration):
    dependencies = [('switchboard', '0015_saved_views')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='WorkItem',
            index=Index(fields=['owner_id'], name='work_item_owner'),
        ),
        ops.AddIndex(
            model_name='WorkItem',
            index=Index(fields=['category_id'], name='work_item_category'),
        ),
        ops.AddIndex(
            model_name='WorkItem',
            index=Index(fields=['primary_contact_id'], name='work_item_primary_contact'),
        ),
        ops.AddIndex(
            model_name='WorkItem',
            index=Index(fields=['created_at'], name='work_item_created_at'),
        ),
        ops.RunSQL(CONTACT_INDEX, reverse_sql='DROP INDEX "work_item_contact_contact"'),
    ]
