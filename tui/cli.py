"""The ``gradtui`` command line (placeholder until the app lands)."""


def main() -> int:
    print("gradtui: coming soon")
    return 0
