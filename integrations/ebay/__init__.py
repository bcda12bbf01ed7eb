"""eBay Browse API: OAuth client-credentials token, item search and item details, under a daily call budget."""
