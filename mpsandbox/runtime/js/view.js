// mpsandbox view realm: runs compiled templates and script modules (WXS/SJS) to build element trees.
//
// This realm is apart from the logic realm, as on the platforms: data arrives as JSON copies, and the only way
// in is __view_entry (pinned by the host). Intrinsics are captured first so a script module cannot break
// rendering by replacing them.
(function (global) {
  'use strict';
  delete global.__mpsb_json; // the framework's serializer (runtime/js/framework.js); not the templates'
  var O = Object, A = Array, S = String, R = Reflect;
  var hasOwn = Function.prototype.call.bind(O.prototype.hasOwnProperty);
  var isArray = A.isArray, keys = O.keys, create = O.create, apply = R.apply;
  var push = Function.prototype.call.bind(A.prototype.push);
  var stringify = JSON.stringify;
  var RealRegExp = RegExp, RealDate = Date;
  var slice = Function.prototype.call.bind(A.prototype.slice);
  var defineProperty = O.defineProperty;
  var RealSet = Set, setHas = Function.prototype.call.bind(Set.prototype.has);
  var setAdd = Function.prototype.call.bind(Set.prototype.add);
  var weakHas = Function.prototype.call.bind(WeakSet.prototype.has);
  var weakAdd = Function.prototype.call.bind(WeakSet.prototype.add);

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

  // ---- reuse: what a render can keep of the previous render of the same slot -------------------------------------
  // Each item of a wx:for is a unit (see loop). A unit's output is a function of the names it looks up in scopes at
  // or above its own (the page's data, the loop variables), read by identity: data is never changed in place (setData
  // copies the containers on a changed path, update shares what did not change with the previous data), so an
  // unchanged value is the same value. A unit whose reads all give the same values as last time keeps last
  // time's elements (and the diff skips them: same object, same subtree). Only template code runs in such a
  // render: once a script module (WXS/SJS) or compiled template code has run in the realm, anything could change
  // behind a value (a getter, a replaced toString, a function's state), so every render is then complete.
  var reuse = false; // this render may reuse units (it keeps what it renders either way, when prevT/nextT are set)
  var prevT = null, nextT = null; // the unit tables of the enclosing unit (or the slot): last render's and this one's
  var reads = null; // the reads of the unit being rendered: [depth, name, value, ...]
  var unitDepth = -1; // the scope depth of that unit
  var bundleCodeRan = false; // a script module or compiled template code has run in this realm
  var NO_PROBLEMS = [];

  function record(d, k, v) {
    for (var i = 1; i < reads.length; i += 3) if (reads[i] === k) return;
    push(reads, d); push(reads, k); push(reads, v);
  }

  function lookup(s, k) {
    var t = s, d = 0;
    while (t) {
      if (hasOwn(t.v, k)) {
        var v = t.v[k];
        if (reads !== null && t.d <= unitDepth) record(t.d, k, v);
        return v;
      }
      d = t.d;
      t = t.p;
    }
    if (reads !== null && d <= unitDepth) record(d, k, undefined);
    return undefined;
  }

  function sameValue(a, b) {
    return a === b ? (a !== 0 || 1 / a === 1 / b) : (a !== a && b !== b);
  }

  // an entry's reads from outside its item (names at the item's own depth are its item and index: the same item
  // at the same index or key reads the same), looked up again in the scope the list is rendered in
  function stillValid(r, parent) {
    for (var i = 0; i < r.length; i += 3) {
      var k = r[i + 1], t = parent;
      while (t !== null && !hasOwn(t.v, k)) t = t.p;
      if (!sameValue(t !== null ? t.v[k] : undefined, r[i + 2])) return false;
    }
    return true;
  }

  function propagate(r, upTo) {
    for (var i = 0; i < r.length; i += 3) if (r[i] <= upTo) record(r[i], r[i + 1], r[i + 2]);
  }

  // A list: body(scope, out, item) renders one item into out and answers its key. The tables hold, per list (its
  // site in the template) in the enclosing unit, each item's entry: by index for arrays, by key for objects.
  function loop(out, site, list, parent, itemName, indexName, body) {
    if (prevT === null && nextT === null) {
      each(list, function (item, index) {
        var k = [];
        keyed(out, k, body(scope(parent, itemName, item, indexName, index), k, item));
      });
      return;
    }
    var pl = prevT !== null && hasOwn(prevT, site) ? prevT[site] : null;
    if (!(reuse && !bundleCodeRan)) pl = null;
    var nl = hasOwn(nextT, site) ? nextT[site] : (nextT[site] = { a: [], o: create(null) });
    var depth = parent.d + 1;
    // last render's entries, taken from the table: each is kept once (no element is in a tree twice)
    var pa = pl !== null ? pl.a : null, po = pl !== null ? pl.o : null;
    if (pl !== null) { pl.a = []; pl.o = create(null); }
    var one = function (item, index, prev) {
      var byIndex = typeof index === 'number';
      if (prev !== undefined && prev.it === item && (item !== 0 || 1 / item === 1 / prev.it)
          && (prev.x.length === 0 || stillValid(prev.x, parent))) {
        nodes += prev.n;
        if (nodes > maxNodes) throw new RangeError('the page renders more than ' + maxNodes + ' elements');
        if (prev.p.length) for (var i = 0; i < prev.p.length; i++) problem(prev.p[i]);
        if (reads !== null && prev.x.length) propagate(prev.x, unitDepth);
        if (byIndex) nl.a[index] = prev; else nl.o[index] = prev;
        if (prev.one) out[out.length] = prev.o[0]; // one element (its key already set)
        else keyed(out, prev.o, prev.key);
        return;
      }
      var s = scope(parent, itemName, item, indexName, index);
      var outerPrev = prevT, outerNext = nextT, outerReads = reads, outerDepth = unitDepth;
      var n0 = nodes, p0 = problems.length, mine = [], k = [], key, inner;
      prevT = prev !== undefined ? prev.t : null; nextT = create(null); reads = mine; unitDepth = depth;
      try {
        key = body(s, k, item);
      } finally {
        inner = nextT;
        prevT = outerPrev; nextT = outerNext; reads = outerReads; unitDepth = outerDepth;
      }
      var outside = [];
      for (var j = 0; j < mine.length; j += 3) {
        if (mine[j] < depth) { push(outside, mine[j]); push(outside, mine[j + 1]); push(outside, mine[j + 2]); }
      }
      if (problems.length < 100) {
        var entry = { x: outside, it: item, o: k, one: k.length === 1 && typeof k[0] === 'object' && k[0] !== null,
                      key: key, n: nodes - n0,
                      p: problems.length > p0 ? slice(problems, p0) : NO_PROBLEMS, t: inner };
        if (byIndex) nl.a[index] = entry; else nl.o[index] = entry;
      }
      if (reads !== null && outside.length) propagate(outside, unitDepth);
      keyed(out, k, key);
    };
    if (isArray(list)) {
      var na = nl.a;
      for (var i = 0; i < list.length; i++) {
        var item = list[i], prev = pa !== null ? pa[i] : undefined;
        // the common case inline: the same item, kept as one element, reading nothing else
        if (prev !== undefined && prev.one && prev.it === item && prev.x.length === 0 && prev.p.length === 0
            && (item !== 0 || 1 / item === 1 / prev.it)) {
          nodes += prev.n;
          if (nodes > maxNodes) throw new RangeError('the page renders more than ' + maxNodes + ' elements');
          na[i] = prev;
          out[out.length] = prev.o[0];
        } else one(item, i, prev);
      }
    } else {
      each(list, function (item, index) {
        one(item, index, typeof index === 'number' ? (pa !== null ? pa[index] : undefined)
          : (po !== null ? po[index] : undefined));
      });
    }
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
    return { v: v, p: parent, d: parent.d + 1 };
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

  // a value's constructor in WXS/SJS: its type's name (script modules read it through __ctor, see compile.py)
  var isDate = function (v) { try { RealDate.prototype.getTime.call(v); return true; } catch (e) { return false; } };
  function ctorName(v) {
    if (v === null || v === undefined) return v.constructor; // the TypeError JS gives
    var t = typeof v;
    if (t === 'number') return 'Number';
    if (t === 'string') return 'String';
    if (t === 'boolean') return 'Boolean';
    if (t === 'function') return 'Function';
    if (t !== 'object') return v.constructor;
    if (hasOwn(v, 'constructor')) return v.constructor;
    if (isArray(v)) return 'Array';
    if (v instanceof RealRegExp) return 'RegExp';
    if (isDate(v)) return 'Date';
    return 'Object';
  }

  function loadScript(path, inline) {
    if (hasOwn(scriptCache, path)) return scriptCache[path].exports;
    bundleCodeRan = true;
    var factory = inline && hasOwn(inline, path) ? inline[path] : scriptDefs[path];
    var module = { exports: {} };
    scriptCache[path] = module;
    if (typeof factory !== 'function') throw new Error('script module not found: ' + path);
    var dir = path.indexOf('/') >= 0 ? path.slice(0, path.lastIndexOf('/')) : '';
    var req = function (spec) { return loadScript(resolve(dir, S(spec)), inline); };
    factory(req, module, module.exports, getRegExp, getDate, ctorName);
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

  function fileScope(file, data, base) {
    var root = { v: data && typeof data === 'object' ? data : {}, p: null, d: base };
    var names = keys(file.scripts);
    if (!names.length) return root;
    var mods = {};
    for (var i = 0; i < names.length; i++) {
      try { mods[names[i]] = loadScript(file.scripts[names[i]], file.inline); }
      catch (e) { mods[names[i]] = undefined; problem('script module ' + names[i] + ': ' + S(e && e.message)); }
    }
    return { v: mods, p: root, d: base + 1 };
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
    try { found.fn(fileScope(found.file, data, unitDepth + 1), o, out); } finally { depth--; }
  }

  function inc(o, path, s, out) {
    var file = files[path];
    if (!file) { problem('included file not found: ' + path); return; }
    if (++depth > 64) { depth--; throw new RangeError('includes nested more than 64 deep'); }
    try { file.main(s, o, out); } finally { depth--; }
  }

  // compiled code receives the helpers as parameters, never through globals a script module could replace
  var helpers = [lookup, member, call, callMember, str, truthy, arr, obj, spread, el, txt, loop, tpl, inc];
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
    for (var i = 0; i < n; i++) {
      if (oc[i] === nc[i]) continue; // the same text, or an element kept from the previous render
      push(path, i); diffNode(oc[i], nc[i], path, out); path.length--;
    }
    for (var j = n; j < nc.length; j++) push(out, ['add', A.prototype.slice.call(path), nc[j]]);
    if (oc.length > nc.length) push(out, ['trunc', A.prototype.slice.call(path), nc.length]);
  }
  function diffNode(o, n, path, out) {
    if (o === n) return; // an element kept from the previous render
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

  // memo: the slot's unit table from its last render (null: keep nothing), or undefined for a one-off render
  function renderFile(path, data, memo) {
    var file = files[path] || (gwxList.length ? (files[path] = compiledFile(path)) : null);
    if (!file) return { error: 'no template ' + path, tree: [] };
    nodes = 0; depth = 0; problems = [];
    reads = null; unitDepth = -1;
    reuse = memo !== undefined && memo !== null;
    prevT = reuse ? memo : null;
    nextT = memo !== undefined ? create(null) : null;
    var out = [], kept = nextT;
    try {
      file.main(fileScope(file, data, 0), {}, out);
    } catch (e) {
      prevT = nextT = null;
      return { tree: out, error: S(e && e.message || e), problems: problems, memo: null };
    }
    prevT = nextT = null;
    return { tree: out, problems: problems, memo: kept };
  }

  function digits(s) {
    if (!s.length) return false;
    for (var i = 0; i < s.length; i++) { var c = s.charCodeAt(i); if (c < 48 || c > 57) return false; }
    return true;
  }

  // setData paths: 'a.b[0].c' -> ['a', 'b', 0, 'c'] (as the logic layer's setData takes them)
  function parsePath(path) {
    var out = [], i = 0, n = path.length, start = 0, c;
    while (i < n) {
      c = path.charCodeAt(i);
      if (c === 46) { // .
        if (i > start) push(out, path.slice(start, i));
        start = ++i;
      } else if (c === 91) { // [
        if (i > start) push(out, path.slice(start, i));
        var end = path.indexOf(']', i);
        if (end < 0) end = n;
        var idx = path.slice(i + 1, end);
        push(out, digits(idx) ? +idx : idx);
        start = i = end + 1;
      } else i++;
    }
    if (n > start) push(out, path.slice(start, n));
    return out;
  }

  // arrays setData gave a property other than an index (JSON arrays have none)
  var oddArrays = new WeakSet();
  function setOn(o, k, v) {
    if (typeof k === 'string' && isArray(o) && k !== 'length' && !digits(k)) weakAdd(oddArrays, o);
    o[k] = v;
  }
  // a container of the data, copied (the previous render's units may hold the original)
  function copy(o) {
    var out, ks, i, k;
    if (bundleCodeRan) return o; // no render reuses anything: changed in place, as ever (script modules may hold it)
    if (isArray(o)) {
      out = slice(o);
      if (!weakHas(oddArrays, o)) return out;
      weakAdd(oddArrays, out);
      ks = keys(o);
      for (i = 0; i < ks.length; i++) if (!/^\d+$/.test(ks[i])) out[ks[i]] = o[ks[i]];
      return out;
    }
    ks = keys(o);
    out = {};
    for (i = 0; i < ks.length; i++) {
      k = ks[i];
      if (k === '__proto__') defineProperty(out, k, { value: o[k], writable: true, enumerable: true, configurable: true });
      else out[k] = o[k];
    }
    return out;
  }

  // setData's changes applied to a copy of the data: the containers on each changed path are copied (once per
  // call), everything else is shared with the previous data; answers the new data
  function applyChanges(data, changes) {
    var ks = keys(changes);
    var fresh = ks.length > 1 && !bundleCodeRan ? new RealSet() : null; // one change copies each container once
    for (var i = 0; i < ks.length; i++) {
      var p = parsePath(ks[i]);
      if (!p.length || p.length > 64) continue;
      if (fresh === null || !setHas(fresh, data)) { data = copy(data); if (fresh !== null) setAdd(fresh, data); }
      var o = data;
      for (var j = 0; j < p.length - 1; j++) {
        var k = p[j];
        if (k === '__proto__' || k === 'constructor' || k === 'prototype') { o = null; break; }
        var child = o[k];
        if (child === null || typeof child !== 'object') child = typeof p[j + 1] === 'number' ? [] : {};
        else if (fresh === null || !setHas(fresh, child)) child = copy(child);
        if (fresh !== null) setAdd(fresh, child);
        setOn(o, k, child);
        o = child;
      }
      var last = p[p.length - 1];
      if (o && last !== '__proto__' && last !== 'constructor' && last !== 'prototype') {
        var value = changes[ks[i]];
        // a value replacing a part of the data keeps what equals that part (a list set again with an item more)
        if (!bundleCodeRan && value !== null && typeof value === 'object' && hasOwn(o, last)) value = share(o[last], value, 0);
        setOn(o, last, value);
      }
    }
    return data;
  }

  // the new data with every part equal to the previous data's replaced by that part (so units see it unchanged)
  function share(o, n, level) {
    if (o === n && (n !== 0 || 1 / o === 1 / n)) return o;
    if (o === null || n === null || typeof o !== 'object' || typeof n !== 'object') return o !== o && n !== n ? o : n;
    if (level > 100) return n;
    var all = true, i, ov, nv, v, m;
    if (isArray(n)) {
      if (!isArray(o)) return n;
      var len = n.length;
      if (o.length !== len || weakHas(oddArrays, o)) all = false; // (n is JSON: no odd arrays)
      m = o.length < len ? o.length : len;
      for (i = 0; i < m; i++) {
        ov = o[i]; nv = n[i];
        if (ov === nv && (nv !== 0 || 1 / ov === 1 / nv)) continue;
        v = typeof nv === 'object' && nv !== null ? share(ov, nv, level + 1) : (ov !== ov && nv !== nv ? ov : nv);
        if (v !== nv) n[i] = v;
        if (v !== ov || (v === 0 && 1 / v !== 1 / ov)) all = false; // 0 and -0 differ (1 / x)
      }
      if (len > m) all = false;
      return all ? o : n;
    }
    if (isArray(o)) return n;
    var ks = keys(n), oks = keys(o);
    if (ks.length !== oks.length) all = false;
    for (i = 0; i < ks.length; i++) {
      var k = ks[i];
      if (k === '__proto__') { all = false; continue; }
      if (oks[i] !== k) { all = false; if (!hasOwn(o, k)) continue; }
      ov = o[k]; nv = n[k];
      if (ov === nv && (nv !== 0 || 1 / ov === 1 / nv)) continue;
      v = typeof nv === 'object' && nv !== null ? share(ov, nv, level + 1) : (ov !== ov && nv !== nv ? ov : nv);
      if (v !== nv) n[k] = v;
      if (v !== ov || (v === 0 && 1 / v !== 1 / ov)) all = false; // 0 and -0 differ (1 / x)
    }
    return all ? o : n;
  }

  var slotData = create(null);
  var slotMemo = create(null); // slot -> its unit table (see loop)
  function updateSlot(slot, path, data) {
    var res = renderFile(path, data, (hasOwn(slotMemo, slot) && slotMemo[slot]) || null);
    slotMemo[slot] = res.memo || null;
    delete res.memo;
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
      // $gwx (main package), $gwx28 (a subpackage's page-frame.js), $gwx_<appid> (plugins)
      if (/^\$gwx(\d*|_.*)$/.test(n) && typeof global[n] === 'function' &&
          gwxList.indexOf(global[n]) < 0) push(gwxList, global[n]);
    }
    if (gwxList.length) bundleCodeRan = true;
    return gwxList.length;
  }
  var gwxOf = O.create(null); // template path -> the name of the $gwx function that defines it (from its source)
  function gwxGenerator(path) {
    var names = [path, './' + path];
    // its own function first: calling each of a big app's 30-odd functions builds every package's templates
    var own = gwxOf[path] && global[gwxOf[path]];
    if (typeof own === 'function') {
      for (var n = 0; n < names.length; n++) {
        var g;
        try { g = own(names[n]); } catch (_) { g = null; }
        if (typeof g === 'function') return g;
      }
    }
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
    var e = el(tag.slice(0, 3) === 'wx-' ? tag.slice(3) : tag, 0,
               typeof node.src === 'string' ? node.src : undefined);
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
    if (op === 'update') {
      var next = c && typeof c === 'object' ? c : {};
      slotData[a] = slotData[a] && !bundleCodeRan ? share(slotData[a], next, 0) : next;
      return updateSlot(a, b, slotData[a]);
    }
    if (op === 'setData') {
      if (!slotData[a]) slotData[a] = {};
      if (c && typeof c === 'object') slotData[a] = applyChanges(slotData[a], c);
      return updateSlot(a, b, slotData[a]);
    }
    if (op === 'drop') { delete slots[a]; delete slotData[a]; delete slotMemo[a]; return true; }
    if (op === 'gwxpaths') {
      for (var gi = 0; isArray(b) && gi < b.length; gi++) if (typeof b[gi] === 'string') gwxOf[b[gi]] = S(a);
      return true;
    }
    if (op === 'has') return !!(files[a] || (gwxList.length && (files[a] = compiledFile(a))));
    if (op === 'limit') { maxNodes = a; return true; }
    if (op === 'clock') { clockMs = +a || 0; return true; }
    return null;
  };
})(globalThis);
