"""Platform objects behave like the platform's: full method and property surfaces from the catalogue, settable
properties, listeners that fire, canvas 2D/WebGL contexts, WeChat cloud calls recorded as network use, and a
platform global that accepts the app's own names while its APIs stay fixed. Run on both engines."""

from __future__ import annotations

import json

import pytest

from mpsandbox.apis.catalogue import Kind, load_catalogue
from mpsandbox.review.artifacts import Artifacts, RunArtifacts
from mpsandbox.review.audits.static import unknown_api

from .helpers import run_js

CAT = load_catalogue()


@pytest.fixture
def js(engine_name):
    def run(body: str, **kw):
        r = run_js(body, engine=engine_name, **kw)
        errors = r.trace.of_kind("error")
        assert not errors, [(e.name, e.message) for e in errors]
        return r
    return run


# ---- the platform global ----------------------------------------------------------------------------------------
def test_the_global_takes_the_apps_names_and_keeps_its_own(js):
    r = js("""
        'use strict';
        my.lin = my.lin || {}; my.lin.x = 1;
        my.helper = () => 'h';
        let refused = false;
        try { my.request = () => 'fake'; } catch (e) { refused = e instanceof TypeError; }
        log(my.lin.x, my.helper(), refused, my.request.name, Object.keys(my).includes('lin'));
        delete my.helper;
        log(typeof my.helper);
        my.request({ url: 'https://api.example.com/x' });
    """, platform="my")
    assert r.logs == ["1 h true request true", "undefined"]
    notes = {(n.code, n.data["name"]) for n in r.trace.of_kind("note") if n.code.startswith("platform-")}
    assert notes == {("platform-global-extended", "my.lin"), ("platform-global-extended", "my.helper"),
                     ("platform-api-overwrite", "my.request")}
    assert [e.called_as for e in r.trace.api_calls("request")] == ["my.request"]


def test_names_the_app_defines_are_not_unknown_apis_but_probes_still_are(js):
    r = js("wx.webpackJsonp = wx.webpackJsonp || []; wx.webpackJsonp.push(1); log(typeof wx.secretApi);",
           platform="wx")
    assert r.logs == ["undefined"]

    art = Artifacts(name="b", platform="wx", catalogue=CAT, runs=[RunArtifacts(mode="allow", trace=r.trace, units_per_ms=1)])
    keys = sorted(h.key for h in unknown_api(art, None))  # type: ignore[arg-type]
    assert keys == ["wx.secretApi"]


def test_namespaces_and_values(js):
    r = js("""
        log(wx.env.USER_DATA_PATH, typeof wx.cloud.callFunction, typeof wx.cloud.nope);
        const r = wx.getMenuButtonBoundingClientRect(); log(r.width > 0 && r.bottom > r.top);
        const b64 = wx.arrayBufferToBase64(new Uint8Array([104, 105]));
        log(b64, new Uint8Array(wx.base64ToArrayBuffer('aGk=')).join(','));
        wx.onThemeChange(() => {}); wx.offThemeChange();
    """, platform="wx")
    assert r.logs == ["wxfile://usr function undefined", "true", "aGk= 104,105"]
    assert [e.called_as for e in r.trace.api_calls() if e.outcome == "unknown"] == ["wx.cloud.nope"]
    r = js("log(tt.env.USER_DATA_PATH, typeof my, typeof tt.canvasToTempFilePath);", platform="tt")
    assert r.logs == ["ttfile://user undefined function"]
    r = js("log(my.env.USER_DATA_PATH, typeof my.ap.navigateToAlipayPage);", platform="my")
    assert r.logs == ["https://usr function"]


# ---- every object: its surface from the catalogue --------------------------------------------------------------
FACTORIES = sorted({(a.name_on("wx") or a.name_on("tt"), "wx" if a.name_on("wx") else "tt", a.object)
                    for a in CAT.apis if a.kind is Kind.FACTORY and (a.name_on("wx") or a.name_on("tt"))
                    and "." not in (a.name_on("wx") or a.name_on("tt") or "")})


