"""gradtui: watch gradients flow, explode, vanish and die, live in the terminal.

The headless engine lives in ``gradtui.engine``; the Textual app in ``gradtui.tui``.
"""

__version__ = "0.1.0"
