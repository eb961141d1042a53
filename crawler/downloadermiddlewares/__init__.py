"""Downloader middlewares of newscrawler (thin adapters over pure modules)."""
