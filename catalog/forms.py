"""Shape validation for the catalog pages; the services enforce the rules."""

import datetime

from django import forms
from django.utils import timezone

from catalog.choices import DATA_PRODUCT_TYPES, Criticality, Sensitivity, TokenScope


class ServiceFormMixin:
    """Bootstrap's invalid state on the fields with errors, whether the form's own checks or a
    service's refusal (``common.messages.submit``) put them there."""

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                css = widget.attrs.get("class", "")
                if "is-invalid" not in css.split():
                    widget.attrs["class"] = f"{css} is-invalid".strip()


class ApiTokenForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(
        max_length=100, label="Name", help_text="What the token is for, such as “CI pipeline”.",
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    scope = forms.ChoiceField(
        choices=TokenScope.choices, initial=TokenScope.READ, label="Scope",
        help_text="Read tokens can list and download; write tokens can also create, change and upload.",
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    expires_at = forms.DateField(
        required=False, label="Expires on",
        help_text="Optional. The token stops working at the end of this day (UTC).",
        widget=forms.DateInput(attrs={"class": "form-control", "type": "date"}),
    )

    def expiry(self) -> datetime.datetime | None:
        """The end of the chosen day, as the moment the service stores."""
        day = self.cleaned_data.get("expires_at")
        if day is None:
            return None
        return datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min, tzinfo=datetime.UTC)


def token_status(token) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= timezone.now():
        return "expired"
    return "active"


class LineageEdgeForm(forms.Form):
    """Add a source or a consumer. ``other`` is the product's id, filled in when it is picked
    from the list; ``other_name`` is what was typed (a name, or ``Name (space)`` as the list
    shows it), so the form also works without the page's script."""

    _DIRECTION_ERROR = "Choose whether the product is a source or a consumer."

    direction = forms.ChoiceField(choices=[("upstream", "a source"), ("downstream", "a consumer")],
                                  error_messages={"required": _DIRECTION_ERROR, "invalid_choice": _DIRECTION_ERROR})
    other = forms.CharField(required=False)
    other_name = forms.CharField(required=False, max_length=300,
                                 error_messages={"max_length": "No product has a name this long."})

    def clean(self):
        data = super().clean()
        if not data.get("other") and not data.get("other_name") and "other_name" not in self.errors:
            raise forms.ValidationError("Type part of the product's name and pick it from the list.")
        return data

    def error_text(self) -> str:
        return " ".join(str(message) for messages in self.errors.values() for message in messages)


class DataProductForm(ServiceFormMixin, forms.Form):
    product_type = forms.ChoiceField(choices=[(t.value, t.label) for t in DATA_PRODUCT_TYPES], label="Type")
    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    documentation = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 5}),
                                    help_text="Markdown.")
    provider = forms.CharField(max_length=200, required=False)
    hosting_location = forms.CharField(max_length=200, required=False)
    criticality = forms.ChoiceField(choices=Criticality.choices, initial=Criticality.MEDIUM)
    sensitivity = forms.ChoiceField(choices=Sensitivity.choices, initial=Sensitivity.INTERNAL)
    tags = forms.CharField(required=False, help_text="Comma-separated.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-select" if isinstance(field, forms.ChoiceField)
                                          else "form-control")

    def product_data(self) -> tuple[dict, list[str]]:
        """(fields for ``products.data_product_create``, tags)."""
        data = dict(self.cleaned_data)
        return data, [tag for tag in data.pop("tags", "").split(",") if tag.strip()]
