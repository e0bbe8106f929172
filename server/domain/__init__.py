"""Business rules, independent of GraphQL: the API, the mail pipeline and the scheduler all call these."""
