"""Load benchmarks of the HTTP API, and of Datasette, on a synthetic registry (`bench.run`)."""
