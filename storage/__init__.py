"""Persistence: MongoDB repositories, Redis (or an in-process fallback), Chroma and embeddings."""
