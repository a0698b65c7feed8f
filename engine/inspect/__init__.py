"""Looking inside a trained network: one sample's chain rule in numbers, every layer's
outputs over a set of inputs, and the loss surface around the current weights."""
