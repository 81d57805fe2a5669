"""Clients for systems outside Auttamo. Each takes an injected `httpx.Client` so tests fake the
partner at the network edge with `httpx.MockTransport`."""