@pytest.mark.parametrize("api, platform, object_type", FACTORIES, ids=[f[0] for f in FACTORIES])
def test_every_factory_object_has_its_full_surface(engine_name, api, platform, object_type):
    spec = CAT.objects_by_name[object_type]
    methods = sorted(m for m, ms in spec.methods.items() if ms.platforms is None or platform in ms.platforms)
    plain = {p: s.default for p, s in spec.properties.items() if s.object_type() is None}
    writable = sorted(p for p, s in spec.properties.items() if not s.readonly and s.object_type() is None)
    readonly = sorted(p for p, s in spec.properties.items() if s.readonly)
    body = f"""
        const o = {platform}.{api}({{}});
        const missing = {json.dumps(methods)}.filter((m) => typeof o[m] !== 'function');
        const defaults = {json.dumps(plain)};
        const wrong = Object.keys(defaults).filter((p) => JSON.stringify(o[p]) !== JSON.stringify(defaults[p]));
        for (const p of {json.dumps(writable)}) o[p] = 'set-' + p;
        const unset = {json.dumps(writable)}.filter((p) => o[p] !== 'set-' + p);
        for (const p of {json.dumps(readonly)}) o[p] = 'nope';
        const overwritten = {json.dumps(readonly)}.filter((p) => o[p] === 'nope');
        o.appField = 1;
        log(missing.join(','), wrong.join(','), unset.join(','), overwritten.join(','), o.appField);
    """
    r = run_js(body, platform=platform, engine=engine_name)
    assert not r.trace.of_kind("error"), r.trace.of_kind("error")
    assert r.logs == ["    1"], r.logs


def test_a_method_of_one_platforms_object_is_only_there(js):
    # Douyin's VideoContext, LivePlayerContext, MapContext and RecorderManager have methods WeChat's lack
    body = """
        const v = P.createVideoContext('v'), l = P.createLivePlayerContext('l'), m = P.createMapContext('m');
        const r = P.getRecorderManager();
        log([v.setWaterMark, v.getMediaVolume, l.unmute, m.mapToScreen, r.offStart].map((f) => typeof f).join());
    """
    assert js(body.replace("P.", "tt."), platform="tt").logs == [",".join(["function"] * 5)]
    assert js(body.replace("P.", "wx."), platform="wx").logs == [",".join(["undefined"] * 5)]


def test_douyin_stat_answers_a_stats_object_named_stat(js):
    r = js("""
        const fs = tt.getFileSystemManager();
        fs.stat({ path: 'ttfile://user/a.txt', success(res) {
            log(Object.keys(res).sort().join(), res.stat.isFile(), res.stat.isDirectory(), typeof res.stat.size) } });
        const s = fs.statSync('ttfile://user/a.txt');
        log(s.isFile(), s.isDirectory(), typeof s.lastModifiedTime);
    """, platform="tt")
    assert r.logs == ["true false number", "errMsg,stat true false number"]
    r = js("""wx.getFileSystemManager().stat({ path: 'a', success(res) { log(Object.keys(res).sort().join(),
              res.stats.isDirectory()) } });""", platform="wx")
    assert r.logs == ["errMsg,stats false"]


# ---- canvas ------------------------------------------------------------------------------------------------------
def test_old_canvas_context_draws_locally_and_draw_calls_back(js):
    r = js("""
        const ctx = wx.createCanvasContext('c');
        ctx.beginPath(); ctx.arc(10, 10, 5, 0, 6.28); ctx.setFillStyle('#f00'); ctx.fill();
        ctx.fillText('hello', 0, 0); ctx.fillStyle = '#0f0';
        const g = ctx.createLinearGradient(0, 0, 1, 1); g.addColorStop(0, 'red');
        log(ctx.measureText('hello').width, ctx.measureText('你好').width, ctx.fillStyle);
        ctx.draw(false, () => {
          log('drawn');
          wx.canvasToTempFilePath({ canvasId: 'c', success: (res) => log(res.tempFilePath) });
        });
    """, platform="wx")
    assert r.logs == ["50 40 #0f0", "drawn", "ttfile://temp/canvas.png"]
    names = [e.api for e in r.trace.api_calls()]
    assert "CanvasContext.draw" in names and "canvasToTempFilePath" in names
    assert "CanvasContext.arc" not in names  # drawing calls are local: not one bridge call per stroke


