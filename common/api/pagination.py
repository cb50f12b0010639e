from rest_framework.pagination import PageNumberPagination


class PageSizePagination(PageNumberPagination):
    """``?page=N&size=M`` (size at most 100), answering count/next/previous/results."""

    page_size = 25
    page_size_query_param = "size"
    max_page_size = 100
