"""GraphQL over HTTP: the request bounds (body size, query-string size, body deadline), the
GraphQL view (media types, status codes, JSON error bodies) and the uvicorn server built from the
settings (timeouts, connection limit, header deadline)."""
