"""Web Push (RFC 8030/8291/8292): encrypted notifications to a browser's push service, signed with VAPID."""
