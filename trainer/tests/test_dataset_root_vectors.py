"""The trainer's dataset roots against the golden vectors the TypeScript protocol and the contracts read."""

import json
from pathlib import Path

from olp_trainer.data import dataset_root

VECTORS = Path(__file__).resolve().parents[2] / "test" / "vectors" / "dataset-roots.json"


def test_dataset_roots_match_the_shared_vectors() -> None:
    vectors = json.loads(VECTORS.read_text(encoding="utf-8"))
    assert vectors, "no dataset-root vectors"
    for vector in vectors:
        outputs = vector["outputs"]
        hashes = [bytes.fromhex(h[2:]) for h in outputs["sampleHashes"]]
        assert "0x" + dataset_root(hashes).hex() == outputs["root"], vector["name"]


def test_a_changed_sample_hash_changes_the_root() -> None:
    outputs = json.loads(VECTORS.read_text(encoding="utf-8"))[0]["outputs"]
    hashes = [bytes.fromhex(h[2:]) for h in outputs["sampleHashes"]]
    hashes[0] = bytes(32)
    assert "0x" + dataset_root(hashes).hex() != outputs["root"]
