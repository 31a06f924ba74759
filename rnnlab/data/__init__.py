"""Data loading for rnnlab: vocabularies, dataset readers, tokenizers and batching."""

from rnnlab.data.batching import batch_by_tokens, bucket_batches, pad_sequences
from rnnlab.data.conllu_io import (
    ConlluSentence,
    format_conllu,
    parse_conllu,
    read_conllu,
    write_conllu,
)
from rnnlab.data.errors import DataFormatError
from rnnlab.data.labelled_text import LabelledText, read_labelled_text
from rnnlab.data.names import read_names, to_ascii
from rnnlab.data.parallel import read_parallel
from rnnlab.data.paths import default_path, shared_data_dir
from rnnlab.data.sst import (
    SSTExample,
    SSTTree,
    map_label,
    parse_sst_tree,
    read_sst,
    read_sst_trees,
    sst_examples,
)
from rnnlab.data.text import (
    TBPTTBatches,
    batchify,
    read_chars,
    read_word_lines,
    read_words,
    tbptt_batches,
)
from rnnlab.data.tokenize import simple_detokenize, simple_tokenize, tokenize_english
from rnnlab.data.vocab import BOS, EOS, PAD, UNK, Vocab

__all__ = [
    "BOS",
    "EOS",
    "PAD",
    "UNK",
    "ConlluSentence",
    "DataFormatError",
    "LabelledText",
    "SSTExample",
    "SSTTree",
    "TBPTTBatches",
    "Vocab",
    "batch_by_tokens",
    "batchify",
    "bucket_batches",
    "default_path",
    "format_conllu",
    "map_label",
    "pad_sequences",
    "parse_conllu",
    "parse_sst_tree",
    "read_chars",
    "read_conllu",
    "read_labelled_text",
    "read_names",
    "read_parallel",
    "read_sst",
    "read_sst_trees",
    "read_word_lines",
    "read_words",
    "shared_data_dir",
    "simple_detokenize",
    "simple_tokenize",
    "sst_examples",
    "tbptt_batches",
    "to_ascii",
    "tokenize_english",
    "write_conllu",
]
