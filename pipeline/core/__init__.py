"""The lowest layer: config, labels, marking, metrics and declared tables. Imports nothing else of the package."""
