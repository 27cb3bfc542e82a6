"""The panel starts, requires login, and shows what needs attention once logged in."""


def test_index_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_index_shows_what_needs_attention_after_login(client, login_as):
    login_as("admin")
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="attention"' in page
    assert 'data-testid="today-followers">\n      <span class="h4 mb-0">0<' in page


def test_each_page_has_one_title(client, login_as):
    """Pages with their own <h1> do not also get Flask-Admin's <h4> title; list pages keep that one."""
    login_as("admin")
    for url in ("/", "/jobs/", "/hudson/", "/events/", "/events-api/", "/follow-lists/", "/system_roles/"):
        page = client.get(url).get_data(as_text=True)
        assert (page.count("<h1"), page.count('<h4 class="mb-4">')) == (1, 0), url
    page = client.get("/users/directory/").get_data(as_text=True)
    assert (page.count("<h1"), page.count('<h4 class="mb-4">')) == (0, 1)
