"""Merkle trees as RFC 9162 §2.1 defines them (the hashing of RFC 6962, Certificate Transparency).

Standard library only: the offline verifier (`python -m activecitizen.verify`) and the witness
import this module without Django.

Hashes are 32-byte `bytes` (SHA-256):

- the empty tree: MTH({}) = SHA-256("")                        `EMPTY_ROOT`
- a leaf:         MTH({d}) = SHA-256(0x00 || d)                `leaf_hash(d)`
- an inner node:  SHA-256(0x01 || left || right)               `node_hash(left, right)`

The 0x00/0x01 prefixes keep a leaf from ever being passed off as an inner node (second
preimages). A tree of n > 1 leaves splits at k, the largest power of two smaller than n:
MTH(D[n]) = node_hash(MTH(D[0:k]), MTH(D[k:n])).

Node addresses. The server stores only the hashes of *complete* subtrees, which never change
once formed: node (level, index) is the hash of the 2**level leaves
[index * 2**level, (index + 1) * 2**level). Level 0 holds the leaf hashes. Every proof below is
built from `node(level, index)` look-ups of complete subtrees inside the requested tree size;
the right edge of a tree whose size is not a power of two is recomputed from its complete parts
by `range_root`, so a proof costs O(log n) look-ups, and `nodes_needed_for_*` list them all up
front so that the server can fetch them in one query.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "NodeLookup",
    "TreeFrontier",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "new_complete_subtrees",
    "node_hash",
    "nodes_needed_for_consistency",
    "nodes_needed_for_inclusion",
    "range_root",
    "root_from_inclusion_proof",
    "root_from_leaf_hashes",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
_sha256 = hashlib.sha256

EMPTY_ROOT: bytes = _sha256(b"").digest()

#: `node(level, index)` returns the stored hash of a complete subtree (see the module docstring).
NodeLookup = Callable[[int, int], bytes]

_PLACEHOLDER = bytes(HASH_SIZE)


def leaf_hash(data: bytes) -> bytes:
    """The leaf hash of an entry: SHA-256(0x00 || data)."""
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an inner node: SHA-256(0x01 || left || right)."""
    return _sha256(b"\x01" + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """k with k < n <= 2k, for n > 1 (the split point of RFC 9162 §2.1.1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


# --- Roots ----------------------------------------------------------------------------------------


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """MTH of the leaves with these leaf hashes (EMPTY_ROOT for none).

    Level by level: pair neighbours, carry a lone last node up unchanged. That builds exactly
    the RFC's tree (split at the largest power of two) because the left part of every split is
    a complete, aligned subtree. One list comprehension per level keeps the work in C: a million
    leaves take about a second.
    """
    level = list(hashes)
    if not level:
        return EMPTY_ROOT
    sha = _sha256
    while len(level) > 1:
        odd = level[-1] if len(level) & 1 else None
        it = iter(level)
        level = [sha(b"\x01" + left + right).digest() for left, right in zip(it, it, strict=False)]
        if odd is not None:
            level.append(odd)
    return level[0]


def range_root(start: int, end: int, node: NodeLookup) -> bytes:
    """MTH(D[start:end]) from complete-subtree look-ups (EMPTY_ROOT when start == end).

    Aligned power-of-two ranges are a single stored node; anything else splits as the RFC
    does, relative to `start`. For the ranges proofs ask about (`start` aligned to a power of
    two at least `end - start`, e.g. the right edge [k, n) of a tree) that is at most one
    look-up per set bit of `end - start`.
    """
    if not 0 <= start <= end:
        raise ValueError(f"invalid range [{start}, {end})")
    if start == end:
        return EMPTY_ROOT
    return _range_root(start, end, node)


def _range_root(start: int, end: int, node: NodeLookup) -> bytes:
    n = end - start
    if n & (n - 1) == 0 and start % n == 0:
        return node(n.bit_length() - 1, start // n)
    k = _largest_power_of_two_below(n)
    return node_hash(_range_root(start, start + k, node), _range_root(start + k, end, node))


# --- Proofs (server side) -------------------------------------------------------------------------


def inclusion_proof(index: int, size: int, node: NodeLookup) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 §2.1.3.1: the audit path of leaf `index`, leaf first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    # PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])       for m < k
    #               = PATH(m - k, D[k:n]) : MTH(D[0:k])   for m >= k
    # Walking down from the root collects the siblings top first; the proof lists them
    # bottom first.
    siblings: list[bytes] = []
    start, end, m = 0, size, index
    while end - start > 1:
        k = _largest_power_of_two_below(end - start)
        if m < k:
            siblings.append(_range_root(start + k, end, node))
            end = start + k
        else:
            siblings.append(_range_root(start, start + k, node))
            start += k
            m -= k
    siblings.reverse()
    return siblings


def consistency_proof(first: int, second: int, node: NodeLookup) -> list[bytes]:
    """PROOF(first, D[second]) of RFC 9162 §2.1.4.1.

    `first == second` gives the empty proof (equal trees need none; `verify_consistency`
    accepts it when the roots are equal). `first == 0` raises ValueError: RFC 9162 defines
    consistency proofs for 0 < first only, and the empty tree is trivially a prefix of any
    tree, so there is nothing a proof could say.
    """
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    if first == second:
        return []
    # SUBPROOF(m, D[m], true) = {};  SUBPROOF(m, D[m], false) = {MTH(D[m])}
    # SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])          for m <= k
    #                      = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])  for m > k
    parts: list[bytes] = []
    start, end, m, b = 0, second, first, True
    while True:
        n = end - start
        if m == n:
            if not b:
                parts.append(_range_root(start, end, node))
            break
        k = _largest_power_of_two_below(n)
        if m <= k:
            parts.append(_range_root(start + k, end, node))
            end = start + k
        else:
            parts.append(_range_root(start, start + k, node))
            start += k
            m -= k
            b = False
    parts.reverse()
    return parts


def _recorded_lookups(build: Callable[[NodeLookup], object]) -> list[tuple[int, int]]:
    calls: list[tuple[int, int]] = []

    def lookup(level: int, index: int) -> bytes:
        calls.append((level, index))
        return _PLACEHOLDER

    build(lookup)
    return calls


def nodes_needed_for_inclusion(index: int, size: int) -> list[tuple[int, int]]:
    """The (level, index) nodes `inclusion_proof(index, size, node)` will look up.

    Computed by running the same code with a recording look-up, so the two cannot disagree.
    """
    return _recorded_lookups(lambda node: inclusion_proof(index, size, node))


def nodes_needed_for_consistency(first: int, second: int) -> list[tuple[int, int]]:
    """The (level, index) nodes `consistency_proof(first, second, node)` will look up."""
    return _recorded_lookups(lambda node: consistency_proof(first, second, node))


# --- Verification (client side) -------------------------------------------------------------------


def _all_hashes(*groups: Sequence[bytes]) -> bool:
    return all(isinstance(h, bytes) and len(h) == HASH_SIZE for group in groups for h in group)


def root_from_inclusion_proof(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes]
) -> bytes | None:
    """The root that `proof` implies for leaf hash `leaf` at `index` (None if malformed).

    RFC 9162 §2.1.3.2 steps 1–4; the proof must have exactly the length the size implies.
    """
    if not 0 <= index < size or not _all_hashes([leaf], proof):
        return None
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            return None  # a longer proof than the tree is tall
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return None  # a shorter proof than the tree is tall
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: does `proof` show leaf hash `leaf` at `index` in the tree `root`?

    `leaf` is the leaf *hash* (`leaf_hash(data)`), not the entry. `index >= size` is False.
    """
    computed = root_from_inclusion_proof(index, size, leaf, proof)
    return computed is not None and _all_hashes([root]) and computed == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: is the tree `first_root` of size `first` a prefix of `second_root`?

    Beyond the RFC's 0 < first < second: `first == second` holds exactly when the proof is
    empty and the roots are equal. `first == 0` is always False: RFC 9162 defines no proof
    from the empty tree (it is a prefix of every tree; a caller that meets size 0 should check
    `first_root == EMPTY_ROOT` itself).
    """
    if not _all_hashes([first_root, second_root], proof):
        return False
    if not 0 < first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    # 1. An empty path proves nothing.
    if not proof:
        return False
    # 2. If first is an exact power of 2, the first tree is itself a node: prepend its root.
    path = [first_root, *proof] if _is_power_of_two(first) else list(proof)
    # 3.
    fn, sn = first - 1, second - 1
    # 4.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5.
    fr = sr = path[0]
    # 6.
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    # 7.
    return sn == 0 and fr == first_root and sr == second_root


# --- Incremental appends (the sealer, the verifier) -----------------------------------------------


class TreeFrontier:
    """The right edge of a growing tree: one complete subtree per set bit of its size.

    This "compact range" is all that appending needs: a new leaf merges with the smallest
    subtrees while they have its size, exactly as a binary counter carries. The sealer keeps
    one per log (restored from `frontier_nodes(size)` read back from its stored nodes) and
    stores what `append` returns; the verifier feeds it every leaf of an export.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        """A frontier of a tree of `size` leaves, from the hashes of `frontier_nodes(size)`."""
        if size < 0:
            raise ValueError("a tree size cannot be negative")
        if len(hashes) != size.bit_count():
            raise ValueError(
                f"a tree of size {size} has {size.bit_count()} frontier nodes, got {len(hashes)}"
            )
        if not _all_hashes(hashes):
            raise ValueError("frontier hashes must be 32-byte bytes")
        self._size = size
        self._hashes: list[bytes] = list(hashes)

    @staticmethod
    def frontier_nodes(size: int) -> list[tuple[int, int]]:
        """The (level, index) of the right-edge complete subtrees of a tree, largest first."""
        if size < 0:
            raise ValueError("a tree size cannot be negative")
        nodes: list[tuple[int, int]] = []
        offset = 0
        for level in range(size.bit_length() - 1, -1, -1):
            if size >> level & 1:
                nodes.append((level, offset >> level))
                offset += 1 << level
        return nodes

    @property
    def size(self) -> int:
        return self._size

    @property
    def hashes(self) -> list[bytes]:
        """The frontier's hashes, in the order of `frontier_nodes(size)` (a copy)."""
        return list(self._hashes)

    def copy(self) -> TreeFrontier:
        return TreeFrontier(self._size, self._hashes)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Append a leaf hash; return every complete node it forms, (0, index, leaf) first."""
        if not isinstance(leaf, bytes) or len(leaf) != HASH_SIZE:
            raise ValueError("a leaf hash is 32 bytes")
        index = self._size
        formed = [(0, index, leaf)]
        hashes = self._hashes
        h = leaf
        level = 0
        # Leaf `index` closes one subtree per trailing 1-bit of `index`.
        while index & 1:
            h = _sha256(b"\x01" + hashes.pop() + h).digest()
            index >>= 1
            level += 1
            formed.append((level, index, h))
        hashes.append(h)
        self._size += 1
        return formed

    def push(self, leaf: bytes) -> None:
        """`append` without reporting the new nodes (the verifier's hot loop)."""
        if len(leaf) != HASH_SIZE:
            raise ValueError("a leaf hash is 32 bytes")
        index = self._size
        hashes = self._hashes
        h = leaf
        while index & 1:
            h = _sha256(b"\x01" + hashes.pop() + h).digest()
            index >>= 1
        hashes.append(h)
        self._size += 1

    def root(self) -> bytes:
        """MTH of the tree so far: the frontier folded right to left (EMPTY_ROOT when empty)."""
        hashes = self._hashes
        if not hashes:
            return EMPTY_ROOT
        r = hashes[-1]
        for h in reversed(hashes[:-1]):
            r = _sha256(b"\x01" + h + r).digest()
        return r


def new_complete_subtrees(
    size: int, frontier: Sequence[bytes], leaves: Sequence[bytes], lowest_level: int = 1
) -> list[tuple[int, int, bytes]]:
    """The (level, index, hash) of every complete subtree at `lowest_level` or above that
    appending these leaf hashes to a tree of `size` leaves forms, level by level, lowest first.

    `frontier` is the tree's TreeFrontier hashes (those of `frontier_nodes(size)`): the left
    sibling of a level's first new node, when there is one, is the frontier node of that level.
    What `TreeFrontier.append` reports leaf by leaf, computed a level at a time, so that the
    hashing stays in C: a sealer's batch of 50,000 leaves takes tens of milliseconds.
    """
    edge = {
        level: h
        for (level, _index), h in zip(TreeFrontier.frontier_nodes(size), frontier, strict=True)
    }
    sha = _sha256
    formed: list[tuple[int, int, bytes]] = []
    nodes, start, level = list(leaves), size, 0  # the new nodes at `level`, from index `start`
    while True:
        if start & 1:  # the first is a right child: its left sibling was complete already
            nodes.insert(0, edge[level])
            start -= 1
        if len(nodes) < 2:
            return formed
        it = iter(nodes)  # a last node without a right sibling forms nothing yet
        nodes = [sha(b"\x01" + left + right).digest() for left, right in zip(it, it, strict=False)]
        start >>= 1
        level += 1
        if level >= lowest_level:
            formed.extend((level, start + i, h) for i, h in enumerate(nodes))
