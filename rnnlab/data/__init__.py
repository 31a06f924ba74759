"""Data loading for rnnlab."""
