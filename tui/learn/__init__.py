"""gradtui learn: the course."""
