"""The network view: every neuron's picture, the weights between layers, one sample's
chain rule in numbers (the neuron inspector), and the loss surface around the weights."""
