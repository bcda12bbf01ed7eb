"""ListenBrainz API client (submit-listens, validate-token); also talks to compatible servers (Maloja, Koito)."""
