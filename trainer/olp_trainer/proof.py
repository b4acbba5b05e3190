"""Proof of training: the hash chain, seed, batch order and roots of DESIGN §7, to the byte.

The TypeScript node (``node/src/protocol/training``) is the reference; this module mirrors it so
the trainer can build the chain it commits to and a verifier can re-check any segment. Both sides
are pinned by the golden vectors in ``test/vectors/training.json``.

- ``tensor_hash``: keccak256 over the tensors in order of their names' UTF-8 bytes, each
  contributing ``keccak256(utf8(name)) ‖ keccak256(raw little-endian bytes in its dtype)``.
- ``training_seed``: ``keccak256(abi.encode(configHash, keccak256(abi.encode(uint256[] ids)),
  commitBlockhash))``.
- ``batch_order``: passes laid end to end, each a Fisher–Yates shuffle of ``[0, n)`` driven by
  ``keccak256(abi.encode(seed, uint256 pass, uint256 counter))`` words.
- ``config_hash``: keccak256 of the RFC 8785 canonical JSON of the config.
- ``initial_head`` / ``next_head``: the chain ``h_0 … h_n``; ``checkpoint_root`` the standard tree
  over ``(uint256 k, bytes32 h_k)``; ``contributors_root`` the standard tree over
  ``(uint256 datasetId, uint32 weightPpm)`` with ``shares_ppm`` giving the weights.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from . import abi, merkle
from .abi import keccak256
from .canonical_json import canonicalize

if TYPE_CHECKING:
    import torch

__all__ = [
    "PPM",
    "batch_hash",
    "batch_order",
    "batch_order_slice",
    "base_model_hash",
    "checkpoint_leaf_hash",
    "checkpoint_proof",
    "checkpoint_root",
    "config_hash",
    "contributors_proof",
    "contributors_root",
    "float32_bits",
    "initial_head",
    "keccak256",
    "next_head",
    "pass_permutation",
    "shares_ppm",
    "tensor_bytes",
    "tensor_hash",
    "tensor_hash_from_bytes",
    "training_seed",
    "verify_checkpoint_proof",
]

PPM = 1_000_000
"""Shares are parts per million and always sum to exactly this."""

CHECKPOINT_LEAF = ("uint256", "bytes32")
"""Leaf encoding of the checkpoint tree: ``(k, h_k)``."""

CONTRIBUTOR_LEAF = ("uint256", "uint32")
"""Leaf encoding of the contributors tree: ``(datasetId, weightPpm)``."""

_UINT32_MAX = (1 << 32) - 1
_CANONICAL_NAN_BITS = 0x7FC00000


# --- tensor hash -------------------------------------------------------------------------------


def tensor_hash_from_bytes(items: Mapping[str, bytes]) -> bytes:
    """Tensor hash of named raw tensors (their little-endian bytes in the saved dtype).

    Sorted by the UTF-8 bytes of the names (not by Python's code-point order of ``str``, which
    agrees for valid text but is stated here once for every implementation).
    """
    entries = []
    for name, data in items.items():
        if not isinstance(name, str):
            raise TypeError(f"tensor name must be str, got {type(name).__name__}")
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"tensor {name!r}: expected bytes, got {type(data).__name__}")
        entries.append((name.encode("utf-8"), bytes(data)))  # lone surrogates raise here
    entries.sort(key=lambda e: e[0])
    out = bytearray()
    for name_bytes, data in entries:
        out += keccak256(name_bytes)
        out += keccak256(data)
    return keccak256(bytes(out))


def tensor_bytes(tensor: torch.Tensor) -> bytes:
    """Raw little-endian bytes of ``tensor`` in its own dtype (contiguous, on the CPU).

    bfloat16 has no numpy dtype, so it is reinterpreted as int16 (same bits). Only the dtypes a
    safetensors checkpoint of ours can hold are accepted; anything else raises ``ValueError``.
    """
    import torch

    supported = {
        torch.bool,
        torch.uint8,
        torch.int8,
        torch.int16,
        torch.int32,
        torch.int64,
        torch.float16,
        torch.bfloat16,
        torch.float32,
        torch.float64,
    }
    if tensor.dtype not in supported:
        raise ValueError(f"unsupported dtype {tensor.dtype} for the tensor hash")
    if tensor.layout != torch.strided:
        raise ValueError(f"unsupported layout {tensor.layout} for the tensor hash")
    t = tensor.detach().to("cpu").contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    array = t.numpy()
    return array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()


def tensor_hash(tensors: Mapping[str, torch.Tensor]) -> bytes:
    """Tensor hash (``weightsHash``, ``stateHash``, part of ``baseModelHash``) of named tensors."""
    return tensor_hash_from_bytes({name: tensor_bytes(t) for name, t in tensors.items()})


def base_model_hash(tensor_hash: bytes, tokenizer_json: bytes, tokenizer_config_json: bytes) -> bytes:
    """``keccak256(tensorHash ‖ keccak256(tokenizer.json) ‖ keccak256(tokenizer_config.json))``.

    A missing tokenizer file is passed as ``b""``.
    """
    return keccak256(abi.encode_bytes32(tensor_hash) + keccak256(tokenizer_json) + keccak256(tokenizer_config_json))


def config_hash(config: Mapping[str, object]) -> bytes:
    """``configHash = keccak256(utf8(RFC 8785 canonical JSON of the config))``.

    The node computes it (the reference) and hands it to the trainer; this lets the trainer check
    the config it was given against the committed hash.
    """
    return keccak256(canonicalize(config).encode("utf-8"))


# --- seed and batch order ----------------------------------------------------------------------


def training_seed(config_hash: bytes, dataset_ids: Sequence[int], commit_blockhash: bytes) -> bytes:
    """The run's seed, fixed by the on-chain commitment and the hash of its block.

    ``dataset_ids`` must be non-empty, strictly ascending and ≥ 1, as the registry requires: a
    list in another order would silently give another seed.
    """
    ids = list(dataset_ids)
    if not ids:
        raise ValueError("dataset_ids must not be empty")
    for prev, cur in zip([0, *ids], ids):
        if isinstance(cur, bool) or not isinstance(cur, int):
            raise TypeError(f"dataset id {cur!r} is not an int")
        if cur <= prev:
            raise ValueError("dataset_ids must be strictly ascending and start at 1 or more")
    ids_hash = keccak256(abi.encode(["uint256[]"], [ids]))
    return keccak256(abi.encode(["bytes32", "bytes32", "bytes32"], [config_hash, ids_hash, commit_blockhash]))


def _word(seed: bytes, pass_index: int, counter: int) -> int:
    return int.from_bytes(keccak256(abi.encode(["bytes32", "uint256", "uint256"], [seed, pass_index, counter])), "big")


def pass_permutation(seed: bytes, n: int, pass_index: int) -> list[int]:
    """Pass ``pass_index`` of the batch order: a Fisher–Yates shuffle of ``[0, n)``.

    For i from n − 1 down to 1, ``j = word mod (i + 1)`` and swap(i, j), the words counted from 0
    within the pass. No rejection sampling: the modulo bias is below n / 2^256.
    """
    abi.encode_bytes32(seed)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"corpus size must be a positive int, got {n!r}")
    if isinstance(pass_index, bool) or not isinstance(pass_index, int) or pass_index < 0:
        raise ValueError(f"pass must be a non-negative int, got {pass_index!r}")
    order = list(range(n))
    counter = 0
    for i in range(n - 1, 0, -1):
        j = _word(seed, pass_index, counter) % (i + 1)
        counter += 1
        order[i], order[j] = order[j], order[i]
    return order


def batch_order(seed: bytes, n: int) -> Iterator[int]:
    """Corpus indices in training order: pass 0, then pass 1, … without end.

    A batch may span two passes; the caller takes ``batch_size`` indices per step.
    """
    pass_permutation(seed, n, 0)  # validate eagerly, before the first next()
    return _batch_order(seed, n)


def _batch_order(seed: bytes, n: int) -> Iterator[int]:
    pass_index = 0
    while True:
        yield from pass_permutation(seed, n, pass_index)
        pass_index += 1


def batch_order_slice(seed: bytes, n: int, start: int, stop: int) -> list[int]:
    """Positions ``[start, stop)`` of the batch order, computing only the passes they touch.

    A verifier re-running segment k needs only its own steps, not every pass before them.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"corpus size must be a positive int, got {n!r}")
    if start < 0 or stop < start:
        raise ValueError(f"bad range [{start}, {stop})")
    out: list[int] = []
    pos = start
    while pos < stop:
        pass_index, offset = divmod(pos, n)
        take = min(n - offset, stop - pos)
        out += pass_permutation(seed, n, pass_index)[offset : offset + take]
        pos += take
    return out


