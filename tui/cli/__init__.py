"""The ``gradtui`` command line: argument parsing, TOML configs, export writers (``main.main`` is the entry point)."""
