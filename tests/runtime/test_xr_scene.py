"""<xr-scene bind:ready> gives the xr-frame Scene in detail.value (catalogue object XrScene), so that apps that
wait for it (the WeChat demo's share-behavior polls every 100 ms until it has one) stop waiting."""

from __future__ import annotations

import json

from mpsandbox.runtime.walker import Walker

from .bundles import make_bundle

COMP_JS = """Component({
  created() { this.poll(); },
  methods: {
    poll() {
      if (!this.scene) { this.polls = (this.polls || 0) + 1; setTimeout(() => this.poll(), 100); return; }
      console.log('scene after ' + this.polls + ' polls');
    },
    handleReady({ detail }) {
      const scene = this.scene = detail.value;
      scene.event.add('tick', () => {});
      const el = scene.getElementById('camera');
      console.log('ready share=' + scene.share.supported + ' ar=' + scene.ar.ready + ' el=' + typeof el.event.add
                  + ' dfs=' + typeof scene.dfs + ' assets=' + typeof scene.assets.getAsset + ' w=' + scene.width);
    },
    handleProgress({ detail }) { console.log('progress ' + detail.value.progress); },
  },
});
"""


def test_xr_scene_ready_gives_a_scene(engine_name):
    bundle = make_bundle({"pages/x/x": "Page({})"}, platform="wx", extra={
        "pages/x/x.json": json.dumps({"usingComponents": {"xr-demo": "/comp/xr"}}),
        "pages/x/x.wxml": "<xr-demo/>",
        "comp/xr.js": COMP_JS,
        "comp/xr.json": json.dumps({"component": True, "renderer": "xr-frame"}),
        "comp/xr.wxml": '<xr-scene bind:ready="handleReady"><xr-assets bind:progress="handleProgress"/>'
                        '<xr-camera id="camera"/></xr-scene>',
    })
    trace = Walker(bundle, engine=engine_name).run().trace
    logs = [e.text for e in trace.events if e.kind == "console"]
    ready = [t for t in logs if t.startswith("ready ")]
    assert ready and ready[0] == "ready share=true ar=false el=function dfs=function assets=function w=375", logs
    assert "progress 1" in logs
    polls = [t for t in logs if t.startswith("scene after ")]
    assert polls, logs  # the polling stopped once the scene came
    errors = [e for e in trace.events if e.kind == "error"]
    assert not errors, errors
