"""HTTP benchmarks: the three-task scenario against a live server, one client with keep-alive."""
