"""Gold corpora: fetch and verify, read into declared tables, build gold examples."""
