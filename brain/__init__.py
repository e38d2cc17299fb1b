"""Decisions, with no channel knowledge: language, router, answers, knowledge retrieval, LLM client."""
