"""Accounts: who someone is, what proves it (sessions, access tokens), their profile and role."""
