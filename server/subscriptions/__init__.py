"""Live updates: typed events, the event bus, broadcast backends and the subscription generators."""
