"""Spider middlewares of newscrawler (thin adapters over pure modules)."""
