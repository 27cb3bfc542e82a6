"""Data gathered from Chaturbate: Affiliate API cycles and the Events API feed."""
