"""One module per app, each with `seed(stdout) -> None`; `seed_demo` runs them in order because
later ones build on earlier ones."""
