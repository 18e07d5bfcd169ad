"""URLs of the press office's and crisis unit's operations pages (posts/views_operations.py),
mounted in the `posts` namespace by posts/urls.py."""

urlpatterns: list = []
