"""Raw text to annotated sentences: :class:`Pipeline` and the :class:`Document` it returns
(:mod:`rnnlab.pipeline.pipeline`, :mod:`rnnlab.pipeline.document`)."""

from rnnlab.pipeline.document import Document, Sentence, Token, Word
from rnnlab.pipeline.pipeline import Lemmatizer, Pipeline

__all__ = ["Document", "Lemmatizer", "Pipeline", "Sentence", "Token", "Word"]
