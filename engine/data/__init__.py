"""Datasets: the Dataset container, toy generators, loaders for real data files, the batch sampler."""
