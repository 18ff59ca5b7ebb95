"""Importers that turn a centre's spreadsheets and documents into canonical YAML."""
