"""Tortoise models of Switchboard, one module per aggregate, registered as the `switchboard` app.

Models are described with comments, not docstrings: Tortoise turns a model docstring into a table
comment, and its migration runner splits SQL on ";", so a docstring with a semicolon breaks it.
"""

APP_LABEL = "switchboard"
MODEL_MODULES = [
    "models.org",
    "models.contact",
    "models.auth",
    "models.case_flow",
    "models.work_item",
    "models.timeline",
    "models.email",
    "models.notification",
    "models.event",
    "models.item_viewer",
    "models.presence",
    "models.audit",
    "models.session",
    "models.portal",
    "models.finding",
    "models.imports",
]
MIGRATIONS_MODULE = "models.migrations"
