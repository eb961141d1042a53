"""Downloader middlewares: URL-safety policy, polite retries, robots.txt failure policy."""
