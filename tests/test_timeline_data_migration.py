"""Migration 0004 rewrites timeline entry data written before it in the API's words (camelCase
keys, ids as strings with names next to them), on a database that holds such rows."""

from __future__ import annotations

from tests.support.migration_probe import run_in_fresh_database


async def test_old_timeline_data_becomes_camel_case_with_names(backend, tmp_path):
    out = await run_in_fresh_database(backend, tmp_path, "tests.support.timeline_data_probe")
    user, queue, department = out["ids"]["user"], out["ids"]["queue"], out["ids"]["department"]
    assert out["entries"] == [
        ["ASSIGNED", {"fromUserId": None, "fromUserName": None, "toUserId": user, "toUserName": "Jane Cooper"}],
        ["STATUS_CHANGED", {"from": "IN_PROGRESS", "to": "WAITING", "waitType": "MORE_INFO", "resolutionMethod": None}],
        ["SUBMITTED", {"from": "DRAFT", "to": "TO_DO", "queueId": queue, "queueName": "Team A queue",
                       "dueAt": "2026-01-02T00:00:00+00:00"}],
        ["QUEUE_CHANGED", {"fromQueueId": None, "fromQueueName": None, "toQueueId": queue, "toQueueName": "Team A queue"}],
        ["DEPARTMENT_CHANGED", {"fromDepartmentId": department, "fromDepartmentName": "UK Operations",
                                "toDepartmentId": department, "toDepartmentName": "UK Operations",
                                "fromQueueId": queue, "fromQueueName": "Team A queue", "toQueueId": None, "toQueueName": None}],
        # a user who no longer exists keeps the id, with no name
        ["PEER_REVIEW", {"stage": "IN_PEER_REVIEW", "doerId": user, "doerName": "Jane Cooper", "reviewerId": "999",
                         "reviewerName": None}],
        ["NOTE", {"mentions": [{"userId": user, "userName": "Jane Cooper"}], "copiedFrom": "T-0"}],
        ["EMAIL_SHARED", {"sharedFrom": "T-0", "emailId": "7", "direction": "OUTBOUND"}],
        ["LINKED", {"other": "T-0", "otherType": "TICKET"}],
        ["ASSIGNED", {"fromUserId": "1", "fromUserName": "Kept as written", "toUserId": None, "toUserName": None}],
    ]
