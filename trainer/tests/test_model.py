"""The built-in Llama: Hugging Face names, the KV cache and left padding agree with a plain forward."""

from __future__ import annotations

import json

import pytest
import torch

from helpers import TINY
from olp_trainer import proof
from olp_trainer.errors import MODEL_NOT_FOUND, MODEL_UNSUPPORTED, TrainerError
from olp_trainer.model import LlamaForCausalLM, init_weights
from olp_trainer.modelio import load_base_model
from olp_trainer.tokenizer import ByteTokenizer


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
    files = ByteTokenizer.files(TINY.max_position_embeddings)
    tensors = {n: t for n, t in base.model.state_dict().items()}
    assert base.base_model_hash == proof.base_model_hash(proof.tensor_hash(tensors), files["tokenizer.json"], files["tokenizer_config.json"])


def test_the_tokenizer_json_maps_every_byte_to_its_own_id():
    tok = json.loads(ByteTokenizer.files(512)["tokenizer.json"])
    vocab = tok["model"]["vocab"]
    assert sorted(vocab.values()) == list(range(256)) and tok["model"]["merges"] == []
    assert [t["id"] for t in tok["added_tokens"]] == [256, 257, 258]
    assert ByteTokenizer().decode(ByteTokenizer().encode("naïve ✓") + [257]) == "naïve ✓"
