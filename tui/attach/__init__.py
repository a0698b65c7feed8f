"""The screen of a PyTorch run watched by ``gradtui.torch``: live (``gradtui attach``) or recorded (``gradtui replay``)."""
