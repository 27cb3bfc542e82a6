"""The Users feature: the person lists, the Profile page, priority lookups and thumbnails."""
