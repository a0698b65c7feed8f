"""gradtui.live: what a watched run and its viewers share, without PyTorch or Textual.

The wire format (``protocol``), where runs announce themselves (``rundir``), the run's
record as JSON Lines (``record``) and the watcher's side of the socket (``server``).
"""
