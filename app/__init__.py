"""Settings, wiring (the composition root) and the `closer` command line."""
