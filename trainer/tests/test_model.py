"""The built-in Llama: Hugging Face names, the KV cache and left padding agree with a plain forward."""

from __future__ import annotations

import json

import pytest
import torch

from helpers import TINY, TOKENIZER
from olp_trainer import proof
from olp_trainer.errors import MODEL_NOT_FOUND, MODEL_UNSUPPORTED, TrainerError
from olp_trainer.model import LlamaForCausalLM, init_weights
from olp_trainer.modelio import load_base_model
from olp_trainer.tokenizer import ByteLevelBPE, train_bpe


def model():
    m = LlamaForCausalLM(TINY)
    init_weights(m, 3)
    return m.eval()


def test_parameter_names_are_hugging_face_llama_names():
    names = set(dict(model().named_parameters()))
    for expected in ("model.embed_tokens.weight", "model.layers.1.self_attn.q_proj.weight", "model.layers.0.mlp.down_proj.weight",
                     "model.layers.0.input_layernorm.weight", "model.layers.0.post_attention_layernorm.weight", "model.norm.weight", "lm_head.weight"):
        assert expected in names


def test_the_seeded_init_is_the_same_every_time_and_differs_by_seed():
    a, b = LlamaForCausalLM(TINY), LlamaForCausalLM(TINY)
    init_weights(a, 5), init_weights(b, 5)
    assert proof.tensor_hash(a.state_dict()) == proof.tensor_hash(b.state_dict())
    init_weights(b, 6)
    assert proof.tensor_hash(a.state_dict()) != proof.tensor_hash(b.state_dict())


@torch.no_grad()
def test_decoding_with_the_kv_cache_gives_the_logits_of_a_full_forward():
    m = model()
    ids = torch.randint(0, 256, (2, 12))
    full, _ = m(ids)
    logits, past = m(ids[:, :8])
    steps = [logits]
    for t in range(8, 12):
        step, past = m(ids[:, t : t + 1], past=past)
        steps.append(step)
    assert torch.allclose(torch.cat(steps, dim=1), full, atol=1e-5)


@torch.no_grad()
def test_left_padding_does_not_change_a_prompts_logits():
    m = model()
    short = torch.randint(0, 256, (1, 5))
    alone, _ = m(short)
    padded = torch.cat((torch.full((1, 3), 258), short), dim=1)
    mask = torch.tensor([[False] * 3 + [True] * 5])
    together, _ = m(padded, token_mask=mask)
    assert torch.allclose(together[:, 3:], alone, atol=1e-5)


def test_a_missing_model_folder_or_file_is_an_error_naming_the_path(tmp_path, tiny_model):
    with pytest.raises(TrainerError) as err:
        load_base_model(tmp_path / "nope")
    assert err.value.code == MODEL_NOT_FOUND and err.value.context["path"] == str(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(TrainerError) as err:
        load_base_model(tmp_path / "empty")
    assert err.value.code == MODEL_NOT_FOUND and "config.json" in err.value.message
    (tmp_path / "empty" / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
    with pytest.raises(TrainerError) as err:
        load_base_model(tmp_path / "empty")
    assert err.value.code == MODEL_NOT_FOUND and "model.safetensors" in err.value.message


def test_a_non_llama_model_needs_transformers(tmp_path, tiny_model):
    try:
        import transformers  # noqa: F401

        pytest.skip("transformers is installed here: the HF path is taken instead")
    except ImportError:
        pass
    folder = tmp_path / "gpt2"
    folder.mkdir()
    for name in ("model.safetensors", "tokenizer.json", "tokenizer_config.json"):
        (folder / name).write_bytes((tiny_model / name).read_bytes())
    (folder / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
    with pytest.raises(TrainerError) as err:
        load_base_model(folder)
    assert err.value.code == MODEL_UNSUPPORTED and "transformers" in err.value.message


def test_base_model_hash_covers_tensors_and_both_tokenizer_files(tiny_model):
    base = load_base_model(tiny_model)
    files = TOKENIZER.files(TINY.max_position_embeddings)
    tensors = {n: t for n, t in base.model.state_dict().items()}
    assert base.base_model_hash == proof.base_model_hash(proof.tensor_hash(tensors), files["tokenizer.json"], files["tokenizer_config.json"])


def test_the_tokenizer_encodes_any_text_and_makes_frequent_words_single_tokens():
    tok = ByteLevelBPE(train_bpe(["the red dress", "the red coat", "a red dress"], 100))
    assert tok.decode(tok.encode(" the red dress")) == " the red dress"
    assert len(tok.encode(" red")) == 1 and len(tok.encode(" dress")) == 1
    text = "naïve ✓ 😀\tend"
    assert tok.decode(tok.encode(text) + [tok.eos_id]) == text  # unseen bytes still encode; specials decode to nothing
    plain = ByteLevelBPE([])
    assert plain.encode("é") == [0xC3, 0xA9] and plain.vocab_size == 259


def test_merges_are_learned_deterministically_most_frequent_pair_first():
    assert train_bpe(["ab ab ab", "cd"], 10) == train_bpe(["ab ab ab", "cd"], 10)
    assert train_bpe(["aab aab"], 1) == [("a", "a")]  # ("a", "a") and ("a", "b") both occur twice: the smaller wins
    assert train_bpe(["abab", "cd"], 1) == [("a", "b")]  # the most frequent pair first


def test_the_tokenizer_files_are_the_tokenizers_format_and_reload_as_ours(tiny_model):
    tok = json.loads((tiny_model / "tokenizer.json").read_text())
    assert tok["model"]["type"] == "BPE" and len(tok["model"]["merges"]) == len(TOKENIZER.merges)
    assert sorted(tok["model"]["vocab"].values()) == list(range(256)) + list(range(259, TOKENIZER.vocab_size))
    assert [t["id"] for t in tok["added_tokens"]] == [256, 257, 258]
    loaded = ByteLevelBPE.from_files(tiny_model, TINY.max_position_embeddings)
    assert loaded is not None and loaded.merges == TOKENIZER.merges
