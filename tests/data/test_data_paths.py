from pathlib import Path

import pytest

from rnnlab.data import default_path, shared_data_dir


def test_env_var_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("RNNLAB_DATA", str(tmp_path))
    assert shared_data_dir() == tmp_path
    assert default_path("ud-english-ewt", "dev") == tmp_path / "ud-english-ewt/en_ewt-ud-dev.conllu"
    assert default_path("ptb", "dev") == tmp_path / "ptb/ptb.valid.txt"
    assert default_path("ptb", "train") == tmp_path / "ptb/ptb.train.txt"
    assert default_path("tinyshakespeare") == tmp_path / "tinyshakespeare/input.txt"
    assert default_path("sst", "validation") == tmp_path / "sst/dev.txt"
    assert default_path("multi30k", "test", lang="de") == tmp_path / "multi30k/test_2016_flickr.de"
    assert default_path("multi30k", "valid", lang="en") == tmp_path / "multi30k/val.en"
    assert default_path("names") == tmp_path / "names"


def test_bad_requests(monkeypatch, tmp_path):
    monkeypatch.setenv("RNNLAB_DATA", str(tmp_path))
    with pytest.raises(ValueError, match="unknown dataset"):
        default_path("imagenet", "train")
    with pytest.raises(ValueError, match="needs a split"):
        default_path("ptb")
    with pytest.raises(ValueError, match="no split"):
        default_path("sst", "extra")
    with pytest.raises(ValueError, match="lang"):
        default_path("multi30k", "train")
    with pytest.raises(ValueError):
        default_path("names", "train")


def test_default_location_found_from_cwd(monkeypatch, tmp_path):
    monkeypatch.delenv("RNNLAB_DATA", raising=False)
    (tmp_path / "shared" / "data").mkdir(parents=True)
    work = tmp_path / "repo"
    work.mkdir()
    monkeypatch.chdir(work)
    assert shared_data_dir() == Path("..").resolve() / "shared" / "data"
