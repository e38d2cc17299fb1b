"""The knowledge base: chunking documents, indexing them in a vector collection, retrieving passages."""
