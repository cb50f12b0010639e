"""The tabs of a model record's page, in the order they are shown. This list is the only one:
the record view accepts these keys, the tab bar and the breadcrumbs of the pages under a tab
render from it, and each tab's markup is the template its key names."""

from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class RecordTab:
    key: str
    label: str

    @property
    def template(self) -> str:
        return f"modelrepo/tabs/{self.key}.html"

    def url(self, product) -> str:
        # The first tab is the record's own address; the others add their key to it.
        if self.key == RECORD_TABS[0].key:
            return reverse("modelrepo:model_detail", kwargs={"product_id": product.pk})
        return reverse("modelrepo:model_tab", kwargs={"product_id": product.pk, "tab": self.key})


RECORD_TABS = (
    RecordTab("overview", "Overview"),
    RecordTab("versions", "Versions"),
    RecordTab("artifacts", "Artifacts"),
    RecordTab("governance", "Governance"),
    RecordTab("lineage", "Lineage"),
    RecordTab("activity", "Activity"),
)
DEFAULT_TAB = RECORD_TABS[0].key
_BY_KEY = {tab.key: tab for tab in RECORD_TABS}


def record_tab(key: str) -> RecordTab | None:
    return _BY_KEY.get(key)


# What the apps built on modelrepo add to a tab (uploads: the uploads in progress and the
# uploader on the Artifacts tab), registered from their AppConfig.ready() with ``contribute``.
_CONTRIBUTIONS: dict[str, list] = {}


def contribute(key: str, context_of) -> None:
    """Add ``context_of(request, product, *, can_edit) -> dict`` to the context of tab ``key``."""
    if key not in _BY_KEY:
        raise ValueError(f"No record tab {key!r}.")
    if context_of not in _CONTRIBUTIONS.setdefault(key, []):
        _CONTRIBUTIONS[key].append(context_of)


def contributed_context(key: str, request, product, *, can_edit: bool) -> dict:
    context = {}
    for context_of in _CONTRIBUTIONS.get(key, ()):
        context.update(context_of(request, product, can_edit=can_edit))
    return context
