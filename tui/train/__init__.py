"""The training screen: the session driving the Trainer, its history, and the panes that show it."""
