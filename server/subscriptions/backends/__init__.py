"""Broadcast backends; each imported only when its URL scheme is chosen."""