def batch_hash(indices: Sequence[int]) -> bytes:
    """``keccak256(abi.encode(uint32[] indices))`` of one segment's corpus indices, in step order."""
    return keccak256(abi.encode(["uint32[]"], [list(indices)]))


# --- the chain ---------------------------------------------------------------------------------


def float32_bits(x: float) -> int:
    """IEEE-754 float32 bit pattern of ``x`` (rounded to nearest float32).

    Every NaN maps to the one quiet NaN ``0x7fc00000`` so that a diverged run still has one
    chain; a finite value beyond float32's range raises ``ValueError`` (a float32 mean cannot be).
    """
    x = float(x)
    if math.isnan(x):
        return _CANONICAL_NAN_BITS
    try:
        return struct.unpack("<I", struct.pack("<f", x))[0]
    except OverflowError as err:
        raise ValueError(f"{x} does not fit a float32") from err


def initial_head(
    base_model_hash: bytes,
    config_hash: bytes,
    seed: bytes,
    initial_weights_hash: bytes,
    initial_state_hash: bytes,
) -> bytes:
    """``h_0 = keccak256(abi.encode(baseModelHash, configHash, seed, initialWeightsHash, initialStateHash))``."""
    return keccak256(
        abi.encode(
            ["bytes32"] * 5,
            [base_model_hash, config_hash, seed, initial_weights_hash, initial_state_hash],
        )
    )


