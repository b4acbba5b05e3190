"""Tests of olp_trainer.proof, olp_trainer.abi and olp_trainer.merkle.

Every vector of test/vectors/training.json (the pinned truth, shared with the TypeScript node) is
recomputed here; the other tests pin the rules the vectors cannot show on their own (ordering,
validation, the merkle tree's defences).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import torch

from olp_trainer import abi, merkle, proof
from olp_trainer.canonical_json import canonicalize

VECTORS = json.loads((Path(__file__).resolve().parents[2] / "test" / "vectors" / "training.json").read_text("utf-8"))

DTYPES = {
    "bool": torch.bool,
    "uint8": torch.uint8,
    "int8": torch.int8,
    "int16": torch.int16,
    "int32": torch.int32,
    "int64": torch.int64,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float32": torch.float32,
    "float64": torch.float64,
}


def b(hex_string: str) -> bytes:
    return bytes.fromhex(hex_string.removeprefix("0x"))


def x(data: bytes) -> str:
    return "0x" + data.hex()


def vectors(kind: str) -> list[dict]:
    found = [v for v in VECTORS if v["name"].split("/")[0] == kind]
    assert found, f"no {kind} vectors"
    return found


def ids(kind: str) -> list[str]:
    return [v["name"] for v in vectors(kind)]


def test_every_vector_kind_is_checked_here() -> None:
    checked = {
        "trainingSeed",
        "batchOrder",
        "batchOrderSlice",
        "batchHash",
        "tensorHash",
        "baseModelHash",
        "float32Bits",
        "initialHead",
        "nextHead",
        "checkpointRoot",
        "sharesPpm",
        "contributorsRoot",
        "configHash",
    }
    assert {v["name"].split("/")[0] for v in VECTORS} == checked


# --- vectors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("v", vectors("trainingSeed"), ids=ids("trainingSeed"))
def test_training_seed_matches_vector(v: dict) -> None:
    i, o = v["inputs"], v["outputs"]
    dataset_ids = [int(d) for d in i["datasetIds"]]
    assert x(proof.keccak256(abi.encode(["uint256[]"], [dataset_ids]))) == o["datasetIdsHash"]
    assert x(proof.training_seed(b(i["configHash"]), dataset_ids, b(i["commitBlockhash"]))) == o["seed"]


@pytest.mark.parametrize("v", vectors("batchOrder"), ids=ids("batchOrder"))
def test_batch_order_matches_vector(v: dict) -> None:
    i, o = v["inputs"], v["outputs"]
    seed, n = b(i["seed"]), i["n"]
    order = proof.batch_order(seed, n)
    assert [next(order) for _ in range(n * i["passes"])] == o["order"]
    assert [x(proof.keccak256(abi.encode(["bytes32", "uint256", "uint256"], [seed, p, 0]))) for p in (0, 1)][
        : len(o["firstWords"])
    ] == o["firstWords"]
    assert proof.pass_permutation(seed, n, 1) == o["order"][n:]


@pytest.mark.parametrize("v", vectors("batchOrderSlice"), ids=ids("batchOrderSlice"))
def test_batch_order_slice_matches_vector(v: dict) -> None:
    i = v["inputs"]
    assert proof.batch_order_slice(b(i["seed"]), i["n"], i["start"], i["stop"]) == v["outputs"]["order"]


@pytest.mark.parametrize("v", vectors("batchHash"), ids=ids("batchHash"))
def test_batch_hash_matches_vector(v: dict) -> None:
    indices = v["inputs"]["indices"]
    assert x(abi.encode(["uint32[]"], [indices])) == v["outputs"]["encoding"]
    assert x(proof.batch_hash(indices)) == v["outputs"]["batchHash"]


@pytest.mark.parametrize("v", vectors("tensorHash"), ids=ids("tensorHash"))
def test_tensor_hash_matches_vector(v: dict) -> None:
    specs = v["inputs"]["tensors"]
    tensors = {
        t["name"]: torch.tensor(t["values"], dtype=DTYPES[t["dtype"]]).reshape(t["shape"]) for t in specs
    }
    for t in specs:
        assert x(proof.tensor_bytes(tensors[t["name"]])) == t["bytes"], t["name"]
    assert x(proof.tensor_hash(tensors)) == v["outputs"]["tensorHash"]
    assert x(proof.tensor_hash_from_bytes({t["name"]: b(t["bytes"]) for t in specs})) == v["outputs"]["tensorHash"]


@pytest.mark.parametrize("v", vectors("baseModelHash"), ids=ids("baseModelHash"))
def test_base_model_hash_matches_vector(v: dict) -> None:
    i = v["inputs"]
    got = proof.base_model_hash(b(i["tensorHash"]), b(i["tokenizerJson"]), b(i["tokenizerConfigJson"]))
    assert x(got) == v["outputs"]["baseModelHash"]


@pytest.mark.parametrize("v", vectors("float32Bits"), ids=ids("float32Bits"))
def test_float32_bits_matches_vector(v: dict) -> None:
    assert proof.float32_bits(float(v["inputs"]["x"])) == v["outputs"]["bits"]


@pytest.mark.parametrize("v", vectors("initialHead"), ids=ids("initialHead"))
def test_initial_head_matches_vector(v: dict) -> None:
    i = v["inputs"]
    got = proof.initial_head(
        b(i["baseModelHash"]), b(i["configHash"]), b(i["seed"]), b(i["initialWeightsHash"]), b(i["initialStateHash"])
    )
    assert x(got) == v["outputs"]["head"]


@pytest.mark.parametrize("v", vectors("nextHead"), ids=ids("nextHead"))
def test_next_head_matches_vector(v: dict) -> None:
    i = v["inputs"]
    assert x(proof.batch_hash(i["batchIndices"])) == i["batchHash"]
    assert proof.float32_bits(float(i["loss"])) == i["lossBits"] or i["loss"] == "NaN"
    got = proof.next_head(
        b(i["prevHead"]), int(i["k"]), b(i["weightsHash"]), b(i["stateHash"]), b(i["batchHash"]), i["lossBits"]
    )
    assert x(got) == v["outputs"]["head"]


def test_the_vector_chain_links_head_to_head() -> None:
    h0 = vectors("initialHead")[0]["outputs"]["head"]
    steps = [v for v in vectors("nextHead") if v["name"].startswith("nextHead/k=")]
    assert steps[0]["inputs"]["prevHead"] == h0
    for prev, cur in zip(steps, steps[1:]):
        assert cur["inputs"]["prevHead"] == prev["outputs"]["head"]
    heads = vectors("checkpointRoot")[-1]["inputs"]["heads"]
    assert heads == [h0] + [s["outputs"]["head"] for s in steps]


@pytest.mark.parametrize("v", vectors("checkpointRoot"), ids=ids("checkpointRoot"))
def test_checkpoint_root_and_proofs_match_vector(v: dict) -> None:
    heads = [b(h) for h in v["inputs"]["heads"]]
    o = v["outputs"]
    assert [x(proof.checkpoint_leaf_hash(k, h)) for k, h in enumerate(heads)] == o["leafHashes"]
    root = proof.checkpoint_root(heads)
    assert x(root) == o["root"]
    for k, h in enumerate(heads):
        got = proof.checkpoint_proof(heads, k)
        assert [x(p) for p in got] == o["proofs"][k]
        # The proof recomputes the root (OZ MerkleProof.verify), and only for its own leaf.
        assert merkle.process_proof(proof.checkpoint_leaf_hash(k, h), got) == root
        assert proof.verify_checkpoint_proof(root, k, h, got)
        assert not proof.verify_checkpoint_proof(root, k + 1, h, got)


def test_single_checkpoint_root_is_its_leaf_hash() -> None:
    h0 = b(vectors("initialHead")[0]["outputs"]["head"])
    assert proof.checkpoint_root([h0]) == proof.checkpoint_leaf_hash(0, h0)
    assert proof.checkpoint_proof([h0], 0) == []


@pytest.mark.parametrize("v", vectors("sharesPpm"), ids=ids("sharesPpm"))
def test_shares_ppm_matches_vector(v: dict) -> None:
    counts = {int(d): int(c) for d, c in v["inputs"]["tokenCounts"]}
    got = proof.shares_ppm(counts)
    assert [[d, w] for d, w in got.items()] == [[int(d), w] for d, w in v["outputs"]["shares"]]
    assert sum(got.values()) == proof.PPM


@pytest.mark.parametrize("v", vectors("contributorsRoot"), ids=ids("contributorsRoot"))
def test_contributors_root_and_proofs_match_vector(v: dict) -> None:
    shares = {int(d): w for d, w in v["inputs"]["shares"]}
    root = proof.contributors_root(shares)
    assert x(root) == v["outputs"]["root"]
    for p in v["outputs"]["proofs"]:
        d = int(p["datasetId"])
        got = proof.contributors_proof(shares, d)
        assert [x(s) for s in got] == p["proof"]
        assert merkle.verify(root, proof.CONTRIBUTOR_LEAF, (d, p["weightPpm"]), got)


@pytest.mark.parametrize("v", vectors("configHash"), ids=ids("configHash"))
def test_config_hash_matches_vector(v: dict) -> None:
    o = v["outputs"]
    assert canonicalize(v["inputs"]["config"]) == o["canonical"]
    assert x(proof.config_hash(v["inputs"]["config"])) == o["configHash"]


# --- canonical JSON ----------------------------------------------------------------------------


def test_canonical_json_sorts_keys_by_utf16_code_units() -> None:
    # U+1F600 is D83D DE00 in UTF-16 and sorts before U+FF01 there, after it by code point.
    got = canonicalize({"\uff01": 1, "\U0001f600": 2, "b": {"d": 1, "c": [3, {"f": 1, "e": 2}]}})
    assert got == '{"b":{"c":[3,{"e":2,"f":1}],"d":1},"\U0001f600":2,"\uff01":1}'


def test_canonical_json_writes_numbers_as_javascript_does() -> None:
    cases = {0.0: "0", -0.0: "0", 1.0: "1", 2: "2", 1e21: "1e+21", 1e20: "100000000000000000000", 1e-7: "1e-7"}
    for value, text in cases.items():
        assert canonicalize(value) == text
    assert canonicalize(2**53 + 1) == "9007199254740992"  # an int is a double in JSON, as in JavaScript


@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), {"a": "\ud800"}, {1: "a"}, {"a": b"x"}, {"a": {1, 2}}, object()]
)
def test_canonical_json_refuses_what_is_not_plain_json(value: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        canonicalize(value)


# --- abi ---------------------------------------------------------------------------------------


def test_abi_encodes_a_static_tuple_word_by_word() -> None:
    got = abi.encode(["bytes32", "uint256", "uint32"], [b"\x11" * 32, 2**256 - 1, 7])
    assert got == b"\x11" * 32 + b"\xff" * 32 + (7).to_bytes(32, "big")


def test_abi_places_dynamic_arrays_after_the_head() -> None:
    got = abi.encode(["uint32[]", "bytes32", "uint256[]"], [[1, 2], b"\x22" * 32, [3]])
    words = [got[i : i + 32] for i in range(0, len(got), 32)]
    as_int = [int.from_bytes(w, "big") for w in words]
    assert as_int[0] == 96 and words[1] == b"\x22" * 32 and as_int[2] == 96 + 96
    assert as_int[3:] == [2, 1, 2, 1, 3]


@pytest.mark.parametrize(
    ("types", "values", "error"),
    [
        (["uint32"], [2**32], ValueError),
        (["uint256"], [-1], ValueError),
        (["uint256"], [2**256], ValueError),
        (["uint32"], [True], TypeError),
        (["uint256"], [1.0], TypeError),
        (["bytes32"], [b"\x00" * 31], ValueError),
        (["bytes32"], ["00" * 32], TypeError),
        (["uint32[]"], [[2**32]], ValueError),
        (["uint32[]"], [b"\x01\x02"], TypeError),
        (["address"], [0], ValueError),
        (["uint256", "uint256"], [1], ValueError),
    ],
)
def test_abi_refuses_values_it_would_have_to_truncate(types: list[str], values: list, error: type) -> None:
    with pytest.raises(error):
        abi.encode(types, values)


# --- tensor hash -------------------------------------------------------------------------------


def test_tensor_hash_sorts_names_by_utf8_bytes_not_utf16() -> None:
    # U+FF01 is EF BC 81 in UTF-8 and sorts before U+1F600 (F0 9F 98 80); JavaScript's default
    # sort (UTF-16 code units: FF01 vs D83D) would put them the other way round.
    one = torch.tensor([1.0])
    two = torch.tensor([2.0])
    ordered = proof.keccak256(
        proof.keccak256("\uff01".encode())
        + proof.keccak256(proof.tensor_bytes(one))
        + proof.keccak256("\U0001f600".encode())
        + proof.keccak256(proof.tensor_bytes(two))
    )
    assert proof.tensor_hash({"\U0001f600": two, "\uff01": one}) == ordered


def test_tensor_hash_hashes_names_and_bytes_apart_so_boundaries_cannot_shift() -> None:
    assert proof.tensor_hash_from_bytes({"a": b"bc"}) != proof.tensor_hash_from_bytes({"ab": b"c"})
    assert proof.tensor_hash_from_bytes({"a": b"", "b": b"x"}) != proof.tensor_hash_from_bytes({"a": b"x", "b": b""})


def test_tensor_hash_reads_a_non_contiguous_tensor_in_logical_order() -> None:
    t = torch.arange(6, dtype=torch.float32).reshape(2, 3).t()
    assert not t.is_contiguous()
    assert proof.tensor_bytes(t) == proof.tensor_bytes(t.contiguous())
    assert proof.tensor_bytes(t) == torch.tensor([0.0, 3.0, 1.0, 4.0, 2.0, 5.0]).numpy().tobytes()


def test_tensor_hash_keeps_the_bits_of_negative_zero_and_nan() -> None:
    zero = proof.tensor_hash({"w": torch.tensor([0.0])})
    assert proof.tensor_hash({"w": torch.tensor([-0.0])}) != zero
    assert proof.tensor_bytes(torch.tensor([-0.0], dtype=torch.bfloat16)) == b"\x00\x80"


def test_tensor_hash_ignores_requires_grad() -> None:
    w = torch.tensor([0.5, 0.25], requires_grad=True)
    assert proof.tensor_hash({"w": w}) == proof.tensor_hash({"w": w.detach()})


@pytest.mark.parametrize("dtype", [torch.complex64, torch.qint8])
def test_tensor_hash_refuses_dtypes_no_checkpoint_holds(dtype: torch.dtype) -> None:
    if dtype == torch.qint8:
        t = torch.quantize_per_tensor(torch.zeros(2), 1.0, 0, dtype)
    else:
        t = torch.zeros(2, dtype=dtype)
    with pytest.raises(ValueError, match="unsupported dtype"):
        proof.tensor_bytes(t)


def test_tensor_hash_refuses_a_name_that_is_not_valid_unicode() -> None:
    with pytest.raises(UnicodeEncodeError):
        proof.tensor_hash_from_bytes({"\ud800": b""})


# --- seed, order, chain ------------------------------------------------------------------------


@pytest.mark.parametrize("dataset_ids", [[], [2, 1], [1, 1], [0, 1]])
def test_training_seed_refuses_ids_the_registry_would_refuse(dataset_ids: list[int]) -> None:
    with pytest.raises(ValueError):
        proof.training_seed(b"\x00" * 32, dataset_ids, b"\x00" * 32)


def test_training_seed_changes_with_every_input() -> None:
    base = proof.training_seed(b"\x01" * 32, [1, 2], b"\x02" * 32)
    assert proof.training_seed(b"\x03" * 32, [1, 2], b"\x02" * 32) != base
    assert proof.training_seed(b"\x01" * 32, [1, 3], b"\x02" * 32) != base
    assert proof.training_seed(b"\x01" * 32, [1, 2], b"\x03" * 32) != base


def test_every_pass_is_a_permutation_and_passes_differ() -> None:
    seed = proof.keccak256(b"seed")
    passes = [proof.pass_permutation(seed, 50, p) for p in range(3)]
    for p in passes:
        assert sorted(p) == list(range(50))
    assert passes[0] != passes[1] != passes[2]


def test_batch_order_slice_equals_the_stream() -> None:
    seed = proof.keccak256(b"slice")
    stream = proof.batch_order(seed, 5)
    head = [next(stream) for _ in range(23)]
    for start, stop in [(0, 0), (0, 5), (3, 12), (10, 23), (22, 23)]:
        assert proof.batch_order_slice(seed, 5, start, stop) == head[start:stop]


def test_batch_order_refuses_an_empty_corpus() -> None:
    with pytest.raises(ValueError):
        proof.batch_order(b"\x00" * 32, 0)
    with pytest.raises(ValueError):
        proof.batch_order_slice(b"\x00" * 32, 0, 0, 1)


def test_next_head_binds_every_field() -> None:
    args = [b"\x01" * 32, 3, b"\x02" * 32, b"\x03" * 32, b"\x04" * 32, 0x3F800000]
    base = proof.next_head(*args)
    for i, changed in enumerate([b"\x09" * 32, 4, b"\x09" * 32, b"\x09" * 32, b"\x09" * 32, 0x3F800001]):
        assert proof.next_head(*(args[:i] + [changed] + args[i + 1 :])) != base, i


def test_next_head_refuses_k_zero_and_out_of_range_loss_bits() -> None:
    with pytest.raises(ValueError):
        proof.next_head(b"\x01" * 32, 0, b"\x02" * 32, b"\x03" * 32, b"\x04" * 32, 0)
    with pytest.raises(ValueError):
        proof.next_head(b"\x01" * 32, 1, b"\x02" * 32, b"\x03" * 32, b"\x04" * 32, 2**32)


def test_initial_head_binds_every_field() -> None:
    args = [bytes([i]) * 32 for i in range(1, 6)]
    base = proof.initial_head(*args)
    for i in range(5):
        assert proof.initial_head(*(args[:i] + [b"\xee" * 32] + args[i + 1 :])) != base, i


def test_float32_bits_rounds_to_nearest_float32() -> None:
    assert proof.float32_bits(torch.tensor(0.1).item()) == proof.float32_bits(0.1) == 0x3DCCCCCD
    with pytest.raises(ValueError):
        proof.float32_bits(1e39)


# --- roots -------------------------------------------------------------------------------------


def test_an_internal_node_cannot_pass_as_a_checkpoint_leaf() -> None:
    """THREATS 30/39: a 64-byte leaf encoding equal to an internal node's preimage fails."""
    heads = [b(h) for h in vectors("checkpointRoot")[-1]["inputs"]["heads"]]
    tree = merkle.StandardTree(proof.CHECKPOINT_LEAF, list(enumerate(heads)))
    left, right = tree.tree[3], tree.tree[4]  # children of internal node 1
    lo, hi = min(left, right), max(left, right)
    forged = (int.from_bytes(lo, "big"), hi)  # abi.encode(forged) == lo ‖ hi, node 1's preimage
    path = [tree.tree[2]]  # node 1's sibling; node 1 and node 2 make the root
    # Single hashing would accept it; the standard double hash does not.
    assert merkle.process_proof(proof.keccak256(abi.encode(proof.CHECKPOINT_LEAF, forged)), path) == tree.root
    assert not merkle.verify(tree.root, proof.CHECKPOINT_LEAF, forged, path)


