"""OpenZeppelin ``StandardMerkleTree`` (``@openzeppelin/merkle-tree`` 1.x), reimplemented.

The tree the node builds in TypeScript and the contracts check with OZ ``MerkleProof``:

- leaf hash = ``keccak256(keccak256(abi.encode(leaf values)))``: double hashing keeps a
  64-byte leaf encoding from ever equalling an internal node's preimage;
- leaves sorted ascending by hash (ties keep input order, as JavaScript's stable sort does);
- a complete binary tree stored in an array of ``2·n − 1`` nodes: node ``i`` has children
  ``2i + 1`` and ``2i + 2``, the sorted leaves sit at the end in reverse (``tree[len − 1 − j]``
  is the ``j``-th smallest leaf), the root at index 0; a one-leaf tree's root is its leaf hash;
- internal node = ``keccak256(min(a, b) ‖ max(a, b))`` (commutative, so proofs carry no sides);
- a proof is the sibling of each node on the way from the leaf up to the root.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import abi
from .abi import keccak256


def standard_leaf_hash(types: Sequence[str], values: Sequence[object]) -> bytes:
    """``keccak256(keccak256(abi.encode(values)))``: the standard tree's leaf hash."""
    return keccak256(keccak256(abi.encode(types, values)))


def node_hash(a: bytes, b: bytes) -> bytes:
    """Commutative pair hash: ``keccak256`` of the two 32-byte nodes, smaller first."""
    return keccak256(a + b if a <= b else b + a)


def make_tree(leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """The array layout of the tree over ``leaf_hashes`` already in their final (sorted) order."""
    if not leaf_hashes:
        raise ValueError("a merkle tree needs at least one leaf")
    for leaf in leaf_hashes:
        if len(leaf) != 32:
            raise ValueError("merkle tree nodes must be 32 bytes")
    size = 2 * len(leaf_hashes) - 1
    tree: list[bytes] = [b""] * size
    for j, leaf in enumerate(leaf_hashes):
        tree[size - 1 - j] = bytes(leaf)
    for i in range(size - 1 - len(leaf_hashes), -1, -1):
        tree[i] = node_hash(tree[2 * i + 1], tree[2 * i + 2])
    return tree


def tree_proof(tree: Sequence[bytes], index: int) -> list[bytes]:
    """Siblings from the leaf at array ``index`` up to (not including) the root."""
    if not 0 <= index < len(tree) or 2 * index + 1 < len(tree):
        raise ValueError(f"index {index} is not a leaf")
    proof: list[bytes] = []
    while index > 0:
        sibling = index - 1 if index % 2 == 0 else index + 1
        proof.append(tree[sibling])
        index = (index - 1) // 2
    return proof


def process_proof(leaf_hash: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` leads to from ``leaf_hash`` (OZ ``MerkleProof.processProof``)."""
    node = leaf_hash
    for sibling in proof:
        node = node_hash(node, sibling)
    return node


class StandardTree:
    """A standard tree over ``values`` (each a tuple matching ``types``), as OZ builds it."""

    def __init__(self, types: Sequence[str], values: Sequence[Sequence[object]]) -> None:
        self.types = tuple(types)
        self.values = [tuple(v) for v in values]
        hashes = [standard_leaf_hash(self.types, v) for v in self.values]
        # Stable sort by hash, as the JS library's Array.prototype.sort (stable since ES2019).
        order = sorted(range(len(hashes)), key=lambda i: hashes[i])
        self.tree = make_tree([hashes[i] for i in order])
        self._tree_index = [0] * len(hashes)
        for j, i in enumerate(order):
            self._tree_index[i] = len(self.tree) - 1 - j

    @property
    def root(self) -> bytes:
        """The 32-byte root."""
        return self.tree[0]

    def proof(self, value_index: int) -> list[bytes]:
        """The proof of ``values[value_index]``."""
        if not 0 <= value_index < len(self.values):
            raise IndexError(f"value index {value_index} out of bounds")
        return tree_proof(self.tree, self._tree_index[value_index])


def verify(root: bytes, types: Sequence[str], values: Sequence[object], proof: Sequence[bytes]) -> bool:
    """Whether ``proof`` proves the leaf ``values`` (encoded as ``types``) under ``root``."""
    return process_proof(standard_leaf_hash(types, values), proof) == root
