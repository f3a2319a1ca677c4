from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe


class LargeSelect(forms.Select):
    """A <select> for thousands of options (e.g. every partner organisation in a filter).

    Django's Select renders one template per option, which costs about half a second for
    5,000 organisations; this builds the same escaped markup in one pass. Give it plain
    `(value, label)` tuples (e.g. from `values_list`) to skip model instances as well.
    """

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs["name"] = name
        selected = {str(v) for v in (value if isinstance(value, list | tuple) else [value])}
        options = "".join(
            f'<option value="{escape(option_value)}"'
            f"{' selected' if str(option_value) in selected else ''}>{escape(label)}</option>"
            for option_value, label in self.choices
        )
        return format_html("<select{}>{}</select>", flatatt(final_attrs), mark_safe(options))  # noqa: S308 - every part escaped above
