"""Browser pages of data products (datasets, tables, streams, dashboards, APIs, notebooks):
a space's list, the create form, and a product's page with its lineage. Model records keep
their own pages in the model repository; they share the create guard here."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views import View

from catalog import access, lineage, products
from catalog import selectors as catalog_selectors
from catalog.choices import DATA_PRODUCT_TYPES
from catalog.forms import DataProductForm
from catalog.views.lineage import lineage_tab_context
from common.messages import FormPageMixin

PAGE_SIZE = 25


class ProductCreateMixin(LoginRequiredMixin):
    """A page that creates a product in a space: 404 to whoever cannot see the space, 403 with
    ``denied_message`` to whoever may not create in it."""

    denied_message = "You cannot create products in this space; ask a space admin for editor access."
    extra_context = None  # what every render of the form adds

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.space = catalog_selectors.visible_space(request.user, kwargs["space_slug"])
        if not access.can(request.user, access.CREATE_PRODUCT, self.space):
            raise PermissionDenied(self.denied_message.format(space=self.space.name))
        return super().dispatch(request, *args, **kwargs)

    def render_form(self, request, form, status=200):
        context = {"form": form, "space": self.space, "organization": self.space.organization,
                   **(self.extra_context or {})}
        return render(request, self.template_name, context, status=status)


class ProductDetailView(LoginRequiredMixin, View):
    """A data product's page: its catalog fields and its lineage. Model records redirect to
    their own page in the model repository."""

    template_name = "catalog/products/product_detail.html"

    def get(self, request, product_id):
        product = catalog_selectors.visible_product(user=request.user, product_id=product_id)
        if product.product_type not in DATA_PRODUCT_TYPES:
            return redirect(lineage.product_url(product))
        context = {
            "product": product,
            "space": product.space,
            "organization": product.space.organization,
            "can_edit": access.can(request.user, access.EDIT, product),
            **lineage_tab_context(request, product),
        }
        return render(request, self.template_name, context)


class DataProductListView(LoginRequiredMixin, View):
    template_name = "catalog/products/product_list.html"

    def get(self, request, space_slug):
        space = catalog_selectors.visible_space(request.user, space_slug)
        items = products.data_product_list(user=request.user, space=space)
        context = {
            "space": space,
            "organization": space.organization,
            "page_obj": Paginator(items, PAGE_SIZE).get_page(request.GET.get("page")),
            "can_create": access.can(request.user, access.CREATE_PRODUCT, space),
        }
        return render(request, self.template_name, context)


class DataProductCreateView(FormPageMixin, ProductCreateMixin, View):
    template_name = "catalog/products/product_form.html"
    invalid_status = 400

    def form(self, data=None):
        return DataProductForm(data)

    def save(self, form):
        data, tags = form.product_data()
        return products.data_product_create(actor=self.request.user, space=self.space, data=data, tags=tags)

    def saved_message(self, product):
        return f"Created {product.name}."

    def saved_redirect(self, product):
        return redirect("catalog:product_detail", product_id=product.pk)
