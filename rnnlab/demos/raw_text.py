"""Raw text to CoNLL-U in one screen: the shipped English pipeline on a short paragraph.

LECTURE §3.1 twice over: a character BiLSTM labels each character (token end, sentence
end, multiword token) to cut the text into sentences, tokens and words, and the word +
character BiLSTM tagger labels each word (:mod:`rnnlab.pipeline`). The paragraphs are our
own, written for the demo, with the contractions UD splits into two words.
"""

from __future__ import annotations

from rnnlab.pipeline import Pipeline

TEXT = ("Dr. Ellis hasn't left the lab since Monday. She's sure the new model will work, but "
        "it can't read handwriting yet!\n\n"
        "Tomorrow we'll test it on 3,200 letters from the 1890s.\n")


def run_pipeline_demo(text: str = TEXT, tokenizer: str | None = None,
                      tagger: str | None = None) -> str:
    """The text, then its CoNLL-U from the pipeline (shipped models where none is given)."""
    nlp = Pipeline(tokenizer=tokenizer, tagger=tagger)
    document = nlp(text)
    steps = "tokenizer and sentence splitter, tagger" + (", lemmatizer" if nlp.lemmatizer
                                                          else "")
    models = ("the shipped UD English EWT 2.16 models, CC BY-SA 4.0"
              if tokenizer is None and tagger is None else "the models given")
    header = (f"Raw text through rnnlab.Pipeline ({steps}; {models}): "
              f"{len(document.sentences)} sentences, {len(document.tokens)} tokens, "
              f"{len(document.words)} words.\n\n")
    quoted = "".join(f"> {line}\n" if line else ">\n" for line in text.strip().split("\n"))
    return header + quoted + "\n" + document.to_conllu().rstrip("\n")
