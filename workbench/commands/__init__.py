"""One module per ``workbench`` verb; each exposes ``register(subparsers)``."""
