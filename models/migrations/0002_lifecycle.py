from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.enums import ActionKind, ReviewOutcome, ReviewStage, TimelineKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('switchboard', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CaseType',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'case_type', 'app': 'switchboard', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CaseStep',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case_type', fields.ForeignKeyField('switchboard.CaseType', source_field='case_type_id', db_constraint=True, to_field='id', related_name='steps', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
                ('name', fields.CharField(max_length=200)),
            ],
            options={'table': 'case_step', 'app': 'switchboard', 'unique_together': (('case_type', 'position'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ActionTemplate',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('step', fields.ForeignKeyField('switchboard.CaseStep', source_field='step_id', db_constraint=True, to_field='id', related_name='actions', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField(default=1)),
                ('title', fields.CharField(max_length=500)),
                ('kind', fields.CharEnumField(default=ActionKind.MANUAL, description='MANUAL: MANUAL\nAPPROVAL: APPROVAL\nPEER_REVIEW: PEER_REVIEW\nWAIT_FOR_SUB_CASES: WAIT_FOR_SUB_CASES\nSTART_CASE: START_CASE', enum_type=ActionKind, max_length=32)),
                ('queue', fields.ForeignKeyField('switchboard.Queue', source_field='queue_id', null=True, db_constraint=True, to_field='id', related_name='action_templates', on_delete=OnDelete.SET_NULL)),
                ('sub_case_type', fields.ForeignKeyField('switchboard.CaseType', source_field='sub_case_type_id', null=True, db_constraint=True, to_field='id', related_name='started_by_templates', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'action_template', 'app': 'switchboard', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='TimelineEntry',
            name='kind',
            field=fields.CharEnumField(description='INITIAL_DESCRIPTION: INITIAL_DESCRIPTION\nNOTE: NOTE\nEMAIL_IN: EMAIL_IN\nEMAIL_OUT: EMAIL_OUT\nEMAIL_SCHEDULED: EMAIL_SCHEDULED\nEMAIL_CANCELLED: EMAIL_CANCELLED\nEMAIL_FAILED: EMAIL_FAILED\nPHONE_CALL: PHONE_CALL\nLETTER: LETTER\nPORTAL_MESSAGE: PORTAL_MESSAGE\nCREATED: CREATED\nSUBMITTED: SUBMITTED\nSTATUS_CHANGED: STATUS_CHANGED\nASSIGNED: ASSIGNED\nQUEUE_CHANGED: QUEUE_CHANGED\nDEPARTMENT_CHANGED: DEPARTMENT_CHANGED\nDUE_MISSED: DUE_MISSED\nPEER_REVIEW: PEER_REVIEW\nCASE_PROBLEM: CASE_PROBLEM\nLINKED: LINKED\nUNLINKED: UNLINKED\nMERGED: MERGED\nSPLIT: SPLIT\nCASE_STARTED: CASE_STARTED\nACTION_STARTED: ACTION_STARTED\nCASE_REWORKED: CASE_REWORKED\nFIELDS_CHANGED: FIELDS_CHANGED', enum_type=TimelineKind, max_length=32),
        ),
        ops.RenameField(
            model_name='WorkItem',
            old_name='follow_up_at',
            new_name='wait_until',
        ),
        ops.AddField(
            model_name='WorkItem',
            name='action_kind',
            field=fields.CharEnumField(null=True, description='MANUAL: MANUAL\nAPPROVAL: APPROVAL\nPEER_REVIEW: PEER_REVIEW\nWAIT_FOR_SUB_CASES: WAIT_FOR_SUB_CASES\nSTART_CASE: START_CASE', enum_type=ActionKind, max_length=32),
        ),
        ops.AddField(
            model_name='WorkItem',
            name='action_template',
            field=fields.ForeignKeyField('switchboard.ActionTemplate', source_field='action_template_id', null=True, db_constraint=True, to_field='id', related_name='actions', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='WorkItem',
            name='case_type',
            field=fields.ForeignKeyField('switchboard.CaseType', source_field='case_type_id', null=True, db_constraint=True, to_field='id', related_name='cases', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='WorkItem',
            name='checklist',
            field=fields.JSONField(default=list, db_default='[]', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='WorkItem',
            name='current_step',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='WorkItem',
            name='doer',
            field=fields.ForeignKeyField('switchboard.User', source_field='doer_id', null=True, db_constraint=True, to_field='id', related_name='actions_done', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='WorkItem',
            name='human_only',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='WorkItem',
            name='problem',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='WorkItem',
            name='review_outcome',
            field=fields.CharEnumField(null=True, description='PASS: PASS\nFAIL: FAIL\nUNABLE: UNABLE', enum_type=ReviewOutcome, max_length=16),
        ),
        ops.AddField(
            model_name='WorkItem',
            name='review_stage',
            field=fields.CharEnumField(null=True, description='DOING: DOING\nREVIEWING: REVIEWING', enum_type=ReviewStage, max_length=16),
        ),
        ops.AddField(
            model_name='WorkItem',
            name='reviewer',
            field=fields.ForeignKeyField('switchboard.User', source_field='reviewer_id', null=True, db_constraint=True, to_field='id', related_name='actions_reviewed', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='WorkItem',
            name='step',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='WorkItem',
            name='due_missed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='WorkItem',
            index=Index(fields=['status', 'wait_until'], name='work_item_status_wait_until'),
        ),
        ops.AddIndex(
            model_name='WorkItem',
            index=Index(fields=['status', 'feedback_until'], name='work_item_status_feedback_until'),
        ),
        ops.AddIndex(
            model_name='WorkItem',
            index=Index(fields=['merged_into_id'], name='work_item_merged_into'),
        ),
        ops.AddIndex(
            model_name='WorkItem',
            index=Index(fields=['origin_id'], name='work_item_origin'),
        ),
    ]
