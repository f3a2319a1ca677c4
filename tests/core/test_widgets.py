from apps.core.widgets import LargeSelect, RenderedOptions


def test_large_select_escapes_values_and_labels_and_marks_the_choice():
    widget = LargeSelect(choices=[("", "Any"), ("a&b", "<Alpha>"), ("c", "Gamma")])
    html = widget.render("organisation", "a&b", attrs={"id": "id_organisation"})
    assert html.startswith('<select id="id_organisation" name="organisation">')
    assert '<option value="a&amp;b" selected>&lt;Alpha&gt;</option>' in html
    assert '<option value="c">Gamma</option>' in html
    assert "<Alpha>" not in html


def test_large_select_with_prebuilt_options_marks_only_the_choice():
    pairs = [("", "Any"), ("a&b", "<Alpha>"), ("c", "Gamma")]
    options = RenderedOptions(pairs)
    widget = LargeSelect(choices=options)
    assert widget.choices is options  # kept whole, markup and all
    html = widget.render("organisation", "a&b", attrs={"id": "id_organisation"})
    assert html == LargeSelect(choices=pairs).render(
        "organisation", "a&b", attrs={"id": "id_organisation"}
    )
    assert options.html.count("selected") == 0  # the cached markup is left as it was
    assert widget.render("organisation", "unknown").count("selected") == 0


def test_large_select_with_prebuilt_options_is_required_only_with_an_empty_first_option():
    assert LargeSelect(choices=RenderedOptions([("", "Any"), ("c", "C")])).use_required_attribute(
        None
    )
    assert not LargeSelect(choices=RenderedOptions([("c", "C")])).use_required_attribute(None)
