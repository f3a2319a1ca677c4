from apps.core.widgets import LargeSelect


def test_large_select_escapes_values_and_labels_and_marks_the_choice():
    widget = LargeSelect(choices=[("", "Any"), ("a&b", "<Alpha>"), ("c", "Gamma")])
    html = widget.render("organisation", "a&b", attrs={"id": "id_organisation"})
    assert html.startswith('<select id="id_organisation" name="organisation">')
    assert '<option value="a&amp;b" selected>&lt;Alpha&gt;</option>' in html
    assert '<option value="c">Gamma</option>' in html
    assert "<Alpha>" not in html
