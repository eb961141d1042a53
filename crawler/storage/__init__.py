"""Storage, pure: JSON Lines output and the seen-article state. No Scrapy import."""
