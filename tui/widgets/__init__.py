"""Pieces both screens share: the half-block canvas, the event log, the help screen, control ladders."""
