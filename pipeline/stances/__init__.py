"""The application: stances of a user corpus, pair aggregates and actor networks."""
