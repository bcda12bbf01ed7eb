"""Outgoing webhooks: JSON POSTs signed with HMAC-SHA256, only to public https addresses."""
