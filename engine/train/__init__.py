"""Training: the config, the Trainer, gradient-health statistics, checkpoints, the headless runner."""
