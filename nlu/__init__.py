"""Understanding: normalisation, segmentation, intents, entities, retrieval."""
