"""Transparency logs: append-only Merkle logs of ballots, signed checkpoints, proofs."""
