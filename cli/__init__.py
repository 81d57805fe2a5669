"""The `auttamo` command line."""
