"""The base of every API view, so that what each view would otherwise repeat is said once:
the schema class and the pagination come from the settings (REST_FRAMEWORK), the model the
schema describes from the serializer, and validating a body, answering an object, a page or a
creation are one call each."""

from rest_framework import generics, status
from rest_framework.response import Response

from common.errors import invalid


class ApiView(generics.GenericAPIView):
    """A view that reads through selectors and writes through services, answering through its
    ``serializer_class``. Views build their querysets per request, so none declares one."""

    def get_queryset(self):
        """Only the OpenAPI schema asks: the model of the view's lists and filters, which is the
        ``queryset``'s when a view names one, else its serializer's."""
        if self.queryset is None and hasattr(getattr(self.serializer_class, "Meta", None), "model"):
            return self.serializer_class.Meta.model.objects.none()
        return super().get_queryset()

    def query_choice(self, name: str, choices) -> str | None:
        """The query parameter ``name`` when given, which must be one of ``choices`` (400 naming
        it otherwise, rather than a filter that silently matches nothing); None when absent."""
        value = self.request.query_params.get(name)
        if value is not None and value not in choices:
            raise invalid({name: [f"Use one of: {', '.join(map(str, choices))}."]})
        return value

    def serializer_context(self, context: dict) -> dict:
        return {**self.get_serializer_context(), **context}

    def valid_body(self, serializer_class, **kwargs) -> dict:
        """The request body as ``serializer_class`` validates it, or 400 naming each invalid field."""
        body = serializer_class(data=self.request.data, context=self.get_serializer_context(), **kwargs)
        body.is_valid(raise_exception=True)
        return body.validated_data

    def answer(self, instance, *, code=status.HTTP_200_OK, location: str | None = None, serializer_class=None,
               **context) -> Response:
        """``instance`` through the view's serializer (or ``serializer_class``), with ``context``
        added to the serializer's, and its address in ``Location`` when given."""
        serializer_class = serializer_class or self.get_serializer_class()
        data = serializer_class(instance, context=self.serializer_context(context)).data
        return Response(data, status=code, headers={"Location": location} if location else None)

    def created(self, instance, **kwargs) -> Response:
        """201 with ``instance`` (see answer)."""
        return self.answer(instance, code=status.HTTP_201_CREATED, **kwargs)

    def answer_page(self, queryset, **context) -> Response:
        """One page of ``queryset`` (``?page=N&size=M``) through the view's serializer."""
        page = self.paginate_queryset(queryset)
        serializer = self.get_serializer(page, many=True, context=self.serializer_context(context))
        return self.get_paginated_response(serializer.data)

    def no_content(self) -> Response:
        return Response(status=status.HTTP_204_NO_CONTENT)
