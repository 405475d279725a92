"""Failed sign-ins are limited per username and address (in each worker's memory)."""

from api.ui.throttle import FAILURES_ALLOWED, WINDOW_SECONDS, SignInThrottle
from tests.staff import PASSWORDS, Html


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_five_failures_hold_that_username_from_that_address_for_the_window():
    clock = Clock()
    throttle = SignInThrottle(clock)
    for _ in range(FAILURES_ALLOWED):
        assert throttle.wait("Editor", "10.0.0.1") == 0
        throttle.failed("Editor", "10.0.0.1")
    assert throttle.wait("editor", "10.0.0.1") > 0  # names compared without case
    assert throttle.wait("editor", "10.0.0.2") == 0  # another address
    assert throttle.wait("viewer", "10.0.0.1") == 0  # another user
    clock.now += WINDOW_SECONDS
    assert throttle.wait("editor", "10.0.0.1") == 0


def test_a_success_clears_the_failures():
    throttle = SignInThrottle(Clock())
    for _ in range(FAILURES_ALLOWED - 1):
        throttle.failed("editor", "a")
    throttle.succeeded("editor", "a")
    throttle.failed("editor", "a")
    assert throttle.wait("editor", "a") == 0


def attempt(client, password):
    form = Html(client.get("/ui/signin").text)
    data = {"csrf_token": form.values["csrf_token"], "username": "editor", "password": password}
    return client.post("/ui/signin", data=data, follow_redirects=False)


def test_after_five_wrong_passwords_even_the_right_one_waits(client, seeded, staff):
    for _ in range(FAILURES_ALLOWED):
        assert attempt(client, "guess guess guess").status_code == 422
    refused = attempt(client, PASSWORDS["editor"])
    assert refused.status_code == 429
    assert (
        "too many failed sign-ins; try again in 16 minutes" in Html(refused.text).errors["password"]
    )
    assert "registry_session" not in refused.cookies
