"""Excel export and import (issue 5); included from activities/urls.py under excel/."""

urlpatterns = []
