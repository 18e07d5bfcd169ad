"""Dates and times in one format per language across every page (FORMAT_MODULE_PATH):
templates and code name these formats instead of writing their own."""
