"""Claim and actor-pair stance pipeline."""
