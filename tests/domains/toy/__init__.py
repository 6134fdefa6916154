"""A toy domain, added through the registry alone: a labelled table, an API router, a page with a navigation
entry, a CLI group, a federated record type and an export layer (tests/domains/test_toy_domain.py)."""
