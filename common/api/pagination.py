import re

from rest_framework.pagination import PageNumberPagination

from common.errors import invalid

_WHOLE_NUMBER = re.compile(r"^[0-9]{1,9}$")


class PageSizePagination(PageNumberPagination):
    """``?page=N&size=M`` (size at most 100), answering count/next/previous/results. A page
    or size that is not a whole number in range answers 400 in the error format rather than
    being ignored; a page past the end answers 404."""

    page_size = 25
    page_size_query_param = "size"
    max_page_size = 100

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not _WHOLE_NUMBER.match(raw) or not 1 <= int(raw) <= self.max_page_size:
            raise invalid({"size": [f"Give the page size as a whole number from 1 to {self.max_page_size}."]})
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and (not _WHOLE_NUMBER.match(raw) or int(raw) < 1):
            raise invalid({"page": ["Give the page number as a whole number from 1."]})
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": 999_999_999}
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return parameters
