"""LongSelect: a long flat select written out without a template per option."""

from django import forms

from apps.core.widgets import LongSelect


class _ZoneForm(forms.Form):
    zone = forms.ChoiceField(
        choices=[("", "The default"), ("Europe/Paris", "Paris"), ("<b>", 'Odd "label" & co')],
        required=False,
        widget=LongSelect(attrs={"data-kind": "zones"}),
    )


def test_the_chosen_option_is_selected_and_the_others_are_not():
    html = str(_ZoneForm(initial={"zone": "Europe/Paris"})["zone"])
    assert '<option value="Europe/Paris" selected>Paris</option>' in html
    assert '<option value="">The default</option>' in html
    assert html.count(" selected") == 1


def test_values_and_labels_are_escaped():
    html = str(_ZoneForm()["zone"])
    assert '<option value="&lt;b&gt;">Odd &quot;label&quot; &amp; co</option>' in html
    assert "<b>" not in html


def test_the_select_keeps_its_name_id_and_attributes():
    html = str(_ZoneForm(data={"zone": "nowhere"})["zone"].as_widget(attrs={"class": "x"}))
    assert html.startswith("<select ")
    for attribute in ('name="zone"', 'id="id_zone"', 'class="x"', 'data-kind="zones"'):
        assert attribute in html
    assert " selected" not in html
