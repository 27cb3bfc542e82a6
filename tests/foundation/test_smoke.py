"""The panel starts, requires login, and shows real counts once logged in."""


def test_index_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_index_shows_counts_after_login(client, login_as):
    login_as("admin")
    page = client.get("/").get_data(as_text=True)
    assert 'data-count="Persons"' in page
    assert ">0<" in page
