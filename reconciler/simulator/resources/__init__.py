"""One module per kind of object the simulated tenant holds: how a stored record is
seeded, rendered and exported, and the endpoint handlers that change it."""
