"""Service-guide knowledge: schema, loaders, importers, store, one-shot answers."""
