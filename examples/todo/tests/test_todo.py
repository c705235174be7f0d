"""The todo example's own tests: the page is rendered, driven as a user would, and reviewed."""

from pathlib import Path

from mpsandbox.review import ReviewOptions, review

APP = Path(__file__).resolve().parent.parent  # the mini-program (pytest.ini's mpsandbox_bundle says the same)


def titles(page):
    return [e.text for e in page.query_all(".todo .title")]


def add(page, title):
    page.query("input.new").input(title)
    return page.query("button.add-btn").tap()


def test_starts_empty(miniprogram):
    page = miniprogram(APP).launch("pages/index/index")
    assert page.query(".empty").text == "Nothing to do"
    assert page.query("button.add-btn").attrs["disabled"] is True  # nothing typed yet


def test_add_then_toggle(miniprogram):
    mp = miniprogram(APP)
    page = add(add(mp.launch("pages/index/index"), "Buy milk"), "Call Ann")
    assert titles(page) == ["Buy milk", "Call Ann"]
    assert page.query(".empty") is None and page.data["draft"] == ""
    page.query_all(".todo")[0].tap()
    assert "done" in page.query_all(".todo")[0].attrs["class"]
    assert page.query(".footer").text.startswith("1 left")
    assert mp.storage["todos"][0] == {"id": 1, "title": "Buy milk", "done": True}
    mp.assert_no_errors()


def test_remove_does_not_toggle(miniprogram):
    page = add(miniprogram(APP).launch("pages/index/index"), "Water plants")
    page.query(".todo .remove").tap()  # catchtap: the tap stops before the row's bindtap
    assert titles(page) == [] and page.query(".empty") is not None


def test_the_list_survives_a_relaunch(miniprogram):
    page = miniprogram(APP, mocks={"storage": {"todos": [{"id": 7, "title": "Saved", "done": False}]}}).launch()
    assert titles(page) == ["Saved"] and page.query(".footer").text.startswith("1 left")


def test_pull_down_syncs_with_the_server(miniprogram):
    mp = miniprogram(APP)
    mp.mock_response("https://api.example-todo.com/todos", {"todos": [{"id": 1, "title": "From server", "done": True}]},
                     method="PUT")
    page = add(mp.launch(), "Local").pull_down()
    (call,) = mp.assert_called("request", times=1)
    assert (call.args[0]["method"], call.domain) == ("PUT", "api.example-todo.com")
    assert titles(page) == ["From server"] and "synced" in page.query(".footer").text
    mp.assert_called("stopPullDownRefresh")


def test_review_approves_with_a_good_score():
    report = review(APP, ReviewOptions(engine="native", allow_domains=["api.example-todo.com"]))
    assert report.verdict.value == "approve", [f.message for f in report.findings]
    assert report.score is not None and report.score.score >= 90
