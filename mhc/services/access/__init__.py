"""System users and their access: accounts, login sessions, throttling and two-factor."""