def next_head(
    prev_head: bytes,
    k: int,
    weights_hash: bytes,
    state_hash: bytes,
    batch_hash: bytes,
    loss_bits: int,
) -> bytes:
    """The next chain head ``h_k`` after checkpoint ``k``.

    ``h_k = keccak256(abi.encode(h_{k−1}, uint256 k, weightsHash_k, stateHash_k, batchHash_k,
    uint32 lossBits_k))``; ``k`` counts checkpoints from 1 (``h_0`` is ``initial_head``).
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"checkpoint number must be an int ≥ 1, got {k!r}")
    return keccak256(
        abi.encode(
            ["bytes32", "uint256", "bytes32", "bytes32", "bytes32", "uint32"],
            [prev_head, k, weights_hash, state_hash, batch_hash, loss_bits],
        )
    )


# --- roots -------------------------------------------------------------------------------------


def _checkpoint_tree(heads: Sequence[bytes]) -> merkle.StandardTree:
    if not heads:
        raise ValueError("heads must hold at least h_0")
    return merkle.StandardTree(CHECKPOINT_LEAF, [(k, h) for k, h in enumerate(heads)])


def checkpoint_leaf_hash(k: int, head: bytes) -> bytes:
    """Leaf hash of ``(uint256 k, bytes32 h_k)`` in the checkpoint tree."""
    return merkle.standard_leaf_hash(CHECKPOINT_LEAF, (k, head))


def checkpoint_root(heads: Sequence[bytes]) -> bytes:
    """``checkpointRoot``: the standard tree over ``(k, heads[k])`` for k = 0 … n."""
    return _checkpoint_tree(heads).root


def checkpoint_proof(heads: Sequence[bytes], k: int) -> list[bytes]:
    """Proof of ``(k, heads[k])`` under ``checkpoint_root(heads)``."""
    return _checkpoint_tree(heads).proof(k)


def verify_checkpoint_proof(root: bytes, k: int, head: bytes, proof: Sequence[bytes]) -> bool:
    """Whether ``proof`` shows that ``h_k = head`` under ``root``."""
    return merkle.process_proof(checkpoint_leaf_hash(k, head), proof) == root


def _contributor_values(shares: Mapping[int, int]) -> list[tuple[int, int]]:
    values = [(d, w) for d, w in sorted(shares.items()) if w != 0]
    if not values:
        raise ValueError("contributors tree needs at least one non-zero share")
    total = sum(w for _, w in values)
    if total != PPM:
        raise ValueError(f"shares sum to {total}, not {PPM}")
    return values


def contributors_root(shares: Mapping[int, int]) -> bytes:
    """``contributorsRoot``: standard tree over ``(uint256 datasetId, uint32 weightPpm)``.

    Zero shares are left out; the shares must sum to exactly 1,000,000.
    """
    return merkle.StandardTree(CONTRIBUTOR_LEAF, _contributor_values(shares)).root


def contributors_proof(shares: Mapping[int, int], dataset_id: int) -> list[bytes]:
    """Proof of ``(dataset_id, shares[dataset_id])`` under ``contributors_root(shares)``."""
    values = _contributor_values(shares)
    for i, (d, _) in enumerate(values):
        if d == dataset_id:
            return merkle.StandardTree(CONTRIBUTOR_LEAF, values).proof(i)
    raise KeyError(f"dataset {dataset_id} has no share")


def shares_ppm(token_counts: Mapping[int, int]) -> dict[int, int]:
    """Each dataset's share of the tokens in ppm, by largest remainder; zero shares left out.

    Floor every share, then give the units left one each to the largest remainders, ties to
    the lower dataset id, so the shares sum to exactly 1,000,000. Returned ascending by id.
    """
    total = 0
    for d, c in token_counts.items():
        if isinstance(d, bool) or not isinstance(d, int) or d < 1:
            raise ValueError(f"dataset id must be an int ≥ 1, got {d!r}")
        if isinstance(c, bool) or not isinstance(c, int) or c < 0:
            raise ValueError(f"token count of dataset {d} must be an int ≥ 0, got {c!r}")
        total += c
    if total == 0:
        raise ValueError("no tokens: shares are undefined")
    shares = {}
    remainders = []
    for d in sorted(token_counts):
        share, rem = divmod(token_counts[d] * PPM, total)
        shares[d] = share
        remainders.append((-rem, d))
    left = PPM - sum(shares.values())
    for _, d in sorted(remainders)[:left]:
        shares[d] += 1
    return {d: w for d, w in shares.items() if w > 0}
