"""Per-process Python: the lane->role map, service-task handlers, script helpers, code lists.

BPMN files live in `bpmn/`; this package holds the code that gives them meaning.
"""
