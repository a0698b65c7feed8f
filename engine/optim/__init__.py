"""Optimizers (SGD, momentum, Nesterov, RMSprop, Adam) and gradient clipping."""
