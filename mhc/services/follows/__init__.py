"""Follows: the follow ledger, manual imports, held lists and unfollow insights."""
