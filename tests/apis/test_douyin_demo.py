"""Douyin behaviours its official-style API demo relies on (small hand-written bundles)."""

from __future__ import annotations

from tests.apis.helpers import run_js


def test_douyin_get_wifi_list_asks_no_scope_wechat_does():
    body = ("g.getWifiList({ success: (r) => log('ok', r.errMsg), fail: (r) => log('fail', r.errMsg) });")
    denied = {"user": {"scopes": {"scope.userLocation": "deny"}}}
    douyin = run_js(body, mocks=denied)
    assert douyin.logs == ["ok getWifiList:ok"]
    assert douyin.permissions() == []
    wechat = run_js(body, platform="wx", mocks=denied, app={"permission": {"scope.userLocation": {"desc": "x"}}})
    assert wechat.logs[0].startswith("fail getWifiList:fail")
    assert [p.scope for p in wechat.permissions()] == ["scope.userLocation"]


def test_a_destroyed_objects_queued_events_are_dropped():
    # stop() queues onStop; destroy() right after: on a device the destroyed context calls no listener
    body = ("const a = g.createInnerAudioContext(); a.src = 'https://cdn.example.com/a.mp3';"
            "a.onStop(() => log('stopped'));"
            "a.stop(); a.destroy();"
            "const b = g.createInnerAudioContext(); b.src = 'https://cdn.example.com/b.mp3';"
            "b.onStop(() => log('b stopped')); b.stop();")
    run = run_js(body)
    assert run.logs == ["b stopped"]
    assert not run.trace.of_kind("error")


def test_authorize_with_an_unknown_scope_fails():
    body = ("g.authorize({ scope: 'scope.undefined', success: (r) => log('ok', r), fail: (r) => log('fail', r.errMsg) });"
            "g.authorize({ scope: 'scope.album', success: (r) => log('ok', r.data), fail: (r) => log('fail', r.errMsg) });")
    douyin = run_js(body)
    assert douyin.logs == ["fail authorize:fail invalid scope", 'ok {"scope.album":"ok"}']
    assert [p.scope for p in douyin.permissions()] == ["scope.album"]
    # WeChat's name for the album scope is not Douyin's
    wechat_name = run_js("g.authorize({ scope: 'scope.writePhotosAlbum', fail: (r) => log(r.errMsg) });")
    assert wechat_name.logs == ["authorize:fail invalid scope"]
    assert run_js("g.authorize({ scope: 'scope.writePhotosAlbum', success: () => log('ok') });", platform="wx").logs == ["ok"]


def test_every_catalogue_scope_can_be_authorized():
    from mpsandbox.apis.catalogue import load_catalogue
    from mpsandbox.apis.permissions import AUTHORIZE_SCOPES

    cat = load_catalogue()
    specs = [*cat.apis, *(m for o in cat.objects for m in o.methods.values())]
    for platform in ("tt", "wx"):
        used = {s.scope[platform] for s in specs if s.scope and platform in s.scope}
        assert used <= AUTHORIZE_SCOPES[platform], used - AUTHORIZE_SCOPES[platform]


def test_show_douyin_open_auth_takes_scope_list():
    body = ("tt.showDouyinOpenAuth({ scopeList: ['data.external.item', 'item.comment'],"
            " success: (r) => log(Object.keys(r).sort().join(','), r.grantPermissions, typeof r.ticket),"
            " fail: (e) => log('fail', e.errMsg) });"
            "tt.showDouyinOpenAuth({ scopeList: ['im.group_fans.create_list'], scopes: { 'video.list': 2 },"
            " success: (r) => log(r.grantPermissions) });"
            "tt.showDouyinOpenAuth({ scopeList: [], fail: (e) => log('fail', e.errMsg) });")
    run = run_js(body)
    assert run.logs == ['errMsg,grantPermissions,ticket ["data.external.item","item.comment"] string',
                        '["im.group_fans.create_list"]', "fail showDouyinOpenAuth:fail scopes is empty"]


def test_a_canvas_animation_frame_callback_is_called_plainly():
    body = """
        tt.createSelectorQuery().select('#c').node().exec((res) => {
          const canvas = res[0].node;
          canvas.requestAnimationFrame(function (t) { log('frame', typeof t, this === canvas, this && this.data); });
        });"""
    run = run_js(body)
    assert run.logs == ["frame number false undefined"]
    assert not [e for e in run.trace.api_calls() if e.outcome == "unknown"]


def test_follow_apis_answer_their_documented_results():
    body = ("tt.followAwemeUser({ awemeId: 'a1', success: (r) => log('aweme', r.followed) });"
            "tt.followOfficialAccount({ success: (r) => log('official', r.errCode) });"
            "tt.openAwemeUserProfile({ success: (r) => log('profile', r.hasFollowed) });"
            "tt.checkFollowAwemeState({ awemeId: 'a1', success: (r) => log('state', r.hasFollowed) });")
    assert sorted(run_js(body).logs) == ["aweme false", "official 0", "profile false", "state false"]
