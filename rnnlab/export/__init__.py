"""Trained models written for other runtimes: ONNX (:mod:`rnnlab.export.onnx`).

This package sits above :mod:`rnnlab.models`: it reads the models and the registry of
model kinds (:mod:`rnnlab.models.registry`), and nothing below it imports it.
"""
