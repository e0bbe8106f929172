"""Thin resolvers: parse input, call the domain, map the result. They never write to the ORM."""
