"""The learned second opinion on blames_buyer: its features, its reader, and how the check
uses it (only where no phrase fired and no kind phrase stands)."""

import hashlib
import json
import math
import shutil
from pathlib import Path

import pytest

from playbook.blame_model import MODEL_FILE, load_blame_model, ngrams
from playbook.errors import ContentError
from playbook.policy import POLICY_DIR, check_policy, load_policy

DATA = Path(__file__).parent / "data" / "policy"


def test_ngrams_are_character_and_word_grams():
    grams = ngrams("you wrote")
    assert "c y" in grams and "cyou " in grams and "c wrot" in grams  # 2 to 5 chars, padded
    assert all(len(g) <= 6 for g in grams if g[0] == "c")  # "c" + at most five characters
    assert {"wyou", "wwrote", "wyou wrote"} <= set(grams)
    assert "c您自己" in ngrams("是您自己选错了")  # Chinese has no spaces: grams inside the run
    assert ngrams("") == []


def _model_document(weights: dict[str, float], intercept: float, threshold: float = 0.5):
    return {
        "format": 1,
        "threshold": threshold,
        "intercept": intercept,
        "ngrams": {gram: [1.0, weight] for gram, weight in weights.items()},
    }


def _folder_with_model(tmp_path, document) -> Path:
    folder = tmp_path / "policy"
    shutil.copytree(POLICY_DIR, folder)
    (folder / MODEL_FILE).write_text(json.dumps(document), encoding="utf-8")
    return folder


def test_reader_follows_tfidf_and_logistic_maths(tmp_path):
    path = tmp_path / MODEL_FILE
    path.write_text(json.dumps(_model_document({"wbanana": 3.0, "wkiwi": -1.0}, -1.0)))
    model = load_blame_model(path)
    # one known word: its l2-normalised value is 1, so z = -1 + 3
    assert model.probability("banana") == pytest.approx(1 / (1 + math.exp(-2.0)))
    # twice the word: sublinear tf (1 + ln 2) is normalised away again
    assert model.probability("banana banana") == pytest.approx(1 / (1 + math.exp(-2.0)))
    # two known words share the unit length: z = -1 + (3 - 1) / sqrt(2)
    expected = 1 / (1 + math.exp(-(-1.0 + 2.0 / math.sqrt(2))))
    assert model.probability("banana kiwi") == pytest.approx(expected)
    assert model.probability("nothing known") == pytest.approx(1 / (1 + math.exp(1.0)))


def test_a_folder_without_a_model_is_rules_only(tmp_path):
    folder = tmp_path / "policy"
    shutil.copytree(POLICY_DIR, folder)
    (folder / MODEL_FILE).unlink()
    assert load_policy(folder).blame_model is None
    assert check_policy("The banana was fine.", "en", policy=load_policy(folder)) == []


@pytest.mark.parametrize(
    "content",
    ["not json", json.dumps({"format": 99}), json.dumps({"format": 1, "ngrams": {"wa": []}})],
)
def test_a_broken_model_file_is_named(tmp_path, content):
    folder = tmp_path / "policy"
    shutil.copytree(POLICY_DIR, folder)
    (folder / MODEL_FILE).write_text(content, encoding="utf-8")
    with pytest.raises(ContentError, match=MODEL_FILE):
        load_policy(folder)


def test_the_model_speaks_where_no_phrase_did(tmp_path):
    folder = _folder_with_model(tmp_path, _model_document({"wbanana": 6.0}, -2.0))
    policy = load_policy(folder)
    text = "Thanks for writing. The banana was fine when it left!"
    [finding] = check_policy(text, "en", policy=policy)
    assert finding.rule == "blames_buyer" and finding.source == "model"
    assert finding.span == "The banana was fine when it left!"  # the sentence, no spaces
    assert text[finding.start : finding.end] == finding.span
    assert check_policy(text, "en", policy=policy, learned=False) == []
    assert check_policy("The kiwi was fine.", "en", policy=policy) == []
    # a phrase finding stays the only one: the model is not asked again
    [phrase] = check_policy("It is your own fault, the banana was fine.", "en", policy=policy)
    assert phrase.source == "phrases"


@pytest.mark.parametrize(
    "kind",
    [
        "It is not your fault, the banana was fine when it left.",  # innocent phrase
        "Sorry, the banana was fine when it left, we will send another.",  # damper
    ],
)
def test_kind_wording_mutes_the_model(tmp_path, kind):
    policy = load_policy(_folder_with_model(tmp_path, _model_document({"wbanana": 6.0}, -2.0)))
    assert check_policy(kind, "en", policy=policy) == []


def test_shipped_model_names_the_sets_it_was_trained_on():
    """Figures are only honest for the data the model saw: retrain after editing a set
    (tools/train_blame_model.py), and never train on the held-out set."""
    model = load_policy().blame_model
    assert model is not None and 0 < model.threshold < 1
    sets = model.about["sets"]
    assert "heldout12.jsonl" not in sets, "heldout12 is the held-out set of `make eval`"
    for name, digest in sets.items():
        current = hashlib.sha256((DATA / name).read_bytes()).hexdigest()[:16]
        assert current == digest, f"{name} changed since training: retrain the blame model"


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", 'The courier marked it delivered and signed for. If you "didn\'t get it", ask '
               "whoever lives at your address, not us."),
        ("fr", "Vous avez choisi la livraison la moins chère, il ne faut pas s'étonner ensuite "
               "qu'elle soit lente."),
        ("ru", "Может, для начала стоит вставить батарейки, а уже потом писать, что пульт не "
               "работает?"),
    ],
)  # fmt: skip
def test_shipped_model_catches_blame_the_phrases_miss(lang, text):
    """Messages of heldout12, which neither the cue lists nor the model were trained on."""
    assert "blames_buyer" not in {f.rule for f in check_policy(text, lang, learned=False)}
    found = [f for f in check_policy(text, lang) if f.rule == "blames_buyer"]
    assert found and found[0].source == "model"
