"""RFC 9162 Merkle trees: the published reference vectors, then properties against a reference
implementation written straight from the RFC's recursive definitions."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from activecitizen.transparency.merkle import (
    EMPTY_ROOT,
    TreeFrontier,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    new_complete_subtrees,
    node_hash,
    nodes_needed_for_consistency,
    nodes_needed_for_inclusion,
    range_root,
    root_from_inclusion_proof,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

h = bytes.fromhex

# --- Reference vectors ----------------------------------------------------------------------------
# From github.com/transparency-dev/merkle (Apache-2.0), the successor of the RFC 6962 test data
# of github.com/google/certificate-transparency-go: testonly/constants.go (LeafInputs,
# NodeHashes, RootHashes, CompactTrees) and proof/verify_test.go (inclusionProofs,
# consistencyProofs). In verify_test.go `leaf` is 1-based; below the indexes are 0-based.

LEAF_INPUTS = [
    h(""),
    h("00"),
    h("10"),
    h("2021"),
    h("3031"),
    h("40414243"),
    h("5051525354555657"),
    h("606162636465666768696a6b6c6d6e6f"),
]

NODE_HASHES = [
    [
        h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        h("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
        h("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
        h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        h("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
        h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
        h("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
    ],
    [
        h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
        h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
    ],
    [
        h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    ],
    [
        h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
    ],
]

# Indexed by tree size, 0..8.
ROOT_HASHES = [
    h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]

# (0-based leaf index, tree size, path)
INCLUSION_VECTORS = [
    (
        0,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (2, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        1,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (0, 1, []),
]

# (first size, second size, path)
CONSISTENCY_VECTORS = [
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]


def vector_node(level: int, index: int) -> bytes:
    return NODE_HASHES[level][index]


def test_empty_root_is_sha256_of_nothing():
    assert EMPTY_ROOT == hashlib.sha256(b"").digest() == ROOT_HASHES[0]
    assert root_from_leaf_hashes([]) == EMPTY_ROOT
    assert TreeFrontier().root() == EMPTY_ROOT


def test_leaf_and_node_hashes_match_the_vectors():
    assert [leaf_hash(d) for d in LEAF_INPUTS] == NODE_HASHES[0]
    for level in range(1, 4):
        below = NODE_HASHES[level - 1]
        assert NODE_HASHES[level] == [
            node_hash(below[2 * i], below[2 * i + 1]) for i in range(len(below) // 2)
        ]


@pytest.mark.parametrize("size", range(9))
def test_roots_match_the_vectors(size):
    leaves = [leaf_hash(d) for d in LEAF_INPUTS[:size]]
    assert root_from_leaf_hashes(leaves) == ROOT_HASHES[size]
    assert range_root(0, size, vector_node) == ROOT_HASHES[size]


def test_frontier_matches_the_compact_tree_vectors():
    # CompactTrees(): the frontier hashes of every size.
    nh = NODE_HASHES
    compact = [
        [],
        [nh[0][0]],
        [nh[1][0]],
        [nh[1][0], nh[0][2]],
        [nh[2][0]],
        [nh[2][0], nh[0][4]],
        [nh[2][0], nh[1][2]],
        [nh[2][0], nh[1][2], nh[0][6]],
        [nh[3][0]],
    ]
    frontier = TreeFrontier()
    for size in range(9):
        assert frontier.hashes == compact[size]
        assert [vector_node(*n) for n in TreeFrontier.frontier_nodes(size)] == compact[size]
        assert frontier.root() == ROOT_HASHES[size]
        if size < 8:
            frontier.append(leaf_hash(LEAF_INPUTS[size]))


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION_VECTORS)
def test_inclusion_vectors(index, size, path):
    assert inclusion_proof(index, size, vector_node) == path
    leaf = leaf_hash(LEAF_INPUTS[index])
    assert verify_inclusion(index, size, leaf, path, ROOT_HASHES[size])
    # The corruptions transparency-dev's verifier test applies (corruptInclusionProof).
    some_hash = h("abacaba000000000000000000000000000000000000000000060061e00123456")
    root = ROOT_HASHES[size]
    assert not verify_inclusion(index - 1, size, leaf, path, root)
    assert not verify_inclusion(index + 1, size, leaf, path, root)
    assert not verify_inclusion(index ^ 2, size, leaf, path, root)
    assert not verify_inclusion(index, size * 2, leaf, path, root)
    assert not verify_inclusion(index, size // 2, leaf, path, root)
    assert not verify_inclusion(index, size, leaf_hash(b"WrongLeaf"), path, root)
    assert not verify_inclusion(index, size, leaf, path, EMPTY_ROOT)
    assert not verify_inclusion(index, size, leaf, path, some_hash)
    assert not verify_inclusion(index, size, leaf, [*path, b""], root)
    assert not verify_inclusion(index, size, leaf, [*path, root], root)
    assert not verify_inclusion(index, size, leaf, [b"", *path], root)
    assert not verify_inclusion(index, size, leaf, [root, *path], root)
    for i in range(len(path)):
        bad = list(path)
        bad[i] = bytes([bad[i][0] ^ 8]) + bad[i][1:]
        assert not verify_inclusion(index, size, leaf, bad, root)
    if path:
        assert not verify_inclusion(index, size, leaf, path[:-1], root)
    if len(path) > 1:
        assert not verify_inclusion(index, size, leaf, [path[0], some_hash, *path[1:]], root)


@pytest.mark.parametrize(("first", "second", "path"), CONSISTENCY_VECTORS)
def test_consistency_vectors(first, second, path):
    assert consistency_proof(first, second, vector_node) == path
    root1, root2 = ROOT_HASHES[first], ROOT_HASHES[second]
    assert verify_consistency(first, second, root1, root2, path)
    if not path:
        return
    # corruptConsistencyProof of transparency-dev's verifier test.
    assert not verify_consistency(first - 1, second, root1, root2, path)
    assert not verify_consistency(first + 1, second, root1, root2, path)
    assert not verify_consistency(first ^ 2, second, root1, root2, path)
    assert not verify_consistency(first, second * 2, root1, root2, path)
    assert not verify_consistency(first, second // 2, root1, root2, path)
    assert not verify_consistency(first, second, b"WrongRoot", root2, path)
    assert not verify_consistency(first, second, root1, b"WrongRoot", path)
    assert not verify_consistency(first, second, root2, root1, path)
    assert not verify_consistency(first, second, root1, root2, [])
    for extra in (b"", root1, root2):
        assert not verify_consistency(first, second, root1, root2, [*path, extra])
    for extra in (b"", root1, root2, path[0]):
        assert not verify_consistency(first, second, root1, root2, [extra, *path])
    assert not verify_consistency(first, second, root1, root2, path[:-1])
    for i in range(len(path)):
        bad = list(path)
        bad[i] = bytes([bad[i][0] ^ 16]) + bad[i][1:]
        assert not verify_consistency(first, second, root1, root2, bad)


def test_consistency_edge_cases():
    # Equal sizes: empty proof and equal roots; anything else fails.
    r = ROOT_HASHES[3]
    assert verify_consistency(3, 3, r, r, [])
    assert not verify_consistency(3, 3, r, ROOT_HASHES[4], [])
    assert not verify_consistency(3, 3, r, r, [EMPTY_ROOT])
    # Time travel to the past.
    assert not verify_consistency(4, 3, ROOT_HASHES[4], r, [])
    # From the empty tree: RFC 9162 has no such proof; we refuse it rather than guess.
    assert not verify_consistency(0, 3, EMPTY_ROOT, r, [])
    assert not verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    with pytest.raises(ValueError):
        consistency_proof(0, 3, vector_node)
    with pytest.raises(ValueError):
        consistency_proof(4, 3, vector_node)
    assert consistency_proof(5, 5, vector_node) == []


def test_inclusion_edge_cases():
    leaf = leaf_hash(b"data")
    # A one-leaf tree: the root is the leaf hash and the path is empty.
    assert verify_inclusion(0, 1, leaf, [], leaf)
    assert not verify_inclusion(0, 1, leaf, [], b"")
    assert not verify_inclusion(0, 1, b"", [], leaf)
    for index, size in [(0, 0), (1, 0), (2, 1), (1, 1), (-1, 1)]:
        assert not verify_inclusion(index, size, leaf, [], leaf)
        assert root_from_inclusion_proof(index, size, leaf, []) is None
    with pytest.raises(ValueError):
        inclusion_proof(8, 8, vector_node)
    with pytest.raises(ValueError):
        inclusion_proof(0, 0, vector_node)


def test_range_root_rejects_bad_ranges():
    assert range_root(3, 3, vector_node) == EMPTY_ROOT
    with pytest.raises(ValueError):
        range_root(4, 3, vector_node)
    with pytest.raises(ValueError):
        range_root(-1, 3, vector_node)


def test_frontier_rejects_a_wrong_number_of_hashes():
    with pytest.raises(ValueError):
        TreeFrontier(3, [ROOT_HASHES[2]])
    with pytest.raises(ValueError):
        TreeFrontier(1, [b"short"])
    with pytest.raises(ValueError):
        TreeFrontier().append(b"short")


# --- Properties against a reference implementation ------------------------------------------------


def ref_mth(leaves: list[bytes]) -> bytes:
    """MTH(D[n]) of RFC 9162 §2.1.1, recursively, over leaf hashes."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + ref_mth(leaves[:k]) + ref_mth(leaves[k:])).digest()


