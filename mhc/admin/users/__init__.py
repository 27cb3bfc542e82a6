"""The "Users" nav group: Directory, Following, Followers, Unfollowed (Flask-Admin ModelViews over persons).

- views.py: the four tabs (columns, filters, sorts) and the hidden profile editor
- list_view.py: PersonListView, what the tabs share (one list-service call per page)
- actions.py: the one action table (batch actions, row buttons, Profile page buttons)
- formatters.py: table cells and CSV values
- list_urls.py: a list's URL state and the links that change one filter
- saved_views.py: the column chooser and the user's saved views (bar, endpoints)
"""

from __future__ import annotations

from mhc.admin.users import saved_views
from mhc.admin.users.formatters import priority_markup, thumbnail_url
from mhc.admin.users.list_view import TABS, PersonListView
from mhc.admin.users.views import DirectoryView, FollowersView, FollowingView, ProfileEditView, UnfollowedView


def register(admin) -> None:
    """Add the Users nav group (and the hidden profile editor) to the admin."""
    tab_views = {}
    for view_class, (endpoint, name) in zip(
        (DirectoryView, FollowingView, FollowersView, UnfollowedView), TABS, strict=True
    ):
        tab_views[view_class.tab] = view_class(name=name, endpoint=endpoint, url="/" + endpoint.replace("_", "/"))
        admin.add_view(tab_views[view_class.tab])
    saved_views.register(admin, tab_views)
    admin.add_view(ProfileEditView(name="Edit profile", endpoint="users_profile_edit", url="/users/profile-edit"))


__all__ = ["PersonListView", "priority_markup", "register", "thumbnail_url"]
