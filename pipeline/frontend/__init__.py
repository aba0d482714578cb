"""The front half: articles -> claims -> actor mentions -> candidate pairs."""