def ref_path(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1."""
    n = len(leaves)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*ref_path(m, leaves[:k]), ref_mth(leaves[k:])]
    return [*ref_path(m - k, leaves[k:]), ref_mth(leaves[:k])]


def ref_subproof(m: int, leaves: list[bytes], b: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) of RFC 9162 §2.1.4.1."""
    n = len(leaves)
    if m == n:
        return [] if b else [ref_mth(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*ref_subproof(m, leaves[:k], b), ref_mth(leaves[k:])]
    return [*ref_subproof(m - k, leaves[k:], False), ref_mth(leaves[:k])]


class StoredTree:
    """What the server stores: every complete subtree's hash, by (level, index)."""

    def __init__(self, size: int, seed: int = 0) -> None:
        self.leaves = [leaf_hash(f"{seed}:{i}".encode()) for i in range(size)]
        self.nodes: dict[tuple[int, int], bytes] = {}
        level, row = 0, self.leaves
        while row:
            for i, x in enumerate(row):
                self.nodes[level, i] = x
            row = [node_hash(row[2 * i], row[2 * i + 1]) for i in range(len(row) // 2)]
            level += 1
        self.lookups: list[tuple[int, int]] = []

    def node(self, level: int, index: int) -> bytes:
        self.lookups.append((level, index))
        return self.nodes[level, index]  # KeyError for a node that is not complete


def flip(data: bytes, position: int) -> bytes:
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]


@settings(max_examples=60, deadline=None)
@given(size=st.integers(1, 600))
def test_every_inclusion_proof_verifies_and_matches_the_rfc(size):
    tree = StoredTree(size)
    root = ref_mth(tree.leaves)
    assert root_from_leaf_hashes(tree.leaves) == root
    assert range_root(0, size, tree.node) == root
    for index in range(size):
        tree.lookups.clear()
        proof = inclusion_proof(index, size, tree.node)
        assert tree.lookups == nodes_needed_for_inclusion(index, size)
        assert len(tree.lookups) <= 2 * size.bit_length()
        assert proof == ref_path(index, tree.leaves)
        assert verify_inclusion(index, size, tree.leaves[index], proof, root)
        if size > 1:
            # The proof of one leaf does not show another leaf at that place, nor this leaf
            # at another place.
            other = (index + 1) % size
            assert not verify_inclusion(other, size, tree.leaves[index], proof, root)
            assert not verify_inclusion(index, size, tree.leaves[other], proof, root)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), size=st.integers(2, 600))
def test_tampering_with_an_inclusion_proof_fails(data, size):
    tree = StoredTree(size, seed=1)
    index = data.draw(st.integers(0, size - 1))
    root = ref_mth(tree.leaves)
    leaf = tree.leaves[index]
    proof = inclusion_proof(index, size, tree.node)
    assert verify_inclusion(index, size, leaf, proof, root)
    i = data.draw(st.integers(0, len(proof) - 1))
    byte = data.draw(st.integers(0, 31))
    bad = list(proof)
    bad[i] = flip(bad[i], byte)
    assert not verify_inclusion(index, size, leaf, bad, root)
    assert not verify_inclusion(index, size, flip(leaf, byte), proof, root)
    assert not verify_inclusion(index, size, leaf, proof, flip(root, byte))
    assert not verify_inclusion(index, size, leaf, proof[:-1], root)
    assert not verify_inclusion(index, size, leaf, [*proof, root], root)
    wrong = data.draw(st.integers(0, size - 1).filter(lambda j: j != index))
    assert not verify_inclusion(wrong, size, leaf, proof, root)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), second=st.integers(1, 600))
