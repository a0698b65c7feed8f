"""Curvature of the training loss: exact Hessian-vector products and what is built on them
(top eigenvalues, trace, spectra, the lr range test, the gradient noise scale)."""
