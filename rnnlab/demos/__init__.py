"""The lecture's experiments, one module each, run by ``rnnlab demo NAME``.

* :mod:`~rnnlab.demos.addition` — LECTURE §1: binary/decimal addition, the carry in h(t);
* :mod:`~rnnlab.demos.gradients` — LECTURE §5: vanishing and exploding gradients;
* :mod:`~rnnlab.demos.agreement` — LECTURE §5: "the cat(s) … was/were" over a clause;
* :mod:`~rnnlab.demos.gates` — LECTURE §6: what an LSTM's gates do on a trained model.

Each exposes a config dataclass and ``run_<name>(config) -> DemoReport``; the data
generators live beside them (``addition_data``, ``agreement_data``) and the figures share
:mod:`~rnnlab.demos.plotting`.
"""
