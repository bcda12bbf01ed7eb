"""Internet Archive client: advancedsearch, scrape, metadata and file downloads (etree collection)."""
