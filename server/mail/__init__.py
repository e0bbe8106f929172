"""Mail: addresses; outgoing messages (composing) and their SMTP transport (smtp); parsing,
IMAP ingestion and the outbox as they land."""