def test_every_consistency_proof_verifies_and_matches_the_rfc(data, second):
    first = data.draw(st.integers(1, second))
    tree = StoredTree(second, seed=2)
    root1, root2 = ref_mth(tree.leaves[:first]), ref_mth(tree.leaves)
    tree.lookups.clear()
    proof = consistency_proof(first, second, tree.node)
    assert tree.lookups == nodes_needed_for_consistency(first, second)
    assert len(tree.lookups) <= 2 * second.bit_length() + 1
    assert proof == (ref_subproof(first, tree.leaves, True) if first < second else [])
    assert verify_consistency(first, second, root1, root2, proof)
    # Every look-up is of a complete subtree that lies inside the second tree.
    for level, index in tree.lookups:
        assert (index + 1) << level <= second


@settings(max_examples=200, deadline=None)
@given(data=st.data(), second=st.integers(2, 600))
def test_tampering_with_a_consistency_proof_fails(data, second):
    first = data.draw(st.integers(1, second - 1))
    tree = StoredTree(second, seed=3)
    root1, root2 = ref_mth(tree.leaves[:first]), ref_mth(tree.leaves)
    proof = consistency_proof(first, second, tree.node)
    assert verify_consistency(first, second, root1, root2, proof)
    byte = data.draw(st.integers(0, 31))
    i = data.draw(st.integers(0, len(proof) - 1))
    bad = list(proof)
    bad[i] = flip(bad[i], byte)
    assert not verify_consistency(first, second, root1, root2, bad)
    assert not verify_consistency(first, second, flip(root1, byte), root2, proof)
    assert not verify_consistency(first, second, root1, flip(root2, byte), proof)
    assert not verify_consistency(first, second, root1, root2, proof[:-1])
    assert not verify_consistency(first, second, root1, root2, [*proof, root1])
    # A tree that differs in any one leaf of the first tree is not an extension of it.
    changed = list(tree.leaves)
    j = data.draw(st.integers(0, first - 1))
    changed[j] = flip(changed[j], byte)
    assert not verify_consistency(first, second, root1, ref_mth(changed), proof)