def test_canvas_2d_node_from_a_selector_query(js):
    r = js("""
        wx.createSelectorQuery().select('#c').fields({ node: true, size: true }).exec((res) => {
          const canvas = res[0].node;
          const ctx = canvas.getContext('2d');
          canvas.width = 600;
          ctx.fillStyle = 'red'; ctx.fillRect(0, 0, 10, 10);
          log(res[0].width, res[0].height, canvas.width, ctx === canvas.getContext('2d'), ctx.fillStyle,
              ctx.measureText('ab').width, canvas.toDataURL().slice(0, 10));
          const gl = canvas.getContext('webgl');
          const sh = gl.createShader(gl.VERTEX_SHADER); gl.shaderSource(sh, 'x'); gl.compileShader(sh);
          log(typeof sh, gl.getShaderParameter(sh, gl.COMPILE_STATUS), gl.checkFramebufferStatus(gl.FRAMEBUFFER),
              gl.getExtension('x'), gl.drawingBufferWidth);
          const img = canvas.createImage();
          img.onload = () => log('loaded', img.width > 0);
          img.src = 'https://cdn.example.com/a.png';
          canvas.requestAnimationFrame((t) => log('frame', typeof t));
        });
    """, platform="wx")
    assert r.logs == ["390 100 600 true red 20 data:image", "object true 36053 null 300", "loaded true",
                      "frame number"]
    src = [e for e in r.trace.api_calls() if e.api == "Image.src"]
    assert len(src) == 1 and src[0].domain == "cdn.example.com"


def test_selector_query_rects_viewport_and_component_scope(js):
    r = js("""
        const q = wx.createSelectorQuery().in(this);
        q.select('#a').boundingClientRect(); q.selectAll('.b').boundingClientRect(); q.selectViewport().scrollOffset();
        q.exec((res) => log(res[0].id, res[0].width, Array.isArray(res[1]), res[1][0].height, res[2].scrollTop,
                            res[2].scrollHeight > 0));
    """, platform="wx")
    assert r.logs == ["a 390 true 100 0 true"]


# ---- audio, managers, observers, ads -----------------------------------------------------------------------------
def test_audio_properties_listeners_and_src_as_network_use(js):
    r = js("""
        const a = tt.createInnerAudioContext();
        a.title = 'song'; a.loop = true; a.volume = 0.5; a.paused = false;
        const onPlay = () => log('play', a.paused);
        a.onPlay(onPlay); a.onTimeUpdate(() => log('time'));
        a.src = 'https://media.example.com/a.mp3';
        log(a.title, a.loop, a.volume, a.paused, a.src);
        a.play();
        setTimeout(() => { a.offPlay(onPlay); a.offTimeUpdate(); a.pause(); log('paused', a.paused); a.play(); }, 1000);
        const bg = tt.getBackgroundAudioManager();
        bg.title = 'T'; bg.singer = 'S'; bg.coverImgUrl = 'https://img.example.com/c.jpg';
        log(bg.title, bg.singer, bg.protocol);
    """)
    assert r.logs == ["song true 0.5 true https://media.example.com/a.mp3", "T S http", "play false", "time",
                      "paused true"]
    sets = [(e.api, e.domain) for e in r.trace.api_calls() if e.api.endswith(("src", "coverImgUrl"))]
    assert sets == [("InnerAudioContext.src", "media.example.com"),
                    ("BackgroundAudioManager.coverImgUrl", "img.example.com")]


def test_update_manager_observer_animation_and_ads(js):
    r = js("""
        const um = wx.getUpdateManager();
        um.onCheckForUpdate((res) => log('update', res.hasUpdate));
        um.onUpdateReady(() => log('ready?'));
        wx.createIntersectionObserver(this).relativeToViewport({ bottom: 10 }).observe('.item', (res) =>
          log('visible', res.intersectionRatio));
        const anim = wx.createAnimation({ duration: 300 });
        anim.opacity(0).translateY(10).step().scale(2).step();
        log('anim', Array.isArray(anim.export().actions));
        const ad = wx.createRewardedVideoAd({ adUnitId: 'u' });
        ad.onClose((res) => log('closed', res.isEnded));
        ad.load().then(() => ad.show()).then(() => log('shown'));
        const task = wx.downloadFile({ url: 'https://cdn.example.com/f.bin' });
        task.onProgressUpdate((p) => log('progress', p.progress));
    """, platform="wx")
    assert r.logs == ["anim true", "update false", "shown", "visible 1", "progress 100", "closed true"]


