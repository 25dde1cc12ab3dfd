"""Local servers that answer like the real services, for tests on loopback."""
