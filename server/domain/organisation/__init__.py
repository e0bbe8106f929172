"""Organisation administration (SPEC §1, issue 12): users and robots (users.py), teams and queues
(teams.py), companies (companies.py), categories (categories.py), sign-in sessions (sessions.py).
Every change runs in one unit of work with its audit entry; a rejected change writes nothing."""
