"""One module per task: how a model is trained, resumed and evaluated, without the CLI.

Each task module (``classification``, ``tagging``, …) has the same shape:

* a config dataclass with ``data``, ``model`` and ``loop`` sections (the loop section a
  :class:`~rnnlab.training.TrainerConfig`); data-file fields carry
  ``metadata=DATA_PATH``;
* ``prepare(config.data, …)`` reads the data and builds what training needs (a
  prepared-data object);
* ``train(run_dir, config, *, resume=False, overwrite=False, overrides=LoopOverrides())``
  opens the run with :meth:`~rnnlab.training.run_folder.RunFolder.session` (the run-folder
  rules; the data read before anything is written; a new run that fails before its first
  checkpoint undone), builds the model and the :class:`~rnnlab.training.Trainer` — only
  task modules construct one — and returns a result holding the best model, its dev
  evaluation and the :class:`~rnnlab.training.run_folder.TrainOutcome`;
* ``evaluate(model, data)`` scores a model and returns a report.

The command-line handlers turn flags into a config, call the task and print the result.
"""
