"""A custom page whose reading and writing need different permissions refuses POSTs to readers."""

from flask import request
from flask_admin import expose

from mhc.admin.base import SecuredBaseView
from mhc.auth import permissions as perms


class NotesPage(SecuredBaseView):
    permission = perms.VIEW_USERS
    edit_permission = perms.MANAGE_USERS

    @expose("/", methods=["GET", "POST"])
    def index(self):
        return "saved" if request.method == "POST" else "read"


def test_reader_may_get_but_not_post(app, client, auth, login_as):
    app.extensions["mhc_admin"].add_view(NotesPage(name="Notes", endpoint="test_notes", url="/test-notes"))
    login_as("viewer")
    assert client.get("/test-notes/").get_data(as_text=True) == "read"
    assert client.post("/test-notes/", data={"csrf_token": auth.csrf()}).status_code == 403


def test_writer_may_post(app, client, auth, login_as):
    app.extensions["mhc_admin"].add_view(NotesPage(name="Notes", endpoint="test_notes", url="/test-notes"))
    login_as("admin")
    response = client.post("/test-notes/", data={"csrf_token": auth.csrf()})
    assert (response.status_code, response.get_data(as_text=True)) == (200, "saved")
