"""The run layer: one training run driven by typed commands, shown as frames and events.

Headless (NumPy and the engine only): the app, ``gradtui run``, twin mode and the lessons
drive runs through it; a screen only reads the ``Frame`` s and ``Event`` s it sends.
"""
