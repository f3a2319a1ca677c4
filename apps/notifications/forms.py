from django import forms

from apps.notifications.models import Delivery, EventType


class PreferencesForm(forms.Form):
    """One radio group per event type; initial values are the person's current deliveries."""

    def __init__(self, *args, current: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        for event in EventType:
            self.fields[event.value] = forms.ChoiceField(
                label=event.label,
                choices=Delivery.choices,
                initial=current.get(event.value),
                widget=forms.RadioSelect,
            )

    def deliveries(self) -> dict[str, str]:
        return {event: self.cleaned_data[event] for event in EventType.values}