@settings(max_examples=30, deadline=None)
@given(size=st.integers(0, 600), cut=st.integers(0, 600))
def test_frontier_root_equals_the_tree_root_for_every_prefix(size, cut):
    tree = StoredTree(size, seed=4)
    frontier = TreeFrontier()
    formed: dict[tuple[int, int], bytes] = {}
    restored: TreeFrontier | None = None
    for n, leaf in enumerate(tree.leaves):
        assert frontier.root() == root_from_leaf_hashes(tree.leaves[:n])
        if n == min(cut, size):
            # Restart from the stored frontier nodes, as the sealer does after a restart.
            nodes = TreeFrontier.frontier_nodes(n)
            restored = TreeFrontier(n, [tree.nodes[node] for node in nodes])
        for level, index, value in frontier.append(leaf):
            formed[level, index] = value
        if restored is not None:
            restored.push(leaf)
            assert restored.root() == frontier.root()
            assert restored.hashes == frontier.hashes
    assert frontier.size == size
    assert frontier.root() == ref_mth(tree.leaves)
    # `append` reports exactly the complete subtrees, each once, with the right hash.
    assert formed == tree.nodes


def test_frontier_and_level_by_level_roots_agree_on_a_large_tree():
    # Not a benchmark: a guard against an accidental quadratic algorithm.
    leaves = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(1 << 17)]
    frontier = TreeFrontier()
    for leaf in leaves:
        frontier.push(leaf)
    assert frontier.root() == root_from_leaf_hashes(leaves)


@settings(max_examples=60, deadline=None)
@given(size=st.integers(0, 300), added=st.integers(0, 300), lowest=st.integers(1, 6))
def test_new_complete_subtrees_are_what_appending_leaf_by_leaf_forms(size, added, lowest):
    # The sealer's batch at a time against TreeFrontier.append's leaf at a time, from a tree
    # restored from its frontier (as a seal starts from the log's stored one).
    tree = StoredTree(size + added, seed=5)
    before = TreeFrontier(size, [tree.nodes[node] for node in TreeFrontier.frontier_nodes(size)])
    by_leaf = before.copy()
    expected = [
        node for leaf in tree.leaves[size:] for node in by_leaf.append(leaf) if node[0] >= lowest
    ]
    formed = new_complete_subtrees(size, before.hashes, tree.leaves[size:], lowest)
    assert sorted(formed) == sorted(expected)
    assert len(set(formed)) == len(formed)
