// mpsandbox view realm: runs compiled templates and script modules (WXS/SJS) to build element trees.
//
// This realm is apart from the logic realm, as on the platforms: data arrives as JSON copies, and the only way
// in is __view_entry (pinned by the host). Intrinsics are captured first so a script module cannot break
// rendering by replacing them.
(function (global) {
  'use strict';
  var O = Object, A = Array, S = String, R = Reflect;
  var hasOwn = Function.prototype.call.bind(O.prototype.hasOwnProperty);
  var isArray = A.isArray, keys = O.keys, create = O.create, apply = R.apply;
  var push = Function.prototype.call.bind(A.prototype.push);
  var stringify = JSON.stringify;
  var RealRegExp = RegExp, RealDate = Date;

  var files = create(null); // template path -> {main, templates, imports, scripts, inline}
  var scriptDefs = create(null); // script path -> factory
  var scriptCache = create(null);
  var nodes = 0;
  var maxNodes = 20000;

  function str(v) {
    if (v === undefined) return '';
    try { return S(v); } catch (_) { return ''; }
  }

  function truthy(v) { return !!v; }

  function lookup(s, k) {
    while (s) {
      if (hasOwn(s.v, k)) return s.v[k];
      s = s.p;
    }
    return undefined;
  }

  function member(o, k) {
    if (o === null || o === undefined) return undefined;
    var t = typeof o;
    if (t === 'string') {
      if (k === 'length') return o.length;
      if (typeof k === 'number' || /^\d+$/.test(S(k))) return o.charAt(+k) || undefined;
      return undefined;
    }
    if (t !== 'object' && t !== 'function') return undefined;
    if (isArray(o) && k === 'length') return o.length;
    k = typeof k === 'number' ? S(k) : k;
    if (typeof k !== 'string') k = S(k);
    return hasOwn(o, k) ? o[k] : undefined;
  }

  // data arrives as JSON and member() reads own properties only: the only functions a template reaches are
  // those of its script modules
  function call(f, args) {
    return typeof f === 'function' ? apply(f, undefined, arr(args)) : undefined;
  }

  function callMember(o, k, args) {
    var f = member(o, k);
    return typeof f === 'function' ? apply(f, o, arr(args)) : undefined;
  }

  var SPREAD = {};
  function spread(v) { return { m: SPREAD, v: v }; }
  function arr(items) {
    var out = [];
    for (var i = 0; i < items.length; i++) {
      var x = items[i];
      if (x && x.m === SPREAD) {
        if (isArray(x.v)) for (var j = 0; j < x.v.length; j++) push(out, x.v[j]);
      } else push(out, x);
    }
    return out;
  }

  function obj(entries) {
    var out = {};
    for (var i = 0; i < entries.length; i++) {
      var e = entries[i];
      if (e[0] === 1) {
        var src = e[1];
        if (src && typeof src === 'object') {
          var ks = keys(src);
          for (var j = 0; j < ks.length; j++) out[ks[j]] = src[ks[j]];
        }
      } else {
        out[e[1]] = e[2];
      }
    }
    return out;
  }

  function el(tag, line, source) {
    if (++nodes > maxNodes) throw new RangeError('the page renders more than ' + maxNodes + ' elements');
    var e = { t: tag, a: {}, c: [], l: line };
    if (source !== undefined) e.n = source;
    return e;
  }

  function txt(out, v) {
    var s = str(v);
    if (s === '') return;
    var n = out.length;
    if (n && typeof out[n - 1] === 'string') out[n - 1] += s;
    else push(out, s);
  }

  function scope(parent, itemName, item, indexName, index) {
    var v = {};
    v[itemName] = item;
    v[indexName] = index;
    return { v: v, p: parent };
  }

  function each(list, fn) {
    if (list === null || list === undefined) return;
    var i;
    if (typeof list === 'number') {
      var n = list > maxNodes + 1 ? maxNodes + 1 : list;
      for (i = 0; i < n; i++) fn(i, i);
    } else if (typeof list === 'string') {
      for (i = 0; i < list.length && i <= maxNodes; i++) fn(list.charAt(i), i);
    } else if (isArray(list)) {
      for (i = 0; i < list.length; i++) fn(list[i], i);
    } else if (typeof list === 'object') {
      var ks = keys(list);
      for (i = 0; i < ks.length; i++) fn(list[ks[i]], ks[i]);
    }
  }

  function keyed(out, items, key) {
    for (var i = 0; i < items.length; i++) {
      var c = items[i];
      if (key !== undefined && c && typeof c === 'object') c.k = key;
      if (typeof c === 'string' && out.length && typeof out[out.length - 1] === 'string') out[out.length - 1] += c;
      else push(out, c);
    }
  }

  // ---- script modules (WXS / SJS) ----------------------------------------------------------------------------------
  function getRegExp(pattern, flags) { return new RealRegExp(pattern, flags); }
  var clockMs = 0; // the logic realm's clock, as the host last set it
  function getDate() {
    var a = arguments;
    if (!a.length) return new RealDate(clockMs);
    return new (Function.prototype.bind.apply(RealDate, [null].concat(A.prototype.slice.call(a))))();
  }

  function loadScript(path, inline) {
    if (hasOwn(scriptCache, path)) return scriptCache[path].exports;
    var factory = inline && hasOwn(inline, path) ? inline[path] : scriptDefs[path];
    var module = { exports: {} };
    scriptCache[path] = module;
    if (typeof factory !== 'function') throw new Error('script module not found: ' + path);
    var dir = path.indexOf('/') >= 0 ? path.slice(0, path.lastIndexOf('/')) : '';
    var req = function (spec) { return loadScript(resolve(dir, S(spec)), inline); };
    factory(req, module, module.exports, getRegExp, getDate);
    return module.exports;
  }

  function resolve(dir, spec) {
    var parts = spec.charAt(0) === '/' ? [] : (dir ? dir.split('/') : []);
    var segs = spec.split('/');
    for (var i = 0; i < segs.length; i++) {
      var s = segs[i];
      if (s === '' || s === '.') continue;
      if (s === '..') parts.pop(); else push(parts, s);
    }
    return parts.join('/');
  }

  function fileScope(file, data) {
    var root = { v: data && typeof data === 'object' ? data : {}, p: null };
    var names = keys(file.scripts);
    if (!names.length) return root;
    var mods = {};
    for (var i = 0; i < names.length; i++) {
      try { mods[names[i]] = loadScript(file.scripts[names[i]], file.inline); }
      catch (e) { mods[names[i]] = undefined; problem('script module ' + names[i] + ': ' + S(e && e.message)); }
    }
    return { v: mods, p: root };
  }

  var problems = [];
  function problem(msg) { if (problems.length < 100) push(problems, msg); }

  // ---- templates ---------------------------------------------------------------------------------------------------
  function findTemplate(path, name) {
    var file = files[path];
    if (!file) return null;
    if (hasOwn(file.templates, name)) return { file: file, fn: file.templates[name] };
    for (var i = 0; i < file.imports.length; i++) {
      var imp = files[file.imports[i]];
      if (imp && hasOwn(imp.templates, name)) return { file: imp, fn: imp.templates[name] };
    }
    return null;
  }

  var depth = 0;
  function tpl(o, path, name, data, out, line) {
    var found = findTemplate(path, S(name));
    if (!found) { problem('template "' + S(name) + '" not found (' + path + ':' + line + ')'); return; }
    if (++depth > 64) { depth--; throw new RangeError('templates nested more than 64 deep'); }
    try { found.fn(fileScope(found.file, data), o, out); } finally { depth--; }
  }

  function inc(o, path, s, out) {
    var file = files[path];
    if (!file) { problem('included file not found: ' + path); return; }
    if (++depth > 64) { depth--; throw new RangeError('includes nested more than 64 deep'); }
    try { file.main(s, o, out); } finally { depth--; }
  }

  // compiled code receives the helpers as parameters, never through globals a script module could replace
  var helpers = [lookup, member, call, callMember, str, truthy, arr, obj, spread, el, txt, each, scope, keyed, tpl, inc];
  global.__view = {
    file: function (path, make) { files[path] = apply(make, undefined, helpers); },
    script: function (path, factory) { scriptDefs[path] = factory; }
  };

  // ---- diff: what changed between two renders of one slot, as patches addressed by child-index paths ----------
  var slots = create(null); // slot id -> last tree (children of the root)
  function same(a, b) {
    if (a === b) return true;
    if (a && b && typeof a === 'object' && typeof b === 'object') {
      try { return stringify(a) === stringify(b); } catch (_) { return false; }
    }
    return a !== a && b !== b; // NaN
  }
  function diffChildren(oc, nc, path, out) {
    var n = oc.length < nc.length ? oc.length : nc.length;
    for (var i = 0; i < n; i++) { push(path, i); diffNode(oc[i], nc[i], path, out); path.length--; }
    for (var j = n; j < nc.length; j++) push(out, ['add', A.prototype.slice.call(path), nc[j]]);
    if (oc.length > nc.length) push(out, ['trunc', A.prototype.slice.call(path), nc.length]);
  }
  function diffNode(o, n, path, out) {
    if (typeof o === 'string' || typeof n === 'string' || o.t !== n.t || o.l !== n.l || o.n !== n.n) {
      if (o !== n) push(out, ['node', A.prototype.slice.call(path), n]);
      return;
    }
    var k, ks = keys(n.a);
    for (var i = 0; i < ks.length; i++) {
      k = ks[i];
      if (!hasOwn(o.a, k) || !same(o.a[k], n.a[k])) push(out, ['set', A.prototype.slice.call(path), k, n.a[k]]);
    }
    var oks = keys(o.a);
    for (var j = 0; j < oks.length; j++) if (!hasOwn(n.a, oks[j])) push(out, ['del', A.prototype.slice.call(path), oks[j]]);
    if (!same(o.k, n.k)) push(out, ['key', A.prototype.slice.call(path), n.k === undefined ? null : n.k]);
    diffChildren(o.c, n.c, path, out);
  }

  function renderFile(path, data) {
    var file = files[path] || (gwxList.length ? (files[path] = compiledFile(path)) : null);
    if (!file) return { error: 'no template ' + path, tree: [] };
    nodes = 0; depth = 0; problems = [];
    var out = [];
    try {
      file.main(fileScope(file, data), {}, out);
    } catch (e) {
      return { tree: out, error: S(e && e.message || e), problems: problems };
    }
    return { tree: out, problems: problems };
  }

  // setData paths: 'a.b[0].c' -> ['a', 'b', 0, 'c'] (as the logic layer's setData takes them)
  function parsePath(path) {
    var out = [], cur = '', i = 0, n = path.length;
    while (i < n) {
      var ch = path.charAt(i);
      if (ch === '.') { if (cur !== '') push(out, cur); cur = ''; i++; continue; }
      if (ch === '[') {
        if (cur !== '') push(out, cur);
        cur = '';
        var end = path.indexOf(']', i);
        if (end < 0) end = n;
        var idx = path.slice(i + 1, end);
        push(out, /^\d+$/.test(idx) ? +idx : idx);
        i = end + 1;
        continue;
      }
      cur += ch; i++;
    }
    if (cur !== '') push(out, cur);
    return out;
  }
  function applyChanges(data, changes) {
    var ks = keys(changes);
    for (var i = 0; i < ks.length; i++) {
      var p = parsePath(ks[i]);
      if (!p.length || p.length > 64) continue;
      var o = data;
      for (var j = 0; j < p.length - 1; j++) {
        var k = p[j];
        if (k === '__proto__' || k === 'constructor' || k === 'prototype') { o = null; break; }
        if (o[k] === null || typeof o[k] !== 'object') o[k] = typeof p[j + 1] === 'number' ? [] : {};
        o = o[k];
      }
      var last = p[p.length - 1];
      if (o && last !== '__proto__' && last !== 'constructor' && last !== 'prototype') o[last] = changes[ks[i]];
    }
  }

  var slotData = create(null);
  function updateSlot(slot, path, data) {
    var res = renderFile(path, data);
    var old = slots[slot];
    slots[slot] = res.tree;
      if (old) {
      var patches = [];
      diffChildren(old, res.tree, [], patches);
      res.patches = patches;
      delete res.tree;
    }
    return res;
  }

  // ---- compiled templates ($gwx code from .wxapkg packages, as the official wcc compiler generates it) -------
  var gwxList = [];
  function captureGwx() {
    var names = O.getOwnPropertyNames(global);
    for (var i = 0; i < names.length; i++) {
      var n = names[i];
      if ((n === '$gwx' || n.slice(0, 5) === '$gwx_') && typeof global[n] === 'function' &&
          gwxList.indexOf(global[n]) < 0) push(gwxList, global[n]);
    }
    return gwxList.length;
  }
  function gwxGenerator(path) {
    var names = [path, './' + path];
    for (var i = gwxList.length - 1; i >= 0; i--) {
      for (var j = 0; j < names.length; j++) {
        var gen;
        try { gen = gwxList[i](names[j]); } catch (_) { gen = null; }
        if (typeof gen === 'function') return gen;
      }
    }
    return null;
  }
  function normaliseVdom(node, out, key) {
    if (node === null || node === undefined) return;
    if (typeof node !== 'object') { txt(out, node); return; }
    var tag = typeof node.tag === 'string' ? node.tag : '';
    var kids = isArray(node.children) ? node.children : [];
    var i;
    if (tag === 'virtual' || tag === 'wx-page' || tag === 'wx-block' || tag === '') {
      var k = node.wxKey !== undefined ? node.wxKey : key;
      for (i = 0; i < kids.length; i++) normaliseVdom(kids[i], out, k);
      return;
    }
    var e = el(tag.slice(0, 3) === 'wx-' ? tag.slice(3) : tag, 0);
    var attr = node.attr && typeof node.attr === 'object' ? node.attr : {};
    var ks = keys(attr);
    for (i = 0; i < ks.length; i++) e.a[ks[i]] = attr[ks[i]];
    if (key !== undefined) e.k = key;
    for (i = 0; i < kids.length; i++) normaliseVdom(kids[i], e.c, undefined);
    push(out, e);
  }
  function compiledFile(path) {
    var gen = gwxGenerator(path);
    if (!gen) return null;
    return { main: function (s, o, out) { normaliseVdom(gen(s && s.v ? s.v : {}, {}, {}), out, undefined); },
             templates: {}, imports: [], scripts: {}, inline: {} };
  }

  global.__view_entry = function (op, a, b, c) {
    if (op === 'render') return renderFile(a, b);
    if (op === 'gwx') return captureGwx();
    // update: render into slot a (e.g. a page instance) with data c; answer with the patches from its previous
    // tree, if any. setData: apply c (setData's {path: value}) to the slot's data first.
    if (op === 'update') { slotData[a] = c && typeof c === 'object' ? c : {}; return updateSlot(a, b, slotData[a]); }
    if (op === 'setData') {
      if (!slotData[a]) slotData[a] = {};
      if (c && typeof c === 'object') applyChanges(slotData[a], c);
      return updateSlot(a, b, slotData[a]);
    }
    if (op === 'drop') { delete slots[a]; delete slotData[a]; return true; }
    if (op === 'has') return !!(files[a] || (gwxList.length && (files[a] = compiledFile(a))));
    if (op === 'limit') { maxNodes = a; return true; }
    if (op === 'clock') { clockMs = +a || 0; return true; }
    return null;
  };
})(globalThis);
