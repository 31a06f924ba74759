"""Models for the four input/output shapes of LECTURE §3, and a language model; the
registry of their kinds and the one way to save and open a model folder
(:mod:`rnnlab.models.registry`)."""

from rnnlab.models.classifier import ClassifierConfig, SentenceClassifier  # noqa: F401
from rnnlab.models.conditional_generator import (  # noqa: F401
    ConditionalGenerator,
    ConditionalGeneratorConfig,
)
from rnnlab.models.folder import resolve_model_dir  # noqa: F401
from rnnlab.models.language_model import (  # noqa: F401
    LanguageModel,
    LanguageModelConfig,
    LanguageModelScore,
)
from rnnlab.models.registry import (  # noqa: F401
    KINDS,
    ModelKind,
    kind_of,
    model_kind,
    open_model_dir,
    save_model_dir,
)
from rnnlab.models.seq2seq import Seq2Seq, Seq2SeqConfig  # noqa: F401
from rnnlab.models.tagger import TaggedWord, Tagger, TaggerConfig  # noqa: F401

load_model = open_model_dir  # the name rnnlab 0.1.0 gave it
