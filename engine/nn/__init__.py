"""Neural-network building blocks: parameters, activations, init schemes, the MLP, losses, gradcheck."""
