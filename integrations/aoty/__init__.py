"""albumoftheyear.org: fetchers (Playwright or plain HTTP), pure parsers, and a client joining them."""