def test_every_leaf_of_random_trees_proves_once_and_only_its_own() -> None:
    """THREATS 38: random trees, every (k, h_k) proves, a wrong head or k does not."""
    rng = random.Random(7)
    for size in range(1, 40):
        heads = [rng.randbytes(32) for _ in range(size)]
        root = proof.checkpoint_root(heads)
        for k in range(size):
            path = proof.checkpoint_proof(heads, k)
            assert proof.verify_checkpoint_proof(root, k, heads[k], path)
            assert not proof.verify_checkpoint_proof(root, k, heads[(k + 1) % size], path) or size == 1
            assert not proof.verify_checkpoint_proof(root, k + 1, heads[k], path)


def test_checkpoint_root_refuses_an_empty_chain() -> None:
    with pytest.raises(ValueError):
        proof.checkpoint_root([])


def test_contributors_root_refuses_shares_that_do_not_sum_to_a_million() -> None:
    with pytest.raises(ValueError, match="sum"):
        proof.contributors_root({1: 500_000, 2: 499_999})
    with pytest.raises(ValueError):
        proof.contributors_root({1: 0})


def test_contributors_root_leaves_zero_shares_out() -> None:
    assert proof.contributors_root({1: 0, 2: 1_000_000, 3: 0}) == proof.contributors_root({2: 1_000_000})


def test_shares_ppm_always_sums_to_a_million() -> None:
    rng = random.Random(11)
    for _ in range(200):
        dataset_ids = rng.sample(range(1, 1000), rng.randrange(1, 12))
        counts = {d: rng.choice([0, 1, rng.randrange(10**12)]) for d in dataset_ids}
        if sum(counts.values()) == 0:
            continue
        shares = proof.shares_ppm(counts)
        assert sum(shares.values()) == proof.PPM
        assert all(w > 0 for w in shares.values()) and list(shares) == sorted(shares)


@pytest.mark.parametrize("counts", [{}, {1: 0}, {1: -1, 2: 2}, {0: 5}, {1: 1.5}])
def test_shares_ppm_refuses_counts_without_a_share(counts: dict) -> None:
    with pytest.raises(ValueError):
        proof.shares_ppm(counts)
