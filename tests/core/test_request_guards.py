import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("query", [{"q": "asthma\x00"}, {"country\x00": "GB"}])
def test_a_nul_character_in_a_page_query_is_a_clear_400_not_a_server_error(client, query):
    response = client.get("/organisations/", query)

    assert response.status_code == 400
    assert b"could not understand that request" in response.content


def test_a_nul_character_in_an_api_query_is_a_400_problem(client):
    response = client.get("/api/v1/organisations/", {"search": "\x00"})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["status"] == 400


def test_ordinary_queries_pass_through(client):
    assert client.get("/organisations/", {"q": "Oxford"}).status_code == 200