# ---- WeChat cloud ------------------------------------------------------------------------------------------------
def test_cloud_calls_are_network_use_with_plausible_results(js):
    r = js("""
        wx.cloud.init({ env: 'prod-1', traceUser: true });
        wx.getLocation({ type: 'gcj02', success: (loc) => {
          wx.cloud.callFunction({ name: 'track', data: { lat: loc.latitude } }).then((res) => log('fn', res.result.code, res.result.data.list.length));
          const db = wx.cloud.database();
          const _ = db.command;
          db.collection('orders').where({ total: _.gt(10).and(_.lt(99)), lng: loc.longitude }).limit(5).get()
            .then((res) => log('get', res.data.length));
          db.collection('orders').add({ data: { at: db.serverDate() }, success: (res) => log('add', typeof res._id) });
          db.collection('orders').doc('x').update({ data: { n: _.inc(1) } }).then((res) => log('update', res.stats.updated));
          wx.cloud.uploadFile({ cloudPath: 'a.png', filePath: 'ttfile://temp/a.png' }).then((res) => log('up', res.fileID.slice(0, 8)));
        } });
    """, platform="wx", app={"permission": {"scope.userLocation": {"desc": "d"}},
                             "requiredPrivateInfos": ["getLocation"]})
    # a cloud function answers like the app's backend: the default body of a request (bodies.py)
    assert sorted(r.logs) == sorted(["fn 0 0", "get 0", "add string", "update 1", "up cloud://"])
    flows = {(f.sink_api, f.source_kind, f.destination) for f in r.flows()}
    assert ("cloud.callFunction", "latitude", "wx.cloud") in flows
    assert ("CloudCollection.where", "longitude", "wx.cloud") in flows
    called = {e.called_as for e in r.trace.api_calls()}
    assert {"wx.cloud.callFunction", "wx.cloud.database", "CloudCollection.get", "CloudCollection.add",
            "CloudDocument.update", "wx.cloud.uploadFile"} <= called


def test_cloud_storage_answers_an_entry_per_file(js):
    # the WeChat demo reads res.fileList[0].tempFileURL of the file it asked for
    r = js("""
        wx.cloud.getTempFileURL({ fileList: ['cloud://release-b86096.7265-release-b86096-1258211818/a.jpeg'],
          success: (res) => log('url', res.fileList[0].tempFileURL.endsWith('/a.jpeg'), res.fileList[0].status) });
        new wx.cloud.Cloud({ resourceEnv: 'x' }).deleteFile({ fileList: ['cloud://x/b.png'] })
          .then((res) => log('deleted', res.fileList.length, res.fileList[0].fileID));
    """, platform="wx")
    assert sorted(r.logs) == ["deleted 1 cloud://x/b.png", "url true 0"]
    assert {e.api for e in r.trace.of_kind("flow")} <= {"cloud.getTempFileURL"}


def test_alipay_cloud_context_calls_are_network_use(js):
    # an Alipay cloud project (my.cloud.createCloudContext in App.onLaunch, kept on `my` for the pages)
    r = js("""
        const context = my.cloud.createCloudContext({ env: 'env-00jx4k03swkv' });
        context.init({ env: 'env-00jx4k03swkv' });
        my.fncontext = context;
        my.getLocation({ success: (loc) => {
          my.fncontext.callFunction({ name: 'getItemByFileId', data: { lat: loc.latitude } })
            .then((res) => log('fn', res.result.message.info_pic));
          context.uploadFile({ cloudPath: 'a.png', filePath: 'https://resource/a.png' }).then((res) => log('up', typeof res.fileID));
        } });
    """, platform="my")
    assert sorted(r.logs) == ["fn undefined", "up string"]  # res.result.message.info_pic: the shaped body
    flows = {(f.sink_api, f.source_kind, f.destination) for f in r.flows()}
    assert ("MyCloudContext.callFunction", "latitude", "my.cloud") in flows
    assert not [e for e in r.trace.api_calls() if e.outcome == "unknown"]


