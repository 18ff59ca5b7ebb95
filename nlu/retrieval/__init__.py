"""Ranking guides for a question: lexical BM25 fused with dense embeddings."""
