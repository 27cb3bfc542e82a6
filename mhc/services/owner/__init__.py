"""The owner's own numbers: the Hudson dashboard and broadcasts."""