def test_catalogue_refuses_inconsistent_objects():
    from pydantic import ValidationError

    from mpsandbox.apis.catalogue import Catalogue

    base = {"apis": [{"name": "x", "category": "base", "kind": "factory", "object": "A"}]}
    with pytest.raises(ValidationError, match="calls the host"):  # a local factory of an object that calls the host
        Catalogue.model_validate({**base, "objects": [
            {"name": "A", "methods": {"make": {"kind": "factory", "local": True, "object": "B"}}},
            {"name": "B", "methods": {"send": {"kind": "async"}}}]})
    with pytest.raises(ValidationError, match="sink property must be recorded"):
        Catalogue.model_validate({**base, "objects": [{"name": "A", "properties": {"src": {"sink": "network"}}}]})
    with pytest.raises(ValidationError, match="both an API and a namespace"):
        Catalogue.model_validate({"apis": [{"name": "cloud", "category": "base", "kind": "sync"},
                                           {"name": "cloud.init", "category": "base", "kind": "sync"}]})
    with pytest.raises(ValidationError, match="not a name"):
        Catalogue.model_validate({"apis": [{"name": "a.b.c", "category": "base", "kind": "sync"}]})


def test_alipay_page_apis_real_apps_call(js):
    # calls from public Alipay projects: a page that forbids pull-down, a date picker, a city list (a rental
    # app), a chat page leaving its socket
    r = js("""
        my.setCanPullDown({ canPullDown: false });
        my.datePicker({ format: 'yyyy-MM-dd', currentDate: '2024-01-01', success: (res) => log('date', res.date.length) });
        my.chooseCity({ showLocatedCity: true, success: (res) => log('city', typeof res.city, res.adCode.length) });
        my.onSocketMessage(() => {});
        my.offSocketMessage();
        my.offSocketOpen();
    """, platform="my")
    assert r.logs == ["date 10", "city string 6"]
    assert not [e.called_as for e in r.trace.api_calls() if e.outcome == "unknown"]


def test_douyin_demo_apis(js):
    # calls of the Douyin official API demo that the catalogue lacked: each is known, returns its object or result
    r = js("""
        const env = tt.getEnvInfoSync();
        log('env', env.microapp.envType, typeof env.common.USER_DATA_PATH);
        tt.performance.mark('bytedance');
        log('entries', tt.performance.getEntriesByName('bytedance').length);
        const obs = tt.performance.createObserver((list) => {});
        obs.observe({ entryTypes: ['paint'] });
        const rec = tt.createMediaRecorder(null, { fps: 30 });
        rec.on('start', () => {});
        rec.onStart(() => {}); rec.onStop((res) => {}); rec.onError(() => {}); rec.offStop();
        rec.start().then(() => log('recording'));
        const stream = tt.createEffectCameraStream(this);
        stream.on('play', () => {});
        stream.onRequest(() => {}); stream.onPlay(() => {}); stream.offPlay();
        tt.onLocationChangeError(() => {}); tt.offLocationChangeError();
        tt.onWindowResize(() => {}); tt.offWindowResize();
        tt.getSavedFileList({ success: (res) => log('saved', res.fileList.length) });
        tt.checkFollowState({ success: (res) => log('follows', res.result) });
        log('over', tt.canIPutStuffOverComponent('video'));
        tt.navigateToScene({ scene: 'sidebar' });
    """, platform="tt")
    assert sorted(r.logs) == sorted(["env production string", "entries 0", "over true", "recording", "saved 0",
                                     "follows false"])
    assert not [e.called_as for e in r.trace.api_calls() if e.outcome == "unknown"]


def test_vk_and_inference_sessions_canvas_actions_and_xr_assets(js):
    r = js("""
        const s = wx.createVKSession({ track: { plane: { mode: 1 } } });
        s.start(() => {}); s.on('resize', () => {});
        log(typeof s.detectIDCard, s.addMarker('x'), s.getAllMarker().length, typeof s.removeMarker);
        const inf = wx.createInferenceSession({ model: 'm.onnx' }); inf.onError(() => {}); inf.onLoad(() => log('never'));
        log(typeof inf.run, JSON.stringify(wx.createCanvasContext('c').getActions()));
    """, platform="wx")
    assert r.logs == ["function 0 0 function", "function []"]
    assert not [e for e in r.trace.api_calls() if e.outcome == "unknown"]
    assert not [n for n in r.trace.of_kind("note") if n.code == "unknown-member"]
