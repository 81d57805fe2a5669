"""Load, scale-out and crash-safety harness: `auttamo serve` / `auttamo worker` as real processes,
a small httpx load client, and the figures for the README (python -m bench.load.run)."""
