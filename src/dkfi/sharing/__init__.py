"""Sharing between the nations: label changes, the audit log's view, allied exports and federation."""
