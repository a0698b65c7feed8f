"""gradtui.tui: the Textual app and the ``gradtui`` command line."""
