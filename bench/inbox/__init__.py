"""Inbox benchmarks: the inbox page and GET /api/v1/tasks over 1,000,000 task rows."""
