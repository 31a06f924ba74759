"""Models for the four input/output shapes of LECTURE §3, and a language model."""

from rnnlab.models.classifier import ClassifierConfig, SentenceClassifier  # noqa: F401
from rnnlab.models.conditional_generator import (  # noqa: F401
    ConditionalGenerator,
    ConditionalGeneratorConfig,
)
from rnnlab.models.language_model import (  # noqa: F401
    LanguageModel,
    LanguageModelConfig,
    LanguageModelScore,
)
from rnnlab.models.loading import load_model  # noqa: F401
from rnnlab.models.seq2seq import Seq2Seq, Seq2SeqConfig  # noqa: F401
from rnnlab.models.tagger import TaggedWord, Tagger, TaggerConfig  # noqa: F401
