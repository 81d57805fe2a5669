"""Bounds on submitted data. Form input is hostile: these keep validation cheap and recursion shallow."""

from __future__ import annotations

# Characters allowed in any one string (values and keys). Long free-text notes fit well under it.
MAX_STRING = 100_000
# Containers nested deeper than this are refused; real forms nest three or four levels.
MAX_DEPTH = 20
# Scalars + containers in one submission; a form with thousands of values is an attack, not a case.
MAX_VALUES = 10_000
