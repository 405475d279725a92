"""The curated first data set and its loader."""
