"""Search over programmes: what people type, in Kazakh, Russian or English, found and ranked.

Nothing is imported here (models.py imports ``query``, and an ``__init__`` importing the engines,
which import the models, would make a cycle): import the module that holds what you need.

- ``query``: pure, no model and no database: parsing (``parse``, ``ParsedQuery``), ``normalise``,
  ``stem``, ``words``, synonyms (``expand``), the limits (``MAX_QUERY_LENGTH`` …), the relevance
  tiers (``TIERS``), the typo helpers both engines share, and the text a programme is found by
  (``document_for``, read by models.Programme.derive).
- ``matching``: the entry points: ``filter_by_words`` (a queryset, for feeds, alerts, exports),
  ``match_in_index`` (the search page's in-memory index), ``order_by_relevance``,
  ``relevance_ties``, ``spelt_alike``.
- ``documents``: PostgreSQL's stored search documents and typo vocabulary: ``vector_sql``,
  ``update_vectors``, ``deferred_vector_updates`` / ``flush_deferred``,
  ``rebuild_missing_documents``.
- ``postgres``: word search on PostgreSQL: tsqueries (``group_queries``), the queryset's steps
  (``plan``), typo corrections (``spelt_alike``).
- ``sqlite``: the same steps on SQLite with LIKE, and its in-process typo vocabulary.
- ``ranking``: ``Match`` and PostgreSQL's ``match`` over the index in numpy, with the match cache.
- ``highlight``: ``highlight``, the search words marked in a result's text.

Imports run one way: query ← documents, postgres ← ranking ← sqlite ← matching; highlight reads
query only.
"""
