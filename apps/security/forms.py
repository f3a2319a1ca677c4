from django import forms


class MfaResetForm(forms.Form):
    reason = forms.CharField(
        label="Why is the second factor being reset?",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: lost phone, identity checked by a video call. Kept in the audit log.",
    )
    confirm = forms.BooleanField(
        label="I have checked this person's identity and want to remove their authenticators.",
    )
