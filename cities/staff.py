"""Staff-only pages outside the admin: the priorities and reach dashboards."""

from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required


def dashboard_view(view):
    """Signed-in staff with the "see the dashboards" permission (Curator group and up)."""
    return staff_member_required(
        permission_required("cities.view_dashboards", raise_exception=True)(view)
    )
