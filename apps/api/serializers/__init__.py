"""Input and output serializers, one module per domain (STYLE.md §4: separate in and out)."""
