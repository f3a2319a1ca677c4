"""What `templates/includes/typeahead.html` shows when a filter's choice came from a link."""


def assert_shows_chosen_filter(
    body: str, *, label: str, name: str, value, text_name: str, remove: str
):
    """The choice is named, kept as the hidden identifier `name`, its label fills the text
    field `text_name`, and a link (`remove`: the query string without it) drops it."""
    assert f"Showing <strong>{label}</strong> only." in body
    assert f'name="{name}" value="{value}"' in body
    assert f'name="{text_name}" value="{label}"' in body
    assert f'<a href="{remove}">Remove' in body
