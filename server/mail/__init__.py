"""Mail: addresses now; parsing, IMAP ingestion, SMTP sending and the outbox as they land."""
