"""Creating work items in bulk from an .xlsx sheet (SPEC §8; seed 000 names the feature and an
appendix of its validation errors in its table of contents, without their text): one row is one
work item, made through the same actions as the API's createWorkItem → submitWorkItem →
assignWorkItem (server/domain/work_items.py, server/domain/lifecycle), so every rule, timeline
entry and event is the same as by hand. A row the rules refuse is reported with its column and
reason and leaves nothing (the import job's savepoint: server/domain/imports/jobs.py).

What a row means:
- Type (TICKET, CASE or ACTION; also in the template's languages) and Title are mandatory.
- Every item is submitted: TO_DO in its queue with its due date, so a ticket needs what submit
  needs (description, category, primary contact, requester) and a row lacking them is refused,
  naming them. Assignee (an employee's email): assigned as assignWorkItem does (the importer's own
  email: they start work on it); a department that takes assignees only from its staff refuses
  anyone else.
- Department, Queue, Category and Case type by name, ignoring case; only the departments (and their
  queues) the importer may create work in are found — any other answers like one that does not
  exist. A blank department is the importer's default one (as for createWorkItem); with a queue
  named and no department, the department of that queue.
- Contacts by email, among the contacts of the job's mode (test or live); Other contacts separated
  by commas or semicolons; contacts of two companies on one item are refused, as by hand.
  Owner (a case's) and Assignee by email among the employees the importer's directory shows.
- Priority: LOW, NORMAL, HIGH or URGENT (or the template's translations). Due date: a date, or a
  date and time (UTC), within a year — the item's SLA override, so it is due then (a date alone:
  by the end of that day), to the hour. Custom data: a JSON object of key → text, number,
  boolean or null.
- ACTION: an action is started on a case (the Case column: its reference) by someone who manages
  that case, as startAction does; it takes Title, Queue (of the case's department) and Assignee,
  and a row giving it anything else is refused.
- testMode: the items are test-mode items, with test-mode contacts only.

Who may import: whoever may create work items — employees with a department to create in, and
read-write API keys (which start no actions: those are a person's).

The package: `cells` (the sheet's columns and what a cell says), `lookups` (names and emails to
the ids the importer may use), `importer` (one row: the rules and the actions; the IMPORTER
jobs.KINDS names).
"""
