"""Imports from .xlsx sheets (SPEC §7, issue 12): reading a sheet and building a kind's template
(sheets.py), and the jobs that import a sheet's rows in the background (jobs.py)."""
