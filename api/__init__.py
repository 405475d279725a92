"""The HTTP API and staff web pages (Litestar); they call `registry` for every rule."""
