// mpsandbox JS framework: runs inside the engine, before and beside the bundle's code.
//
// Everything the bundle can reach is installed by boot(); everything the host can reach is __mpsb_entry and
// __mpsb_boot (both pinned by the host, i.e. deleted from the global object before any bundle code runs).
// Intrinsics are captured first, so a bundle that overwrites JSON.stringify, Array.prototype.push or Date
// cannot blind or break the framework.
(function (global) {
  'use strict';

  // ---- captured intrinsics ---------------------------------------------------------------------------
  var O = Object, A = Array, S = String, R = Reflect, J = JSON, M = Math, E = Error, P = Promise;
  var RealDate = Date, RealFunction = Function, RealSymbol = Symbol, RealTypeError = TypeError;
  var fnCall = Function.prototype.call;
  var fnBind = fnCall.bind(Function.prototype.bind);
  var uncurry = function (f) { return fnCall.bind(f); };
  var apply = R.apply, construct = R.construct, ownKeys = R.ownKeys;
  var stringify = J.stringify, parseJSON = J.parse;
  // JSON.stringify watched by the serializer's budget (the shim's; deleted here, before any bundle code runs)
  var watchedJSON = global.__mpsb_json;
  delete global.__mpsb_json;
  var keys = O.keys, create = O.create, freeze = O.freeze, defineProperty = O.defineProperty;
  var getPrototypeOf = O.getPrototypeOf, setPrototypeOf = O.setPrototypeOf, isFrozen = O.isFrozen;
  var getOwnPropertyNames = O.getOwnPropertyNames, getOwnPropertyDescriptor = O.getOwnPropertyDescriptor;
  var hasOwn = uncurry(O.prototype.hasOwnProperty);
  var objToString = uncurry(O.prototype.toString);
  var isArray = A.isArray;
  var push = uncurry(A.prototype.push), arrSlice = uncurry(A.prototype.slice);
  var arrSplice = uncurry(A.prototype.splice), arrIndexOf = uncurry(A.prototype.indexOf);
  var arrJoin = uncurry(A.prototype.join);
  var strSlice = uncurry(S.prototype.slice), strIndexOf = uncurry(S.prototype.indexOf);
  var strSplit = uncurry(S.prototype.split), strReplace = uncurry(S.prototype.replace);
  var strTrim = uncurry(S.prototype.trim), charCodeAt = uncurry(S.prototype.charCodeAt);
  var toUpper = uncurry(S.prototype.toUpperCase), toLower = uncurry(S.prototype.toLowerCase);
  var strStartsWith = uncurry(S.prototype.startsWith), strRepeat = uncurry(S.prototype.repeat);
  var padStart = uncurry(S.prototype.padStart);
  var reExec = uncurry(RegExp.prototype.exec), reTest = uncurry(RegExp.prototype.test);
  var then = uncurry(P.prototype.then);
  var floor = M.floor, mathMin = M.min, mathMax = M.max, mathAbs = M.abs;
  var numIsFinite = Number.isFinite, numIsNaN = Number.isNaN, isInteger = Number.isInteger;
  var dateGetTime = uncurry(RealDate.prototype.getTime);
  var dateUTC = RealDate.UTC, dateParse = RealDate.parse;
  var RealMap = Map;
  var mapGet = uncurry(Map.prototype.get), mapSet = uncurry(Map.prototype.set);
  var mapHas = uncurry(Map.prototype.has), mapDelete = uncurry(Map.prototype.delete);
  var stackDescriptor = getOwnPropertyDescriptor(E.prototype, 'stack');
  var stackGetter = stackDescriptor && stackDescriptor.get;
  var errorStackOf = function (e) {
    try {
      var d = getOwnPropertyDescriptor(e, 'stack');
      if (d) return typeof d.value === 'string' ? d.value : '';
      if (stackGetter && e instanceof E) { var s = apply(stackGetter, e, []); return typeof s === 'string' ? s : ''; }
      return '';
    } catch (_) { return ''; }
  };
  var LIMIT_SETDATA = 1024 * 1024;

  // ---- state ---------------------------------------------------------------------------------------------
  var host = null; // the bridge: host(op, payloadJson) -> resultJson
  var cfg = null;
  var platform = 'tt';
  var defs = create(null); // module path -> factory
  var cache = create(null); // module path -> module
  var loading = null; // {kind: 'page'|'component'|'app', path}
  var appInstance = null, appDefined = false;
  var pageDefs = create(null); // route -> {options, isComponent}
  var componentDefs = create(null); // path -> options
  var stack = []; // page instances, bottom first
  var pagesById = create(null);
  var timers = create(null);
  var timerSeq = 0;
  var pending = create(null); // call id -> {cbs, resolve, reject, api}
  var channels = create(null); // navigateTo call id -> {opener, page}: the event channels it links
  var callSeq = 0;
  var objects = create(null); // object id -> {obj, listeners}
  var apiListeners = create(null); // api id -> [fn]
  var renderCallbacks = create(null);
  var renderSeq = 0;
  var reportingError = false;
  var nowMs = 0; // virtual clock, set by the host before every turn
  var epochMs = 0;
  var tzOffsetMs = 8 * 3600 * 1000; // UTC+8, China Standard Time: fixed so local time is deterministic

  // ---- bridge ----------------------------------------------------------------------------------------------
  function quote(str) { return stringify(S(str)); } // strings never consult toJSON

  // ---- the serializer ------------------------------------------------------------------------------------------
  // Everything that crosses to the host is JSON made here as the platform's JSON.stringify makes it (toJSON with
  // its key, primitive wrappers, own enumerable keys, holes and functions), but without recursion: an explicit
  // stack serializes any depth, cycles become "[Circular]", binary data (ArrayBuffer, typed arrays, DataView)
  // becomes {"$binary": base64, "type", "bytes"}, and a budget of nodes and characters bounds the cost: what is
  // past it is marked in the JSON and reported to the host as a cut (op 'cut'), so the record says it is
  // incomplete. The host never holds data nested deeper than SER_HOST_DEPTH: a container at that depth crosses
  // as {"$deep": "<its JSON>"}, whole and searchable. A toJSON inherited from Object.prototype or Array.prototype
  // is not called: planted there, it would rewrite the framework's own messages.
  // The message itself (the root's members: api name, call id, callback names) is never cut: past the budget
  // the root's containers close empty and its strings keep SER_ENVELOPE_CHARS.
  var SER_MAX_NODES = 200000, SER_MAX_CHARS = 8 * 1024 * 1024, SER_HOST_DEPTH = 64, SER_ENVELOPE_CHARS = 256;
  var ObjectProto = O.prototype, ArrayProto = A.prototype;
  var RealU8 = Uint8Array, isView = ArrayBuffer.isView;
  var getterOf = function (proto, name) { var d = getOwnPropertyDescriptor(proto, name); return d && d.get; };
  var TypedArrayProto = getPrototypeOf(RealU8.prototype);
  var taTag = getterOf(TypedArrayProto, RealSymbol.toStringTag), taBuffer = getterOf(TypedArrayProto, 'buffer');
  var taOffset = getterOf(TypedArrayProto, 'byteOffset'), taLength = getterOf(TypedArrayProto, 'byteLength');
  var dvBuffer = getterOf(DataView.prototype, 'buffer'), dvOffset = getterOf(DataView.prototype, 'byteOffset');
  var dvLength = getterOf(DataView.prototype, 'byteLength');
  var abLength = getterOf(ArrayBuffer.prototype, 'byteLength');
  var sabLength = typeof SharedArrayBuffer === 'function' ? getterOf(SharedArrayBuffer.prototype, 'byteLength') : null;
  var u8Subarray = RealU8.prototype.subarray, u8ToBase64 = RealU8.prototype.toBase64;
  var BigIntProto = typeof BigInt === 'function' ? BigInt.prototype : null;
  var WRAPPERS = [[Number.prototype.valueOf, 'number'], [S.prototype.valueOf, 'string'],
                  [Boolean.prototype.valueOf, 'boolean']];
  if (BigIntProto) push(WRAPPERS, [BigIntProto.valueOf, 'bigint']);
  var OMIT = {}; // serResolve(): a value JSON leaves out (undefined, functions, symbols)
  var serCuts = null; // cuts of the serializations since the last message: reported with the next one

  function hasBrand(getter, v) { try { apply(getter, v, []); return true; } catch (_) { return false; } }

  // A page or component instance crosses as what identifies it and its data, not its framework internals (owner,
  // page, usage, nested components): passed to an API (createIntersectionObserver(this)), a Taro component
  // serialized its whole page again and again (200,000 values a call).
  function instanceMarker(v, proto) {
    if (proto === pageProto) return { $instance: 'page', route: v.route, data: v.data };
    if (proto === componentProto) return { $instance: 'component', is: v.is, id: v.id, data: v.data };
    return null;
  }

  var B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  function base64(bytes) {
    if (typeof u8ToBase64 === 'function') return apply(u8ToBase64, bytes, []);
    var parts = [], n = bytes.length, i = 0;
    for (; i + 2 < n; i += 3) {
      var x = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
      push(parts, B64[x >> 18] + B64[(x >> 12) & 63] + B64[(x >> 6) & 63] + B64[x & 63]);
    }
    if (i < n) {
      var y = (bytes[i] << 16) | (i + 1 < n ? bytes[i + 1] << 8 : 0);
      push(parts, B64[y >> 18] + B64[(y >> 12) & 63] + (i + 1 < n ? B64[(y >> 6) & 63] : '=') + '=');
    }
    return arrJoin(parts, '');
  }

  // {type, bytes} of binary data, else null. Views by their internal slots (ArrayBuffer.isView and the typed
  // arrays' own toStringTag getter cannot be fooled); buffers by the brand check of their byteLength getter,
  // unless their prototype is Object.prototype: the platforms then send them as {} too (nothing to find).
  function binaryOf(v, proto) {
    if (isView(v)) {
      var tag = apply(taTag, v, []);
      if (tag !== undefined) {
        return { type: tag, bytes: new RealU8(apply(taBuffer, v, []), apply(taOffset, v, []), apply(taLength, v, [])) };
      }
      return { type: 'DataView', bytes: new RealU8(apply(dvBuffer, v, []), apply(dvOffset, v, []), apply(dvLength, v, [])) };
    }
    if (proto === ObjectProto || proto === ArrayProto || proto === null) return null;
    if (hasBrand(abLength, v)) return { type: 'ArrayBuffer', bytes: new RealU8(v) };
    if (sabLength && hasBrand(sabLength, v)) return { type: 'SharedArrayBuffer', bytes: new RealU8(v) };
    return null;
  }

  function findToJSON(w, v, planted) {
    // what Get(v, "toJSON") finds, walking the prototype chain without running getters other than the one found;
    // one on Object.prototype or Array.prototype only when `planted` (inside the arguments of an API call)
    var o = typeof v === 'bigint' ? BigIntProto : v;
    for (var level = 0; o !== null && (planted || (o !== ObjectProto && o !== ArrayProto)); level++) {
      if (level) w.nodes++; // a long prototype chain costs like a deep object
      var d = getOwnPropertyDescriptor(o, 'toJSON');
      if (d) return d.get ? apply(d.get, v, []) : d.value;
      if (w.nodes >= SER_MAX_NODES) { w.skipped++; return undefined; }
      o = getPrototypeOf(o);
    }
    return undefined;
  }

  function serResolve(w, v, key, planted) {
    var t = typeof v;
    if ((t === 'object' && v !== null) || t === 'bigint') {
      var toJSON = findToJSON(w, v, planted);
      if (typeof toJSON === 'function') { v = apply(toJSON, v, [S(key)]); t = typeof v; }
    }
    return t === 'undefined' || t === 'function' || t === 'symbol' ? OMIT : v;
  }

  function serPut(w, text) { w.chars += text.length; push(w.out, text); }
  function serPutString(w, s, envelope) {
    var room = SER_MAX_CHARS - w.chars;
    if (envelope && room < SER_ENVELOPE_CHARS) room = SER_ENVELOPE_CHARS;
    if (s.length > room) { room = room > 0 ? room : 0; w.charsCut += s.length - room; s = strSlice(s, 0, room); }
    serPut(w, quote(s));
  }
  function serPutBinary(w, bin) {
    var bytes = bin.bytes, room = floor((SER_MAX_CHARS - w.chars) / 4) * 3;
    if (bytes.length > room) {
      room = room > 0 ? room : 0;
      w.charsCut += floor((bytes.length - room) * 4 / 3);
      bytes = apply(u8Subarray, bytes, [0, room]);
    }
    serPut(w, '{"$binary":"' + base64(bytes) + '","type":' + quote(bin.type) + ',"bytes":' + bin.bytes.length + '}');
  }

  // Write a resolved value, or open a container: a frame on the stack (everything that may run bundle code is
  // done before anything is written, so a throw leaves the output whole).
  function serEmit(w, frames, v, hostDepth, json) {
    var t = typeof v;
    if (v === null) return serPut(w, 'null');
    if (t === 'string') return serPutString(w, v, frames.length === 1);
    if (t === 'number') return serPut(w, v === v && v !== 1 / 0 && v !== -1 / 0 ? S(v) : 'null');
    if (t === 'boolean') return serPut(w, v ? 'true' : 'false');
    if (t === 'bigint') return serPutString(w, S(v)); // JSON would throw; kept as text so that it is searched
    var arr = isArray(v), proto = getPrototypeOf(v);
    if (!arr && proto !== ObjectProto && proto !== ArrayProto && proto !== null) {
      var marker = instanceMarker(v, proto);
      if (marker) return serEmit(w, frames, marker, hostDepth, json);
      for (var b = 0; b < WRAPPERS.length; b++) {
        if (!hasBrand(WRAPPERS[b][0], v)) continue;
        var kind = WRAPPERS[b][1];
        if (kind === 'number') return serEmit(w, frames, +v, hostDepth, json);
        if (kind === 'string') return serPutString(w, S(v));
        return serEmit(w, frames, apply(WRAPPERS[b][0], v, []), hostDepth, json);
      }
    }
    if (mapHas(w.path, v)) return serPut(w, '"[Circular]"');
    var ks = arr ? null : keys(v);
    var n = arr ? v.length : ks.length;
    if (!arr) {
      var bin = binaryOf(v, proto);
      if (bin) return serPutBinary(w, bin);
    } else {
      n = +n;
      n = n > 0 ? floor(mathMin(n, 9007199254740991)) : 0;
    }
    var f = { value: v, keys: ks, arr: arr, i: 0, n: n, count: 0, deepAt: -1, json: json };
    if (frames.length === hostDepth) f.deepAt = w.out.length;
    mapSet(w.path, v, 1);
    push(frames, f);
    serPut(w, arr ? '[' : '{');
  }

  function serClose(w, frames, f) {
    if (f.i < f.n) { // the budget ran out: the rest is counted, not read
      w.skipped += f.n - f.i;
      serPut(w, (f.count ? ',' : '') + (f.arr ? '"[Truncated]"' : '"$truncated":' + (f.n - f.i)));
    }
    serPut(w, f.arr ? ']' : '}');
    mapDelete(w.path, f.value);
    frames.length--;
    if (f.deepAt >= 0) {
      var text = arrJoin(arrSplice(w.out, f.deepAt, w.out.length - f.deepAt), '');
      var wrapped = '{"$deep":' + quote(text) + '}';
      w.chars += wrapped.length - text.length;
      push(w.out, wrapped);
    }
  }

  // JSON text of `value`; hostDepth -1 for text that is never parsed by the host (console lines); `resolved`:
  // the value is already the result of its toJSON; `dataKey`: the member of the root (a call's 'args') whose
  // contents are serialized as a platform serializes API data, a toJSON planted on the prototypes included.
  function serialize(value, hostDepth, resolved, dataKey) {
    var w = { out: [], chars: 0, nodes: 1, skipped: 0, charsCut: 0, path: new RealMap() };
    var frames = [];
    try {
      var root = resolved ? value : serResolve(w, value, '', false);
      serEmit(w, frames, root === OMIT ? null : root, hostDepth, false);
    } catch (_) { w.out.length = 0; serPut(w, '"[Unserializable]"'); }
    while (frames.length) {
      var f = frames[frames.length - 1];
      var over = w.nodes >= SER_MAX_NODES || w.chars >= SER_MAX_CHARS;
      if (f.i >= f.n || (over && frames.length > 1)) { serClose(w, frames, f); continue; }
      var key = f.arr ? f.i : f.keys[f.i];
      f.i++;
      w.nodes++;
      var mark = w.out.length, sep = f.count ? ',' : '', label = f.arr ? '' : quote(key) + ':';
      try {
        var child = serResolve(w, f.value[key], key, f.json);
        if (child === OMIT) { // left out of objects, null in arrays
          if (f.arr) { serPut(w, sep + 'null'); f.count++; }
          continue;
        }
        serPut(w, sep + label);
        serEmit(w, frames, child, hostDepth, f.json || (frames.length === 1 && key === dataKey));
        f.count++;
      } catch (_) { // a getter, proxy trap or toJSON threw: that value is marked, the rest goes on
        arrSplice(w.out, mark, w.out.length - mark);
        serPut(w, sep + label + '"[Unserializable]"');
        f.count++;
      }
    }
    if (w.skipped || w.charsCut) {
      var c = serCuts;
      serCuts = { skipped: w.skipped + (c ? c.skipped : 0), chars: w.charsCut + (c ? c.chars : 0),
                  maxNodes: SER_MAX_NODES, maxChars: SER_MAX_CHARS };
    }
    return arrJoin(w.out, '');
  }

  // The fast path: the engine's JSON.stringify watched in C (__mpsb_json, runtime/engine/qjs_build.py JSON_WATCH),
  // which counts the budget and passes plain values; `special` gets the rest (bigints, binary data, instances,
  // containers at the host depth, any other object). It gives up (null) on what needs the serializer above: a
  // cycle, a throwing getter or toJSON, the budget, a toJSON planted on Object.prototype or Array.prototype.
  var SER_ABORT = {};
  function fastJSON(value, hostDepth) {
    if (hasOwn(ObjectProto, 'toJSON') || hasOwn(ArrayProto, 'toJSON')) return null;
    var special = function (key, v, level, binary) { // binary: C's brand check (a class of binary data)
      var t = typeof v;
      if (t === 'bigint') return S(v);
      if (t !== 'object' || v === null) return v;
      var proto = getPrototypeOf(v);
      var marker = proto !== ObjectProto && proto !== ArrayProto ? instanceMarker(v, proto) : null;
      if (marker) v = marker;
      var bin = binary && !marker ? binaryOf(v, proto) : null;
      if (bin) { // C counts the marker's strings next
        if (bin.bytes.length * 4 / 3 > SER_MAX_CHARS) throw SER_ABORT;
        return { $binary: base64(bin.bytes), type: bin.type, bytes: bin.bytes.length };
      }
      return level === hostDepth ? { $deep: serialize(v, -1, true) } : v;
    };
    var cuts = serCuts;
    try {
      var text = watchedJSON(value, special, hostDepth, SER_MAX_NODES, SER_MAX_CHARS);
      return text === undefined ? 'null' : text;
    } catch (_) { serCuts = cuts; return null; } // the slow path counts the cuts again
  }

  function safeJSON(value, dataKey) {
    var text = fastJSON(value, SER_HOST_DEPTH);
    return text === null ? serialize(value, SER_HOST_DEPTH, false, dataKey) : text;
  }

  // An options object as the platforms read it: field by field (inherited fields and getters too), never through
  // a toJSON of its own, which no platform calls on it. The copy has no prototype, so that no toJSON reaches it;
  // the fields' values are then serialized as API data.
  var OPTION_FIELDS = ['url', 'data', 'header', 'method', 'filePath', 'name', 'formData', 'key', 'appId', 'path',
                       'extraData', 'title', 'imageUrl', 'query', 'desc'];
  function readOptions(o) {
    var copy = create(null), i;
    try {
      var ks = keys(o);
      for (i = 0; i < ks.length; i++) if (ks[i] !== 'toJSON') copy[ks[i]] = o[ks[i]];
      for (i = 0; i < OPTION_FIELDS.length; i++) {
        var field = OPTION_FIELDS[i];
        if (hasOwn(copy, field)) continue;
        var v = o[field];
        if (v !== undefined) copy[field] = v;
      }
    } catch (_) {} // a throwing getter or trap: the fields read so far
    return copy;
  }

  // Tell the host what the serializations since the last message left out (before the message they belong to).
  function reportCuts(where) {
    var c = serCuts;
    if (!c) return;
    serCuts = null;
    c.where = where;
    host('cut', strSlice(serialize(c, -1), 0), 0);
  }

  // Frames never travel as text: `where` asks the engine for them, which reads them from its own frame structures
  // (runtime/engine/csrc/shim.c): HERE, the frames of this call; THROWN, those recorded for `thrown`, a value the
  // bundle threw (an Error: where it was made; anything else: where it was thrown).
  var HERE = 1, THROWN = 2;
  function send(op, payload, where, thrown) {
    // slice(0) flattens the rope QuickJS-NG builds for long concatenations: the Python binding of the bridge
    // cannot convert rope strings (tag -6), so every message crosses as a flat string.
    var body = payload === undefined ? 'null' : safeJSON(payload, op === 'call' || op === 'ocall' ? 'args' : null);
    if (serCuts) reportCuts(op === 'call' ? payload.via : op === 'ocall' ? 'ocall:' + payload.oid + '.' + payload.method : op);
    var raw = host(op, strSlice(body, 0), where | 0, thrown);
    if (raw === undefined || raw === null || raw === '') return null;
    var reply = parseJSON(raw);
    if (reply && hasOwn(reply, 'hostError')) throw new E(S(reply.hostError));
    return reply;
  }

  function callSite() {
    // The stack as text: a key to tell call sites apart, never evidence.
    return errorStackOf(new E());
  }

  // ---- errors ----------------------------------------------------------------------------------------------
  function describe(e) {
    if (e !== null && typeof e === 'object') {
      var name = '', message = '', st = '';
      try { name = S(e.name === undefined ? '' : e.name); } catch (_) { name = 'Error'; }
      try { message = S(e.message === undefined ? '' : e.message); } catch (_) { message = ''; }
      st = errorStackOf(e);
      if (!name && !message) message = safeString(e);
      return { name: name, message: message, stack: st };
    }
    return { name: '', message: safeString(e), stack: '' };
  }

  function safeString(v) {
    try {
      if (typeof v === 'string') return v;
      if (v === null || v === undefined || typeof v !== 'object') return S(v);
      var text = fastJSON(v, -1);
      return text === null ? serialize(v, -1) : text;
    } catch (_) { return '[object]'; }
  }

  function reportError(e, source) {
    var info = describe(e);
    info.source = source;
    info.error = 'uncaught';
    // an error thrown by an error handler (App.onError, an onError listener) is recorded, never handed back to the
    // handlers: that would loop
    var nested = reportingError;
    var handler = null;
    if (!nested && appInstance && typeof appInstance.onError === 'function') handler = 'App.onError';
    info.handled_by = handler;
    send('error', info, THROWN, e);
    if (nested) return;
    reportingError = true;
    try {
      if (handler) {
        try {
          apply(appInstance.onError, appInstance, [info.message + (info.stack ? '\n' + info.stack : '')]);
        } catch (e2) {
          var i2 = describe(e2); i2.source = 'App.onError'; i2.error = 'uncaught'; i2.handled_by = null;
          send('error', i2, THROWN, e2);
        }
      }
      fireApiListeners('onError', [info.message]);
    } finally { reportingError = false; }
  }

  function onUnhandledRejection(reason, promise) {
    var info = describe(reason);
    info.error = 'unhandled-rejection';
    info.source = 'promise';
    var handler = null;
    if (appInstance && typeof appInstance.onUnhandledRejection === 'function') handler = 'App.onUnhandledRejection';
    info.handled_by = handler;
    send('error', info, THROWN, reason);
    if (handler) {
      try { apply(appInstance.onUnhandledRejection, appInstance, [{ reason: reason, promise: promise }]); }
      catch (e2) { reportError(e2, 'App.onUnhandledRejection'); }
    }
    fireApiListeners('onUnhandledRejection', [{ reason: reason, promise: promise }]);
  }

  // Out of memory and stack overflow end the turn: the host records them as limit outcomes.
  function isLimitError(e) {
    if (e === null || typeof e !== 'object') return false;
    var d = describe(e);
    return (d.name === 'InternalError' && d.message === 'out of memory') ||
           (d.name === 'RangeError' && d.message === 'Maximum call stack size exceeded');
  }

  // Call bundle code; errors never escape into the framework, except limit errors, which end the turn.
  function invoke(fn, self, args, source) {
    if (typeof fn !== 'function') return undefined;
    try {
      return apply(fn, self, args || []);
    } catch (e) {
      reportError(e, source);
      if (isLimitError(e)) throw e;
      return undefined;
    }
  }

  // ---- deterministic clock and randomness -----------------------------------------------------------------
  // The bundle's clock is the virtual clock (nowMs) plus the CPU time the run has spent (driftMs, from the host's
  // deterministic CPU units) plus the time its own clock reads took (readMs: a few microseconds each, drawn from a
  // seeded stream), so it moves as a device's would, never stands still within a turn, and repeats with the seed.
  var driftMs = 0, readMs = 0, perfOriginMs = 0;
  var js = [0, 0, 0, 0]; // the clock's jitter stream (sfc32), apart from Math.random's
  function tick() { readMs += 0.004 + sfc32(js) * 0.012; }
  function elapsed() { tick(); return nowMs + driftMs + readMs; }
  function now() { return floor(epochMs + elapsed()); }
  function perfNow() { return floor((perfOriginMs + elapsed()) * 1000) / 1000; }

  function isLocalDateString(s) {
    // ES: date-only ISO forms are UTC; forms with an explicit zone are absolute; everything else is local time.
    if (reTest(/^\s*[+-]?\d{4,6}(-\d\d(-\d\d)?)?\s*$/, s)) return false;
    if (reTest(/(Z|[+-]\d\d:?\d\d|GMT|UTC)[^a-zA-Z]*(\([^)]*\))?\s*$/i, s)) return false;
    return true;
  }

  // Date is the engine's own, with the clock and the zone (UTC+8) of the device: its prototype is the real
  // Date.prototype (local-time methods replaced), so no path leads back to the engine's Date and its clock.
  var DP = RealDate.prototype;
  var utcGet = {}, UTC_FIELDS = ['FullYear', 'Month', 'Date', 'Day', 'Hours', 'Minutes', 'Seconds', 'Milliseconds'];
  for (var uf = 0; uf < UTC_FIELDS.length; uf++) utcGet[UTC_FIELDS[uf]] = uncurry(DP['getUTC' + UTC_FIELDS[uf]]);
  var dateSetTime = uncurry(DP.setTime), hostTzOffset = uncurry(DP.getTimezoneOffset);
  function shifted(t) { return new RealDate(t + tzOffsetMs); }
  function timeOf(v) { try { return dateGetTime(v); } catch (_) { return +v; } }

  var VDate = function Date(a, b, c, d, e, f, g) {
    var n = arguments.length;
    if (!new.target) return dateToString(now());
    var t;
    if (n === 0) t = now();
    else if (n === 1) {
      if (typeof a === 'string') t = parseDate(a);
      else if (a instanceof RealDate) t = timeOf(a);
      else t = +a;
    } else {
      t = dateUTC(a, b, n > 2 ? c : 1, n > 3 ? d : 0, n > 4 ? e : 0, n > 5 ? f : 0, n > 6 ? g : 0) - tzOffsetMs;
    }
    return construct(RealDate, [t], new.target);
  };
  function parseDate(s) {
    s = S(s);
    var r = dateParse(s);
    if (numIsNaN(r) || !isLocalDateString(s)) return r;
    // the engine parsed it in the host's zone; re-anchor the same wall-clock time to UTC+8
    var hostOffsetMs = -hostTzOffset(new RealDate(r)) * 60000;
    return r + hostOffsetMs - tzOffsetMs;
  }
  var WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  function p2(n) { return padStart(S(n), 2, '0'); }
  function dateParts(t) {
    var d = shifted(t);
    return { y: utcGet.FullYear(d), mo: utcGet.Month(d), d: utcGet.Date(d), wd: utcGet.Day(d),
             h: utcGet.Hours(d), mi: utcGet.Minutes(d), s: utcGet.Seconds(d), ms: utcGet.Milliseconds(d) };
  }
  function dateToDateString(t) {
    if (numIsNaN(t)) return 'Invalid Date';
    var x = dateParts(t);
    return WEEKDAYS[x.wd] + ' ' + MONTHS[x.mo] + ' ' + p2(x.d) + ' ' + padStart(S(x.y), 4, '0');
  }
  function dateToTimeString(t) {
    if (numIsNaN(t)) return 'Invalid Date';
    var x = dateParts(t);
    return p2(x.h) + ':' + p2(x.mi) + ':' + p2(x.s) + ' GMT+0800 (China Standard Time)';
  }
  function dateToString(t) {
    if (numIsNaN(t)) return 'Invalid Date';
    return dateToDateString(t) + ' ' + dateToTimeString(t);
  }
  function builtin(obj, name, fn) { // as the engine defines built-in methods: named, not enumerable
    defineProperty(fn, 'name', { value: name, configurable: true });
    defineProperty(obj, name, { value: fn, writable: true, enumerable: false, configurable: true });
  }
  function defineDate() {
    defineProperty(VDate, 'prototype', { value: DP, writable: false, enumerable: false, configurable: false });
    defineProperty(DP, 'constructor', { value: VDate, writable: true, enumerable: false, configurable: true });
    builtin(VDate, 'now', function () { return now(); });
    builtin(VDate, 'parse', function (s) { return parseDate(s); });
    builtin(VDate, 'UTC', dateUTC);
    var getters = { FullYear: 'y', Month: 'mo', Date: 'd', Day: 'wd', Hours: 'h', Minutes: 'mi', Seconds: 's', Milliseconds: 'ms' };
    var gk = keys(getters);
    for (var i = 0; i < gk.length; i++) {
      (function (name, field) {
        builtin(DP, 'get' + name, function () {
          var t = dateGetTime(this);
          return numIsNaN(t) ? NaN : dateParts(t)[field];
        });
      })(gk[i], getters[gk[i]]);
    }
    builtin(DP, 'getYear', function () { var t = dateGetTime(this); return numIsNaN(t) ? NaN : dateParts(t).y - 1900; });
    var setters = ['FullYear', 'Month', 'Date', 'Hours', 'Minutes', 'Seconds', 'Milliseconds'];
    for (var j = 0; j < setters.length; j++) {
      (function (name) {
        var utcSetter = DP['setUTC' + name];
        builtin(DP, 'set' + name, function () {
          var t = dateGetTime(this);
          var d = new RealDate((numIsNaN(t) ? 0 : t) + tzOffsetMs);
          apply(utcSetter, d, arguments);
          return dateSetTime(this, dateGetTime(d) - tzOffsetMs);
        });
      })(setters[j]);
    }
    var methods = {
      getTimezoneOffset: function () { return numIsNaN(dateGetTime(this)) ? NaN : -tzOffsetMs / 60000; },
      toString: function () { return dateToString(dateGetTime(this)); },
      toDateString: function () { return dateToDateString(dateGetTime(this)); },
      toTimeString: function () { return dateToTimeString(dateGetTime(this)); },
      toLocaleString: function () {
        var t = dateGetTime(this); if (numIsNaN(t)) return 'Invalid Date';
        var x = dateParts(t);
        return x.y + '/' + (x.mo + 1) + '/' + x.d + ' ' + p2(x.h) + ':' + p2(x.mi) + ':' + p2(x.s);
      },
      toLocaleDateString: function () {
        var t = dateGetTime(this); if (numIsNaN(t)) return 'Invalid Date';
        var x = dateParts(t); return x.y + '/' + (x.mo + 1) + '/' + x.d;
      },
      toLocaleTimeString: function () {
        var t = dateGetTime(this); if (numIsNaN(t)) return 'Invalid Date';
        var x = dateParts(t); return p2(x.h) + ':' + p2(x.mi) + ':' + p2(x.s);
      }
    };
    var mk = keys(methods);
    for (var k = 0; k < mk.length; k++) builtin(DP, mk[k], methods[mk[k]]);
    defineProperty(global, 'Date', { value: VDate, writable: true, configurable: true });
  }

  // sfc32, seeded by the host: Math.random gives the same sequence for the same seed.
  var rs = [0, 0, 0, 0];
  function seedState(state, seed) {
    var h = 1779033703 ^ seed;
    for (var i = 0; i < 4; i++) {
      h = M.imul(h ^ (h >>> 16), 2246822507); h = M.imul(h ^ (h >>> 13), 3266489909); h ^= h >>> 16;
      state[i] = h >>> 0;
    }
    for (var j = 0; j < 12; j++) sfc32(state);
  }
  function sfc32(st) {
    var a = st[0], b = st[1], c = st[2], d = st[3];
    var t = (a + b | 0) + d | 0;
    d = d + 1 | 0; a = b ^ b >>> 9; b = c + (c << 3) | 0; c = (c << 21 | c >>> 11); c = c + t | 0;
    st[0] = a; st[1] = b; st[2] = c; st[3] = d;
    return (t >>> 0) / 4294967296;
  }
  function random() { return sfc32(rs); }
  function seedRandom(seed) { seedState(rs, seed); seedState(js, seed ^ 0x5bd1e995); }

  // ---- dynamic code: recorded, and refused as the platforms do ---------------------------------------------
  function refuseDynamic(what, code) {
    var text = typeof code === 'string' ? code : safeString(code);
    send('dynamic', { what: what, code: strSlice(text, 0, 500) }, HERE);
  }
  function installDynamicCodeGuards() {
    var realEval = global.eval;
    var guardedEval = function (code) {
      refuseDynamic('eval', code);
      if (typeof code !== 'string') return code;
      throw new E('eval is not supported in the mini-program logic layer');
    };
    defineProperty(guardedEval, 'name', { value: 'eval' });
    defineProperty(global, 'eval', { value: guardedEval, writable: true, configurable: true });
    function guardConstructor(Ctor, what) {
      var Guarded = function Function() {
        var body = arguments.length ? S(arguments[arguments.length - 1]) : '';
        refuseDynamic(what, body);
        // WeChat allows exactly `new Function('return this')` to reach the global object.
        if (what === 'Function' && strTrim(body) === 'return this' && arguments.length === 1) {
          return function () { return global; };
        }
        throw new E(what + ' constructor is not supported in the mini-program logic layer');
      };
      Guarded.prototype = Ctor.prototype;
      defineProperty(Ctor.prototype, 'constructor', { value: Guarded, writable: true, configurable: true });
      return Guarded;
    }
    var G = guardConstructor(RealFunction, 'Function');
    defineProperty(global, 'Function', { value: G, writable: true, configurable: true });
    var AsyncFunction = getPrototypeOf(async function () {}).constructor;
    var GeneratorFunction = getPrototypeOf(function* () {}).constructor;
    var AsyncGeneratorFunction = getPrototypeOf(async function* () {}).constructor;
    guardConstructor(AsyncFunction, 'AsyncFunction');
    guardConstructor(GeneratorFunction, 'GeneratorFunction');
    guardConstructor(AsyncGeneratorFunction, 'AsyncGeneratorFunction');
    return realEval;
  }

  // ---- console ---------------------------------------------------------------------------------------------
  function formatArgs(args) {
    var parts = [];
    for (var i = 0; i < args.length; i++) {
      var v = args[i];
      if (typeof v === 'string') push(parts, v);
      else if (v instanceof E) { var d = describe(v); push(parts, (d.name ? d.name + ': ' : '') + d.message); }
      else push(parts, safeString(v));
    }
    return arrJoin(parts, ' ');
  }
  function makeConsole() {
    var c = create(null);
    var levels = ['log', 'info', 'warn', 'error', 'debug', 'trace'];
    for (var i = 0; i < levels.length; i++) {
      (function (level) {
        c[level] = named(level, function () { send('console', { level: level, text: formatArgs(arguments) }, HERE); });
      })(levels[i]);
    }
    c.group = c.log; c.groupEnd = function () {}; c.table = c.log; c.dir = c.log; c.assert = function (cond) {
      if (!cond) send('console', { level: 'error', text: 'Assertion failed: ' + formatArgs(arrSlice(arguments, 1)) });
    };
    c.time = function () {}; c.timeEnd = function () {};
    return c;
  }

  // ---- timers ----------------------------------------------------------------------------------------------
  function topRoute() { return stack.length ? stack[stack.length - 1].route : null; }

  function makeTimer(repeat, frame) {
    return function (fn, delay) {
      if (typeof fn !== 'function') {
        if (typeof fn === 'string') refuseDynamic(repeat ? 'setInterval-string' : 'setTimeout-string', fn);
        throw new RealTypeError('The callback provided as parameter 1 is not a function.');
      }
      var ms = +delay;
      if (!numIsFinite(ms) || ms < 0) ms = 0;
      ms = floor(ms);
      var id = ++timerSeq;
      timers[id] = { fn: fn, args: arrSlice(arguments, 2), repeat: repeat, owner: topRoute() };
      send('timer', frame ? { op: 'set', id: id, delay: ms, repeat: repeat, frame: true }
                          : { op: 'set', id: id, delay: ms, repeat: repeat }, HERE);
      return id;
    };
  }
  function clearTimer(id) {
    id = +id;
    if (timers[id]) {
      delete timers[id];
      send('timer', { op: 'clear', id: id });
    }
  }
  function fireTimer(id) {
    var t = timers[id];
    if (!t) return;
    if (!t.repeat) delete timers[id];
    invoke(t.fn, undefined, t.args, 'timer');
  }

  // ---- modules ---------------------------------------------------------------------------------------------
  function dirname(p) { var i = p.lastIndexOf('/'); return i === -1 ? '' : strSlice(p, 0, i); }
  function normalize(parts) {
    var out = [];
    for (var i = 0; i < parts.length; i++) {
      var s = parts[i];
      if (s === '' || s === '.') continue;
      if (s === '..') { if (out.length) out.length--; else return null; }
      else push(out, s);
    }
    return arrJoin(out, '/');
  }
  function candidates(base) {
    if (base === null) return [];
    return [base, base + '.js', base + '.json', base + '/index.js', base + '/index.json'];
  }
  // app.json resolveAlias ({"@utils/*": "utils/*"}): [prefix, replacement] pairs, longest prefix first
  var aliasPairs = [];
  function setAliases(appJson) {
    var raw = null;
    try { raw = appJson ? parseJSON(appJson).resolveAlias : null; } catch (_) { raw = null; }
    if (!raw || typeof raw !== 'object') return;
    var ks = keys(raw);
    for (var i = 0; i < ks.length && i < 64; i++) {
      if (typeof raw[ks[i]] !== 'string' || !ks[i]) continue;
      var pair = [strReplace(ks[i], /\*$/, ''), strReplace(raw[ks[i]], /\*$/, '')], at = aliasPairs.length;
      while (at > 0 && aliasPairs[at - 1][0].length < pair[0].length) at--;
      arrSplice(aliasPairs, at, 0, pair);
    }
  }
  function applyAlias(spec) {
    for (var i = 0; i < aliasPairs.length; i++) {
      if (strStartsWith(spec, aliasPairs[i][0])) return '/' + aliasPairs[i][1] + strSlice(spec, aliasPairs[i][0].length);
    }
    return spec;
  }
  var NPM_FOLDERS = ['miniprogram_npm/', 'node_modules/'];
  function resolve(from, spec) {
    spec = applyAlias(S(spec));
    var list;
    if (spec[0] === '/') list = candidates(normalize(strSplit(spec, '/')));
    else if (strStartsWith(spec, './') || strStartsWith(spec, '../')) {
      list = candidates(normalize(strSplit(dirname(from) + '/' + spec, '/')));
    } else {
      // A bare path: relative to the requiring file first (as the platforms do), then miniprogram_npm, then root.
      list = candidates(normalize(strSplit(dirname(from) + '/' + spec, '/')));
      var d = dirname(from);
      while (true) {
        for (var f = 0; f < NPM_FOLDERS.length; f++) {
          var np = candidates(normalize(strSplit((d ? d + '/' : '') + NPM_FOLDERS[f] + spec, '/')));
          for (var k = 0; k < np.length; k++) push(list, np[k]);
        }
        if (!d) break;
        d = dirname(d);
      }
      var rootList = candidates(normalize(strSplit(spec, '/')));
      for (var r = 0; r < rootList.length; r++) push(list, rootList[r]);
    }
    for (var i = 0; i < list.length; i++) if (list[i] && defs[list[i]]) return list[i];
    return null;
  }
  function makeRequire(from) {
    var req = function require(spec) {
      if (typeof spec !== 'string') throw new RealTypeError('require args must be a string');
      var path = resolve(from, spec);
      if (path === null) {
        var e = new E('module "' + spec + '" is not defined, require args is \'' + spec + '\' (required from ' + from + ')');
        send('note', { code: 'module-not-found', message: e.message, data: { spec: spec, from: from } });
        throw e;
      }
      return load(path);
    };
    // require.async (WeChat: a module of a subpackage loaded on demand): a promise of the module, or of
    // {mod, errMsg} rejected when it cannot be loaded
    req.async = function (spec) {
      return new P(function (resolveP, rejectP) {
        try { resolveP(req(spec)); } catch (e) { rejectP({ mod: S(spec), errMsg: S(e && e.message || e) }); }
      });
    };
    return req;
  }
  // this.animate / this.clearAnimation (WeChat pages and components): the view animates; the callback comes
  // when the animation has run its duration
  function animateMethod(selector, keyframes, duration, cb) {
    if (typeof cb === 'function' && makeFrameTimer) {
      var self = this;
      makeFrameTimer(function () { invoke(cb, self, [], 'animate.callback'); }, +duration > 0 ? +duration : 0);
    }
  }
  function clearAnimationMethod(selector, options, cb) {
    if (typeof options === 'function') cb = options;
    if (typeof cb === 'function' && makeFrameTimer) {
      var self = this;
      makeFrameTimer(function () { invoke(cb, self, [], 'clearAnimation.callback'); }, 0);
    }
  }
  // ---- wx.worklet (Skyline animations) ------------------------------------------------------------------------
  // Shared values hold plain values; an animation object assigned to one runs on the virtual clock: reads in
  // between give the value along its curve, the end sets the target and calls the callbacks (true; false when
  // cancelled or replaced). Animated styles' updaters run when applied and again after their values change.
  var mathCos = M.cos, mathSin = M.sin, mathSqrt = M.sqrt, mathPow = M.pow, mathExp = M.exp, mathLog = M.log;
  var mathCeil = M.ceil, PI = M.PI, ANIMATION = RealSymbol('animation'), CANCEL = RealSymbol('cancel');
  var MAX_ANIMATION_MS = 60000;
  function makeWorklet() {
    function num(v, dflt) { v = +v; return numIsFinite(v) ? v : dflt; }
    function bezier(x1, y1, x2, y2) {
      function at(a, b, t) { return 3 * a * t * (1 - t) * (1 - t) + 3 * b * t * t * (1 - t) + t * t * t; }
      var f = function (x) {
        if (x <= 0 || x >= 1) return x <= 0 ? 0 : 1;
        var lo = 0, hi = 1, t = x;
        for (var i = 0; i < 24; i++) { if (at(x1, x2, t) < x) lo = t; else hi = t; t = (lo + hi) / 2; }
        return at(y1, y2, t);
      };
      f.factory = function () { return f; };  // Easing.bezier(...).factory(): the curve itself
      return f;
    }
    function bounce(t) {
      if (t < 1 / 2.75) return 7.5625 * t * t;
      if (t < 2 / 2.75) { t -= 1.5 / 2.75; return 7.5625 * t * t + 0.75; }
      if (t < 2.5 / 2.75) { t -= 2.25 / 2.75; return 7.5625 * t * t + 0.9375; }
      t -= 2.625 / 2.75;
      return 7.5625 * t * t + 0.984375;
    }
    var Easing = {
      linear: function (t) { return t; },
      ease: bezier(0.42, 0, 1, 1),
      quad: function (t) { return t * t; },
      cubic: function (t) { return t * t * t; },
      poly: function (n) { return function (t) { return mathPow(t, n); }; },
      sin: function (t) { return 1 - mathCos(t * PI / 2); },
      circle: function (t) { return 1 - mathSqrt(mathMax(0, 1 - t * t)); },
      exp: function (t) { return mathPow(2, 10 * (t - 1)); },
      elastic: function (b) {
        var p = num(b, 1) * PI;
        return function (t) { return 1 - mathPow(mathCos(t * PI / 2), 3) * mathCos(t * p); };
      },
      back: function (s) { s = num(s, 1.70158); return function (t) { return t * t * ((s + 1) * t - s); }; },
      bounce: bounce,
      bezier: bezier,
      cubicBezier: bezier,
      bezierFn: function (x1, y1, x2, y2) { return bezier(x1, y1, x2, y2); },
      steps: function (n, roundUp) {
        n = mathMax(1, num(n, 10));
        return function (t) { return (roundUp === false ? floor(t * n) : mathCeil(t * n)) / n; };
      },
      in: function (e) { return e; },
      out: function (e) { return function (t) { return 1 - e(1 - t); }; },
      inOut: function (e) { return function (t) { return t < 0.5 ? e(t * 2) / 2 : 1 - e((1 - t) * 2) / 2; }; }
    };
    var defaultEasing = Easing.inOut(Easing.quad);
    function animation(spec) {
      var a = {};
      defineProperty(a, ANIMATION, { value: spec });
      return a;
    }
    function specOf(v) { return v !== null && typeof v === 'object' ? v[ANIMATION] : undefined; }
    // plan(spec, from) -> {at(ms) -> value, ms (Infinity: endless), end, done: [[ms, cb]]}
    function plan(spec, from) {
      var k = spec.kind, to = spec.to;
      if (k === 'timing') {
        var d = mathMax(0, num(spec.options.duration, 300));
        var ease = typeof spec.options.easing === 'function' ? spec.options.easing : defaultEasing;
        var numeric = typeof to === 'number' && typeof from === 'number';
        return { ms: d, end: to, done: [[d, spec.cb]], at: function (t) {
          if (t >= d || !numeric) return t >= d ? to : from;
          return from + (to - from) * ease(t / d);
        } };
      }
      if (k === 'spring') {
        var o = spec.options, m = mathMax(1e-3, num(o.mass, 1)), kk = mathMax(1e-3, num(o.stiffness, 100));
        var c = mathMax(0, num(o.damping, 10)), v0 = num(o.velocity, 0) / 1000;
        var w0 = mathSqrt(kk / m), z = c / (2 * mathSqrt(kk * m));
        if (typeof to !== 'number' || typeof from !== 'number') return { ms: 0, end: to, done: [[0, spec.cb]], at: function () { return to; } };
        var x0 = from - to, thr = mathMax(1e-4, num(o.restDisplacementThreshold, 0.01));
        var decay = z > 0 ? mathMin(z, 1) * w0 / 1000 : 0;  // per ms
        var span = mathAbs(x0) + mathAbs(v0) * 1000;
        var ms = decay > 0 && span > thr ? mathMin(MAX_ANIMATION_MS, mathLog(span / thr) / decay) : (decay > 0 ? 0 : MAX_ANIMATION_MS);
        var wd = w0 * mathSqrt(mathMax(0, 1 - z * z)) / 1000, w = w0 / 1000;
        var clampOver = !!o.overshootClamping;
        return { ms: ms, end: to, done: [[ms, spec.cb]], at: function (t) {
          if (t >= ms) return to;
          var x = z < 1
            ? mathExp(-z * w * t) * (x0 * mathCos(wd * t) + ((z * w * x0 - v0) / wd) * mathSin(wd * t))
            : (x0 + (w * x0 - v0) * t) * mathExp(-w * t);
          if (clampOver && (x0 > 0 ? x < 0 : x > 0)) x = 0;
          return to + x;
        } };
      }
      if (k === 'decay') {
        var dv = num(spec.options.velocity, 0) / 1000, dec = mathMin(0.9999, mathMax(0.5, num(spec.options.deceleration, 0.998)));
        var start = num(from, 0), lnd = mathLog(dec);
        var dms = dv !== 0 ? mathMin(MAX_ANIMATION_MS, mathMax(0, mathLog(0.0001 / mathAbs(dv)) / lnd)) : 0;
        var clamp = isArray(spec.options.clamp) && spec.options.clamp.length === 2 ? spec.options.clamp : null;
        var pos = function (t) {
          var x = start + dv * (mathPow(dec, t) - 1) / lnd;
          return clamp ? mathMin(mathMax(x, +clamp[0]), +clamp[1]) : x;
        };
        var dend = pos(dms);
        return { ms: dms, end: dend, done: [[dms, spec.cb]], at: function (t) { return t >= dms ? dend : pos(t); } };
      }
      if (k === 'delay') {
        var inner = plan(spec.inner, from), wait = mathMax(0, num(spec.ms, 0)), dl = [];
        for (var i = 0; i < inner.done.length; i++) push(dl, [inner.done[i][0] + wait, inner.done[i][1]]);
        return { ms: wait + inner.ms, end: inner.end, done: dl, at: function (t) { return t < wait ? from : inner.at(t - wait); } };
      }
      if (k === 'sequence') {
        var parts = [], total = 0, cur = from, sd = [];
        for (var j = 0; j < spec.list.length; j++) {
          var p = plan(spec.list[j], cur);
          for (var q = 0; q < p.done.length; q++) push(sd, [p.done[q][0] + total, p.done[q][1]]);
          push(parts, [total, p]);
          total += p.ms; cur = p.end;
          if (total === Infinity) break;
        }
        return { ms: total, end: cur, done: sd, at: function (t) {
          for (var n = parts.length - 1; n >= 0; n--) if (t >= parts[n][0]) return parts[n][1].at(t - parts[n][0]);
          return from;
        } };
      }
      if (k === 'repeat') {
        var once = plan(spec.inner, from), reps = floor(num(spec.reps, 2));
        var endless = reps <= 0 || once.ms === Infinity, len = once.ms;
        var rms = endless ? Infinity : len * reps;
        var backAtEnd = spec.reverse && reps % 2 === 0;
        var rend = endless ? from : (backAtEnd ? from : once.end);
        var phase = function (t) {
          if (len <= 0) return once.end;
          var n = floor(t / len), within = t - n * len;
          return spec.reverse && n % 2 === 1 ? once.at(len - within) : once.at(within);
        };
        return { ms: rms, end: rend, done: endless ? [] : [[rms, spec.cb]], at: function (t) { return t >= rms ? rend : phase(t); } };
      }
      return { ms: 0, end: from, done: [], at: function () { return from; } };
    }

    var styles = [];  // [owner, updater] of applied animated styles
    var rerunTimer = 0;
    function ownerPage(owner) { return owner && owner.__page ? owner.__page : owner; }
    function styleChanged() {
      if (rerunTimer || !styles.length || !makeFrameTimer) return;
      rerunTimer = makeFrameTimer(function () {
        rerunTimer = 0;
        var live = [];
        for (var i = 0; i < styles.length; i++) {
          if (arrIndexOf(stack, ownerPage(styles[i][0])) !== -1) push(live, styles[i]);
        }
        styles = live;
        for (var j = 0; j < live.length; j++) invoke(live[j][1], undefined, [], 'worklet.animatedStyle');
      }, 16);
    }

    function SharedValue(initial) {
      var value = initial, running = null;
      function stop(finished) {
        if (!running) return;
        var r = running;
        running = null;
        for (var i = 0; i < r.timers.length; i++) clearTimer(r.timers[i]);
        if (!finished) {
          for (var j = 0; j < r.plan.done.length; j++) {
            if (r.pending[j]) invoke(r.plan.done[j][1], undefined, [false], 'worklet.animation.callback');
          }
        }
      }
      function start(spec) {
        var from = running ? running.plan.at(nowMs - running.t0) : value;
        stop(false);
        var pl = plan(spec, from), run = { plan: pl, t0: nowMs, timers: [], pending: [] };
        running = run;
        for (var i = 0; i < pl.done.length; i++) {
          (function (idx) {
            run.pending[idx] = true;
            var endOfAll = pl.done[idx][0] >= pl.ms;
            push(run.timers, makeFrameTimer(function () {
              run.pending[idx] = false;
              if (endOfAll && running === run) { running = null; value = pl.end; styleChanged(); }
              invoke(pl.done[idx][1], undefined, [true], 'worklet.animation.callback');
            }, pl.done[idx][0]));
          })(i);
        }
        if (pl.ms !== Infinity && !pl.done.length) {
          push(run.timers, makeFrameTimer(function () { if (running === run) { running = null; value = pl.end; styleChanged(); } }, pl.ms));
        }
        styleChanged();
      }
      var sv = {};
      defineProperty(sv, 'value', {
        enumerable: true,
        get: function () { return running ? running.plan.at(nowMs - running.t0) : value; },
        set: function (v) {
          var spec = specOf(v);
          if (spec) { start(spec); return; }
          stop(false);
          if (v !== value) { value = v; styleChanged(); }
        }
      });
      defineProperty(sv, CANCEL, { value: function () { if (running) { value = running.plan.at(nowMs - running.t0); stop(false); } } });
      return sv;
    }
    function makeDerived(updater) {
      var dv = {};
      defineProperty(dv, 'value', { enumerable: true, get: function () {
        var v = typeof updater === 'function' ? apply(updater, undefined, []) : undefined;
        var spec = specOf(v);
        return spec ? plan(spec, spec.to).end : v;
      } });
      return dv;
    }
    function later(fn, source) {
      if (typeof fn !== 'function') throw new RealTypeError('the argument must be a function');
      return function () {
        var args = arrSlice(arguments);
        makeFrameTimer(function () { invoke(fn, undefined, args, source); }, 0);
      };
    }
    function cb(f) { return typeof f === 'function' ? f : null; }
    var members = {
      shared: function shared(initialValue) { return SharedValue(initialValue); },
      derived: function derived(updaterWorklet) { return makeDerived(updaterWorklet); },
      cancelAnimation: function cancelAnimation(sv) { if (sv && typeof sv[CANCEL] === 'function') sv[CANCEL](); },
      runOnUI: function runOnUI(fn) { return later(fn, 'worklet.runOnUI'); },
      runOnJS: function runOnJS(fn) { return later(fn, 'worklet.runOnJS'); },
      timing: function timing(toValue, options, callback) {
        if (typeof options === 'function') { callback = options; options = null; }
        return animation({ kind: 'timing', to: toValue, options: options || {}, cb: cb(callback) });
      },
      spring: function spring(toValue, options, callback) {
        if (typeof options === 'function') { callback = options; options = null; }
        return animation({ kind: 'spring', to: toValue, options: options || {}, cb: cb(callback) });
      },
      decay: function decay(options, callback) {
        if (typeof options === 'function') { callback = options; options = null; }
        return animation({ kind: 'decay', options: options || {}, cb: cb(callback) });
      },
      sequence: function sequence() {
        var list = [];
        for (var i = 0; i < arguments.length; i++) { var s = specOf(arguments[i]); if (s) push(list, s); }
        return animation({ kind: 'sequence', list: list });
      },
      repeat: function repeat(anim, numberOfReps, reverse, callback) {
        var s = specOf(anim);
        return s ? animation({ kind: 'repeat', inner: s, reps: numberOfReps === undefined ? 2 : numberOfReps,
                               reverse: !!reverse, cb: cb(callback) }) : anim;
      },
      delay: function delay(delayMS, delayedAnimation) {
        var s = specOf(delayedAnimation);
        return s ? animation({ kind: 'delay', ms: delayMS, inner: s }) : delayedAnimation;
      },
      Easing: makeNamespace('wx.worklet.Easing', Easing),  // names it lacks are reported as unknown APIs
      scrollViewContext: { scrollTo: function scrollTo() {} }
    };
    function applyAnimatedStyle(selector, updater, config, callback) {
      if (typeof config === 'function') { callback = config; config = null; }
      if (typeof updater === 'function') {
        push(styles, [this, updater]);
        invoke(updater, undefined, [], 'worklet.animatedStyle');
      }
      if (typeof callback === 'function' && makeFrameTimer) {
        var id = styles.length;
        makeFrameTimer(function () { invoke(callback, undefined, [{ styleId: id }], 'applyAnimatedStyle.callback'); }, 0);
      }
    }
    function clearAnimatedStyle(selector, styleIds, callback) {
      if (typeof styleIds === 'function') callback = styleIds;
      var owner = this, kept = [];
      for (var i = 0; i < styles.length; i++) if (styles[i][0] !== owner) push(kept, styles[i]);
      styles = kept;
      if (typeof callback === 'function' && makeFrameTimer) {
        makeFrameTimer(function () { invoke(callback, undefined, [], 'clearAnimatedStyle.callback'); }, 0);
      }
    }
    return { members: members, applyAnimatedStyle: applyAnimatedStyle, clearAnimatedStyle: clearAnimatedStyle };
  }
  var worklet = makeWorklet();

  function load(path) {
    var m = cache[path];
    if (m) return m.exports;
    m = { exports: {}, id: path, filename: path, loaded: false };
    cache[path] = m;
    var factory = defs[path];
    try {
      apply(factory, m.exports, [makeRequire(path), m, m.exports]);
    } catch (e) {
      delete cache[path];
      throw e;
    }
    m.loaded = true;
    return m.exports;
  }
  function loadAs(kind, path, file) {
    var prev = loading;
    loading = { kind: kind, path: path };
    try {
      if (!defs[file]) return false;
      load(file);
      return true;
    } catch (e) {
      reportError(e, kind === 'page' ? 'page-module' : kind + '-module');
      if (isLimitError(e)) throw e;
      return false;
    } finally { loading = prev; }
  }

  // ---- data paths and setData ------------------------------------------------------------------------------
  // 'a.b[2].c' -> ['a', 'b', 2, 'c']; an unparsable key is one literal segment, as on the platforms.
  function parsePath(key) {
    var out = [], i = 0, n = key.length, cur = '';
    while (i < n) {
      var ch = key[i];
      if (ch === '\\' && i + 1 < n) { cur += key[i + 1]; i += 2; continue; }
      if (ch === '.') { if (cur === '') return [key]; push(out, cur); cur = ''; i++; continue; }
      if (ch === '[') {
        if (cur !== '') { push(out, cur); cur = ''; }
        else if (out.length === 0) return [key];
        var j = strIndexOf(key, ']', i);
        if (j === -1) return [key];
        var num = strSlice(key, i + 1, j);
        if (!reTest(/^\d+$/, num)) return [key];
        push(out, +num);
        i = j + 1;
        if (i < n && key[i] === '.') { i++; if (i >= n) return [key]; }
        else if (i < n && key[i] !== '[') return [key];
        continue;
      }
      cur += ch; i++;
    }
    if (cur !== '') push(out, cur);
    else if (out.length === 0 || key[n - 1] === '.') return [key];
    return out;
  }
  function jsonClone(v) {
    if (v === null || typeof v !== 'object') return typeof v === 'function' ? undefined : v;
    return parseJSON(stringify(v));
  }
  function setPath(root, path, value) {
    var cur = root;
    for (var i = 0; i < path.length - 1; i++) {
      var seg = path[i], next = path[i + 1];
      var child = cur[seg];
      if (child === null || typeof child !== 'object') {
        child = typeof next === 'number' ? [] : {};
        cur[seg] = child;
      }
      cur = child;
    }
    cur[path[path.length - 1]] = value;
  }
  function getPath(root, path) {
    var cur = root;
    for (var i = 0; i < path.length; i++) {
      if (cur === null || typeof cur !== 'object') return undefined;
      cur = cur[path[i]];
    }
    return cur;
  }
  function utf8Length(s) {
    var n = 0;
    for (var i = 0; i < s.length; i++) {
      var c = charCodeAt(s, i);
      if (c < 0x80) n += 1;
      else if (c < 0x800) n += 2;
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) { n += 4; i++; }
      else n += 3;
    }
    return n;
  }

  function doSetData(inst, kind, obj, cb) {
    if (obj === null || typeof obj !== 'object' || isArray(obj)) {
      throw new RealTypeError('setData accepts an Object rather than ' + (obj === null ? 'null' : typeof obj));
    }
    var payload = stringify(obj); // throws on cycles, as on the platforms
    var bytes = payload === undefined ? 0 : utf8Length(payload);
    var ks = keys(obj);
    var applied = bytes <= LIMIT_SETDATA;
    var cbId = 0;
    if (typeof cb === 'function') { cbId = ++renderSeq; renderCallbacks[cbId] = { fn: cb, self: inst }; }
    send('setData', { target: kind, route: inst.__route__ || (inst.__page ? inst.__page.__route__ : null),
                      pageId: kind === 'component' ? (inst.__page ? inst.__page.__pageId : null) : inst.__pageId,
                      component: kind === 'component' ? inst.is : null, keys: ks, bytes: bytes,
                      applied: applied, cb: cbId }, HERE);
    if (!applied) {
      send('console', { level: 'error', text: 'setData data size exceeds limit (' + bytes + ' bytes > 1MB); not applied' });
      return;
    }
    var changed = [];
    for (var i = 0; i < ks.length; i++) {
      var v = obj[ks[i]];
      if (v === undefined) {
        send('console', { level: 'warn', text: 'Setting data field "' + ks[i] + '" to undefined is invalid.' });
        continue;
      }
      var path = parsePath(ks[i]);
      var observed = kind === 'component' || inst.__observers; // components, and pages built with Component()
      var old = observed ? getPath(inst.data, path) : undefined;
      // Douyin's logic layer keeps the value itself (its demo keeps a canvas or a file's stats in data and calls
      // their methods); the others keep a JSON copy. The view gets JSON on every platform.
      setPath(inst.data, path, platform === 'tt' ? v : jsonClone(v));
      push(changed, { key: ks[i], path: path, old: old });
    }
    if (kind === 'component' || inst.__observers) runObservers(inst, changed);
  }

  // ---- host objects (tasks, contexts, managers, ads) and the API surface -----------------------------------
  function splitCallbacks(args) {
    // The options object's functions stay here; the host gets their names.
    var cbs = create(null), names = [];
    var first = args[0];
    if (first !== null && typeof first === 'object' && !isArray(first)) {
      var ks = ownKeys(first);
      for (var i = 0; i < ks.length; i++) {
        var k = ks[i];
        if (typeof k !== 'string') continue;
        var d = getOwnPropertyDescriptor(first, k);
        if (d && typeof d.value === 'function') { cbs[k] = d.value; push(names, k); }
      }
    }
    return { cbs: cbs, names: names };
  }
  function hasAnyCallback(names) {
    return arrIndexOf(names, 'success') !== -1 || arrIndexOf(names, 'fail') !== -1 || arrIndexOf(names, 'complete') !== -1;
  }

  // ---- host objects: built from the catalogue's ObjectSpec (methods and properties) ----------------------
  // Plain extensible objects. Properties live in a store behind enumerable accessors: settable unless readonly,
  // recorded on the host when the spec says so (an audio src is network use). Local methods (drawing calls,
  // database commands) run here alone; the others call the host and are recorded.
  function copyData(v, depth) { // a copy of catalogue data, never consulting the bundle's toJSON or getters
    if (v === null || typeof v !== 'object' || depth > 8) return v;
    var out = isArray(v) ? [] : {};
    var ks = keys(v);
    for (var i = 0; i < ks.length; i++) out[ks[i]] = copyData(v[ks[i]], depth + 1);
    return out;
  }
  function textWidth(text) { // a plausible measureText width: 10px per CJK-free character at the default font
    var t = typeof text === 'string' ? text : S(text);
    var w = 0;
    for (var i = 0; i < t.length; i++) w += charCodeAt(t, i) > 255 ? 20 : 10;
    return w;
  }
  function localResult(rec, result, args) {
    if (result === '$self') return rec.obj;
    if (result === '$textWidth') return textWidth(args[0]);
    if (result !== null && typeof result === 'object' && !isArray(result) && keys(result).length === 1 &&
        result.width === '$textWidth') {
      return { width: textWidth(args[0]) };
    }
    return copyData(result, 0);
  }
  function propDefault(d) {
    if (typeof d === 'string' && strStartsWith(d, '$object:')) return buildObject(0, strSlice(d, 8));
    return copyData(d, 0);
  }
  function buildObject(oid, typeName) {
    var spec = cfg.surface.objects[typeName] || { methods: {}, props: {} };
    var obj = {};
    var rec = { obj: obj, type: typeName, listeners: create(null), vals: create(null), made: create(null) };
    if (oid) objects[oid] = rec;
    var ps = keys(spec.props);
    for (var j = 0; j < ps.length; j++) {
      (function (name, p) {
        rec.vals[name] = propDefault(p['default']);
        defineProperty(obj, name, {
          enumerable: true, configurable: true,
          get: function () { return rec.vals[name]; },
          set: function (v) {
            if (p.readonly) return;
            rec.vals[name] = v;
            if (p.record && oid) {
              send('ocall', { cid: ++callSeq, oid: oid, method: name, kind: 'set', args: [v], cbs: [] }, HERE);
            }
            if (p.fires) {
              var handlerName = p.fires;
              makeFrameTimer(function () {
                var h = rec.vals[handlerName] !== undefined ? rec.vals[handlerName] : obj[handlerName];
                if (typeof h === 'function') invoke(h, obj, [{ type: strSlice(handlerName, 2) }], typeName + '.' + handlerName);
              }, 0);
            }
          }
        });
      })(ps[j], spec.props[ps[j]]);
    }
    var ms = keys(spec.methods);
    for (var i = 0; i < ms.length; i++) {
      (function (method, m) {
        var fn = function () { return callObject(rec, oid, method, m, arrSlice(arguments)); };
        defineProperty(fn, 'name', { value: method });
        obj[method] = fn;
      })(ms[i], spec.methods[ms[i]]);
    }
    // a read of a method name the object lacks is reported (once per call site): when the platform has it, the
    // TypeError that follows is the sandbox's model falling short, not the app's bug
    var missed = create(null);
    rec.obj = new Proxy(obj, {
      get: function (t, prop, receiver) {
        if (typeof prop === 'string' && !(prop in t) && !hasOwn(IGNORED_PROBES, prop) && reTest(METHOD_NAME, prop)) {
          var key = prop + '@' + callSite();
          if (!missed[key]) {
            missed[key] = 1;
            send('unknown', { name: typeName + '.' + prop, via: typeName + '.' + prop, member: true }, HERE);
          }
          return undefined;
        }
        return R.get(t, prop, receiver);
      }
    });
    return rec.obj;
  }
  var METHOD_NAME = /^[a-z][A-Za-z0-9]*$/;
  var makeFrameTimer = null; // setTimeout of the framework (set at boot)

  function callObject(rec, oid, method, m, args) {
    var kind = m.kind;
    if (kind === 'listener' || kind === 'unlisten') {
      var fn = undefined; // the callback is the last function argument: observe(selector, callback)
      for (var k = args.length - 1; k >= 0; k--) { if (typeof args[k] === 'function') { fn = args[k]; break; } }
      var event = kind === 'listener' ? method : 'on' + strSlice(method, 3);
      var list = rec.listeners[event] || (rec.listeners[event] = []);
      if (kind === 'listener' && typeof fn === 'function') push(list, fn);
      else if (kind === 'unlisten') {
        if (typeof fn === 'function') { var at = arrIndexOf(list, fn); if (at !== -1) arrSplice(list, at, 1); }
        else list.length = 0;
      }
      if (oid) send('ocall', { oid: oid, method: method, kind: kind, args: [], cbs: [], fn: typeof fn === 'function' }, HERE);
      return undefined;
    }
    if (kind === 'frame') {
      var cb = args[0];
      if (typeof cb !== 'function') return 0;
      // called plainly, as a browser calls it: `this` is not the object (reading this.data there is no probe of it)
      return makeFrameTimer(function () { invoke(cb, undefined, [perfNow()], rec.type + '.' + method); }, m.delay || 16);
    }
    if (kind === 'cancel-frame') { clearTimer(args[0]); return undefined; }
    if (kind === 'factory' && m.cache) {
      var key = typeof args[0] === 'string' ? args[0] : '';
      if (rec.made[key]) return rec.made[key];
    }
    var out;
    if (m.local || !oid) {
      if (kind === 'chain') out = rec.obj;
      else if (kind === 'factory') {
        var type = m.objects ? m.objects[typeof args[0] === 'string' ? args[0] : ''] : m.object;
        out = type ? buildObject(0, type) : null;
      } else out = localResult(rec, m.result, args);
    } else if (kind === 'chain') {
      dispatchCall({ oid: oid, method: method }, 'sync', args, false);
      out = rec.obj;
    } else {
      // exec(callback), draw(reserve, callback): a positional function is the success callback
      var first = args[0];
      if (!(first !== null && typeof first === 'object' && !isArray(first))) {
        var cbAt = -1;
        for (var q = 0; q < args.length; q++) if (typeof args[q] === 'function') cbAt = q;
        if (cbAt !== -1) {
          var rest = [{ success: args[cbAt] }];
          for (var r = 0; r < args.length; r++) if (r !== cbAt) push(rest, args[r]);
          args = rest;
        }
      }
      out = dispatchCall({ oid: oid, method: method }, kind, args, !!m.promise);
    }
    if (kind === 'factory' && m.cache && out) rec.made[typeof args[0] === 'string' ? args[0] : ''] = out;
    if (m.sets) {
      var sk = keys(m.sets);
      for (var s = 0; s < sk.length; s++) rec.vals[sk[s]] = copyData(m.sets[sk[s]], 0);
    }
    return out;
  }

  // The default body of an unmocked request stands in for a server the sandbox does not know, and one body answers
  // every endpoint. So each of its objects also reads as the two other things a real server may have sent there:
  // JSON text, which the app parses (JSON.parse(res.data.data)): it converts to its own JSON; and an empty list,
  // which the app iterates (res.data.filter(...), res.data.length): the read-only list methods answer as [] does.
  // They live, non-enumerable, on one prototype between the objects and Object.prototype (with constructor Object,
  // so plain-object checks still pass): keys, JSON, spreads and copies see the plain object, and a field of the
  // same name wins.
  var EMPTY_LIST_METHODS = ['forEach', 'map', 'filter', 'reduce', 'reduceRight', 'some', 'every', 'find',
    'findIndex', 'findLast', 'findLastIndex', 'includes', 'indexOf', 'lastIndexOf', 'join', 'slice', 'concat',
    'flat', 'flatMap', 'at'];
  var standInProto = create(O.prototype);
  (function () {
    var hidden = function (key, value) {
      defineProperty(standInProto, key, { value: value, writable: true, configurable: true });
    };
    hidden('constructor', O);
    hidden('toString', function () { return stringify(this); });
    hidden('length', 0);
    var emptyListMethod = function (method) { return function () { return apply(method, [], arguments); }; };
    for (var i = 0; i < EMPTY_LIST_METHODS.length; i++) {
      var method = A.prototype[EMPTY_LIST_METHODS[i]];
      if (typeof method === 'function') hidden(EMPTY_LIST_METHODS[i], emptyListMethod(method));
    }
    var iterator = A.prototype[RealSymbol.iterator];
    hidden(RealSymbol.iterator, function () { return apply(iterator, [], []); });
  })();
  function standIn(v, depth) {
    if (v === null || typeof v !== 'object' || depth > 16) return v;
    var ks = keys(v);
    for (var i = 0; i < ks.length; i++) standIn(v[ks[i]], depth + 1);
    if (!isArray(v) && getPrototypeOf(v) === O.prototype) setPrototypeOf(v, standInProto);
    return v;
  }

  // Results may carry host objects ({$object: type, $oid: n}: a canvas node in a SelectorQuery result).
  function reviveObjects(v, depth) {
    if (v === null || typeof v !== 'object' || depth > 4) return v;
    if (hasOwn(v, '$jsonText') && keys(v).length === 1) return standIn(v.$jsonText, 0);
    if (typeof v.$object === 'string' && typeof v.$oid === 'number') {
      return objects[v.$oid] ? objects[v.$oid].obj : buildObject(v.$oid, v.$object);
    }
    // a local object of a catalogue type, without a host id (an event's platform object: xr-frame's Scene)
    if (typeof v.$object === 'string' && v.$oid === undefined && keys(v).length === 1 &&
        cfg.surface.objects[v.$object]) return buildObject(0, v.$object);
    var ks = keys(v);
    for (var i = 0; i < ks.length && i < 64; i++) v[ks[i]] = reviveObjects(v[ks[i]], depth + 1);
    return v;
  }

  function dispatchCall(target, kind, args, promiseDefault) {
    var sc = splitCallbacks(args);
    var cid = ++callSeq;
    var op = target.oid ? 'ocall' : 'call';
    var first = args[0], sent = args;
    if ((kind === 'async' || kind === 'task' || kind === 'promise') && first !== null && typeof first === 'object' &&
        !isArray(first) && !binaryOf(first, getPrototypeOf(first))) {
      sent = arrSlice(args);
      sent[0] = readOptions(first);
    }
    if (target.id === 'navigateTo') channels[cid] = makeChannelPair(first && typeof first === 'object' ? first.events : null);
    var payload = { cid: cid, cbs: sc.names, kind: kind, args: sent }; // args last: a cut leaves the rest whole
    var where = HERE;
    if (target.oid) { payload.oid = target.oid; payload.method = target.method; }
    else { payload.id = target.id; payload.via = target.via; }
    var reply = send(op, payload, where) || { r: 'undefined' };
    var r = reply.r;
    if (r === 'throw') {
      var Ctor = reply.name === 'TypeError' ? RealTypeError : E;
      throw new Ctor(reply.message);
    }
    if (r === 'sync') return reviveObjects(reply.value, 0);
    if (r === 'object') return buildObject(reply.oid, reply.object);
    if (r === 'undefined') return undefined;
    // async: callbacks, a promise, and maybe a task object
    var entry = { cbs: sc.cbs, api: target.id || target.method };
    pending[cid] = entry;
    var result;
    var wantsPromise = (kind === 'promise') || (promiseDefault && !hasAnyCallback(sc.names));
    if (wantsPromise && !reply.oid) {
      result = new P(function (resolve, reject) { entry.resolve = resolve; entry.reject = reject; });
    }
    if (reply.oid) result = buildObject(reply.oid, reply.object);
    return result;
  }

  function complete(cid, ok, res) {
    var entry = pending[cid];
    var channel = channels[cid];
    if (channel) delete channels[cid];
    if (!entry) return;
    delete pending[cid];
    res = reviveObjects(res, 0);
    if (channel && ok && res !== null && typeof res === 'object') res.eventChannel = channel.opener;
    if (entry.resolve) {
      if (ok) entry.resolve(res); else entry.reject(res);
      return;
    }
    var cb = entry.cbs;
    invoke(ok ? cb.success : cb.fail, undefined, [res], 'api-callback:' + entry.api);
    invoke(cb.complete, undefined, [res], 'api-callback:' + entry.api);
  }

  function emit(p) {
    if (p.oid) {
      var rec = objects[p.oid];
      if (!rec) return;
      var list = rec.listeners[p.event];
      if (!list) return;
      var copy = arrSlice(list);
      for (var i = 0; i < copy.length; i++) invoke(copy[i], rec.obj, [p.payload], rec.type + '.' + p.event);
      return;
    }
    fireApiListeners(p.api, [p.payload]);
  }

  function fireApiListeners(api, args) {
    var list = apiListeners[api];
    if (!list || !list.length) return;
    var copy = arrSlice(list);
    for (var i = 0; i < copy.length; i++) invoke(copy[i], undefined, args, api);
  }

  function makeApi(name, spec) {
    var via = platform + '.' + name;
    var target = { id: spec.id, via: via };
    var fn;
    if (spec.kind === 'listener' || spec.kind === 'unlisten') {
      fn = function (cb) {
        var event = spec.kind === 'listener' ? spec.id : 'on' + strSlice(spec.id, 3);
        var list = apiListeners[event] || (apiListeners[event] = []);
        if (spec.kind === 'listener') { if (typeof cb === 'function') push(list, cb); }
        else if (typeof cb === 'function') { var at = arrIndexOf(list, cb); if (at !== -1) arrSplice(list, at, 1); }
        else list.length = 0;
        send('call', { cid: ++callSeq, id: spec.id, via: via, args: [], cbs: [], kind: spec.kind, fn: typeof cb === 'function' }, HERE);
      };
    } else {
      fn = spec.id === 'nextTick'
        ? function (cb) {
            dispatchCall(target, 'sync', [], false);
            if (typeof cb === 'function') then(new P(function (r) { r(); }), function () { invoke(cb, undefined, [], 'nextTick'); });
          }
        : function () { return dispatchCall(target, spec.kind, arrSlice(arguments), spec.promise); };
    }
    defineProperty(fn, 'name', { value: name });
    return fn;
  }

  var IGNORED_PROBES = { then: 1, toJSON: 1, constructor: 1, valueOf: 1, toString: 1, __proto__: 1,
                         hasOwnProperty: 1, inspect: 1, length: 1, prototype: 1, $$typeof: 1 };

  // The platform global (tt/wx/my) and its namespaces (wx.cloud, my.ap): the catalogue's names are fixed
  // (non-writable, non-configurable: an app replacing wx.request is refused and noted), names the app adds
  // (wx.myHelper = ..., my.lin = my.lin || {}) are accepted and noted once, reads of names the platform lacks are
  // reported as unknown APIs.
  function makeNamespace(prefix, members) {
    var target = create(O.prototype);
    var fixed = create(null);
    var names = keys(members);
    for (var i = 0; i < names.length; i++) {
      defineProperty(target, names[i], { value: members[names[i]], enumerable: true, writable: false, configurable: false });
      fixed[names[i]] = 1;
    }
    var reported = create(null), noted = create(null);
    function refuse(prop) {
      if (!noted['!' + prop]) {
        noted['!' + prop] = 1;
        send('note', { code: 'platform-api-overwrite', message: prefix + '.' + S(prop) + ' is the platform\'s and cannot be replaced',
                       data: { name: prefix + '.' + S(prop) } });
      }
      return false;
    }
    function added(prop) {
      if (typeof prop === 'string' && !hasOwn(target, prop) && !noted[prop]) {
        noted[prop] = 1;
        send('note', { code: 'platform-global-extended', message: 'the bundle added ' + prefix + '.' + prop,
                       data: { name: prefix + '.' + prop } });
      }
    }
    return new Proxy(target, {
      get: function (t, prop, receiver) {
        if (typeof prop === 'string' && !hasOwn(t, prop) && !hasOwn(IGNORED_PROBES, prop)) {
          var key = prop + '@' + callSite();
          if (!reported[key]) {
            reported[key] = 1;
            send('unknown', { name: prop, via: prefix + '.' + prop }, HERE);
          }
          return undefined;
        }
        return R.get(t, prop, receiver);
      },
      set: function (t, prop, value) {
        if (prop === '__proto__') return false;
        if (typeof prop === 'string' && fixed[prop]) return refuse(prop);
        added(prop);
        var d = getOwnPropertyDescriptor(t, prop);
        if (d && !d.writable && !d.set) return false;
        if (d && d.set) { apply(d.set, t, [value]); return true; }
        return R.defineProperty(t, prop, { value: value, writable: true, enumerable: true, configurable: true });
      },
      defineProperty: function (t, prop, desc) {
        if (prop === '__proto__') return false;
        if (typeof prop === 'string' && fixed[prop]) return refuse(prop);
        added(prop);
        return R.defineProperty(t, prop, desc);
      },
      deleteProperty: function (t, prop) {
        if (typeof prop === 'string' && fixed[prop]) return refuse(prop);
        return R.deleteProperty(t, prop);
      },
      setPrototypeOf: function () { return false; },
      preventExtensions: function () { return false; }
    });
  }

  function makePlatformGlobal() {
    var apis = cfg.surface.apis;
    var top = create(null), spaces = create(null);
    var names = keys(apis);
    for (var i = 0; i < names.length; i++) {
      var name = names[i], spec = apis[name];
      var member = spec.kind === 'value' ? copyData(spec.value, 0) : makeApi(name, spec);
      var dot = strIndexOf(name, '.');
      if (dot === -1) { top[name] = member; continue; }
      var space = strSlice(name, 0, dot);
      (spaces[space] || (spaces[space] = create(null)))[strSlice(name, dot + 1)] = member;
    }
    var sk = keys(spaces);
    for (var j = 0; j < sk.length; j++) top[sk[j]] = makeNamespace(platform + '.' + sk[j], spaces[sk[j]]);
    if (platform === 'wx') top.worklet = makeNamespace('wx.worklet', worklet.members);
    return makeNamespace(platform, top);
  }

  // ---- App, Page, Component, Behavior ----------------------------------------------------------------------
  function copyOwn(src, dst, skip) {
    if (!src || typeof src !== 'object') return;
    var ks = keys(src);
    for (var i = 0; i < ks.length; i++) {
      if (skip && hasOwn(skip, ks[i])) continue;
      dst[ks[i]] = src[ks[i]];
    }
  }

  function App(options) {
    if (appDefined) {
      send('note', { code: 'app-twice', message: 'App() was called more than once; ignored', data: null });
      return;
    }
    appDefined = true;
    var inst = create(O.prototype);
    copyOwn(options || {}, inst);
    if (!inst.globalData) inst.globalData = {};
    appInstance = inst;
  }
  function getApp() { return appInstance || undefined; }

  function Page(options) {
    if (!loading || loading.kind !== 'page') {
      send('note', { code: 'page-outside-page-file', message: 'Page() was called outside a page file; ignored', data: null });
      return;
    }
    pageDefs[loading.path] = { options: options || {}, isComponent: false };
  }

  function Behavior(options) {
    var b = create(null);
    b.__behavior = true;
    b.options = options || {};
    return freeze(b);
  }

  // A file runs once, whether loaded as a page or as a component: Component() registers it as both, so a page
  // built with Component() can also be used as a component (and a component file opened as a page).
  function Component(options) {
    if (loading && (loading.kind === 'page' || loading.kind === 'component')) {
      pageDefs[loading.path] = { options: options || {}, isComponent: true };
      componentDefs[loading.path] = options || {};
      return;
    }
    send('note', { code: 'component-outside-file', message: 'Component() was called outside a page or component file; ignored', data: null });
  }

  function flattenBehaviors(options, out, depth) {
    var list = options.behaviors || options.mixins;
    if (isArray(list) && depth < 10) {
      for (var i = 0; i < list.length; i++) {
        var b = list[i];
        if (b && b.__behavior) { flattenBehaviors(b.options, out, depth + 1); push(out, b.options); }
        else if (b && typeof b === 'object' && platform === 'my') { flattenBehaviors(b, out, depth + 1); push(out, b); }
      }
    }
    return out;
  }

  function propertyDefault(spec) {
    if (spec === null || spec === undefined) return null;
    if (typeof spec === 'function') return typeDefault(spec);
    if (typeof spec === 'object') {
      if (hasOwn(spec, 'value')) return jsonClone(spec.value);
      return typeDefault(spec.type);
    }
    return null;
  }
  function typeDefault(t) {
    if (t === String) return '';
    if (t === Number) return 0;
    if (t === Boolean) return false;
    if (t === Array) return [];
    if (t === Object) return null;
    return null;
  }
  function coerceProperty(spec, raw) {
    var t = spec && typeof spec === 'object' ? spec.type : spec;
    if (t === Number) { var n = +raw; return numIsNaN(n) ? 0 : n; }
    if (t === Boolean) return raw !== 'false' && raw !== '' && raw !== false && raw !== null;
    if (t === String) return S(raw);
    return raw;
  }

  var pageProto = create(O.prototype);
  var componentProto = create(O.prototype);
  function defineMethods(proto, methods) {
    var ks = keys(methods);
    for (var i = 0; i < ks.length; i++) {
      defineProperty(proto, ks[i], { value: methods[ks[i]], writable: true, configurable: true });
    }
  }
  defineMethods(pageProto, {
    setData: function (obj, cb) { doSetData(this, 'page', obj, cb); },
    // pages are components on the platforms: the component methods exist and do what they can on a page
    triggerEvent: function () {},
    selectOwnerComponent: function () { return null; },
    hasBehavior: function () { return false; },
    getPageId: function () { return 'pageId:' + this.__pageId; },
    getRelationNodes: function () { return []; },
    groupSetData: function (fn) { if (typeof fn === 'function') invoke(fn, this, [], 'groupSetData'); },
    selectComponent: function (sel) { return selectComponents(this, sel)[0] || null; },
    selectAllComponents: function (sel) { return selectComponents(this, sel); },
    createSelectorQuery: function () { var q = global[platform].createSelectorQuery; return q ? q() : undefined; },
    createIntersectionObserver: function (a, b) { var c = global[platform].createIntersectionObserver; return c ? c(this, a, b) : undefined; },
    getOpenerEventChannel: function () { return this.__channel || (this.__channel = makeEventChannel()); },
    getTabBar: function () { return customTabBarOf(this); },
    animate: animateMethod,
    clearAnimation: clearAnimationMethod
  });
  // the platforms' rendering hooks on every page and component: nothing to tune in the sandbox, each does what it can
  var renderingMethods = {
    createMediaQueryObserver: function () {
      return { observe: function () {}, disconnect: function () {} }; // the window never changes size here
    },
    setUpdatePerformanceListener: function () {},
    getPassiveEvent: function (cb) { if (typeof cb === 'function') invoke(cb, this, [{}], 'getPassiveEvent'); },
    setPassiveEvent: function () {},
    applyDataUpdates: function () {},
    setInitialRenderingCache: function () {}
  };
  defineMethods(pageProto, renderingMethods);
  defineMethods(componentProto, renderingMethods);
  defineMethods(componentProto, {
    setData: function (obj, cb) { doSetData(this, 'component', obj, cb); },
    animate: animateMethod,
    clearAnimation: clearAnimationMethod,
    triggerEvent: function (name, detail, opts) { triggerComponentEvent(this, name, detail, opts); },
    selectComponent: function (sel) { return selectComponents(this.__page, sel)[0] || null; },
    selectAllComponents: function (sel) { return selectComponents(this.__page, sel); },
    selectOwnerComponent: function () { return null; },
    createSelectorQuery: function () { var q = global[platform].createSelectorQuery; return q ? q() : undefined; },
    createIntersectionObserver: function (a, b) { var c = global[platform].createIntersectionObserver; return c ? c(this, a, b) : undefined; },
    getPageId: function () { return this.__page ? 'pageId:' + this.__page.__pageId : ''; },
    getTabBar: function () { return customTabBarOf(this.__page); },  // the custom tab bar of its page
    getOpenerEventChannel: function () { var p = this.__page; return p ? p.getOpenerEventChannel() : makeEventChannel(); },
    // the page's own function: a second closure here calling invoke() made every promise job of the run cost 11x
    // the polls (66 a job instead of 6, real CPU +40 %; not understood, see the session notes)
    groupSetData: pageProto.groupSetData,
    hasBehavior: function () { return false; },
    // relations (vant's van-tabs/van-tab) are not linked in the sandbox: no related nodes, as before they attach
    getRelationNodes: function () { return []; }
  });

  // An event channel: on/once/off register this side's listeners, emit fires the other side's (a lone channel
  // talks to itself). navigateTo links two: the opener's (success res.eventChannel, its `events` option) and the
  // opened page's (getOpenerEventChannel()).
  function makeEventChannel(own, other) {
    var listeners = own || create(null);
    var peer = other || listeners;
    function add(name, fn, once) {
      if (typeof fn !== 'function') return;
      (listeners[name] || (listeners[name] = [])); push(listeners[name], { fn: fn, once: once });
    }
    return freeze({
      on: function (name, fn) { add(name, fn, false); },
      once: function (name, fn) { add(name, fn, true); },
      off: function (name, fn) {
        if (fn === undefined) { delete listeners[name]; return; }
        var list = listeners[name] || [];
        for (var i = list.length - 1; i >= 0; i--) if (list[i].fn === fn) arrSplice(list, i, 1);
      },
      emit: function (name, data) {
        var list = peer[name]; if (!list) return;
        var copy = arrSlice(list);
        for (var i = 0; i < copy.length; i++) {
          if (copy[i].once) { var at = arrIndexOf(list, copy[i]); if (at !== -1) arrSplice(list, at, 1); }
          invoke(copy[i].fn, undefined, [data], 'EventChannel');
        }
      }
    });
  }
  function makeChannelPair(events) {
    var openerSide = create(null), pageSide = create(null);
    var opener = makeEventChannel(openerSide, pageSide);
    if (events && typeof events === 'object') {
      var ek = keys(events);
      for (var i = 0; i < ek.length; i++) opener.on(ek[i], events[ek[i]]);
    }
    return { opener: opener, page: makeEventChannel(pageSide, openerSide) };
  }

  function selectComponents(page, sel) {
    var out = [];
    if (!page || !page.__components) return out;
    sel = S(sel);
    for (var i = 0; i < page.__components.length; i++) {
      var c = page.__components[i];
      if ((sel[0] === '#' && c.id === strSlice(sel, 1)) || (sel[0] === '.' && arrIndexOf(c.__classes, strSlice(sel, 1)) !== -1) || c.__tag === sel) {
        push(out, c);
      }
    }
    return out;
  }

  function PAGE_HOOKS_FROM_COMPONENT() {
    return ['onLoad', 'onShow', 'onReady', 'onHide', 'onUnload', 'onPullDownRefresh', 'onReachBottom',
            'onPageScroll', 'onShareAppMessage', 'onShareTimeline', 'onTabItemTap', 'onResize', 'onAddToFavorites',
            'onUploadDouyinVideo', 'onLiveMount'];
  }

  // WeChat's this.renderer: the page JSON's "renderer", else its subpackage's, else app.json's, else "webview"
  var appRenderer = null, packageRenderers = [];
  function jsonField(text, name) {
    try { var v = text ? parseJSON(text)[name] : null; return typeof v === 'string' ? v : null; } catch (_) { return null; }
  }
  function readRenderers(appJson) {
    appRenderer = jsonField(appJson, 'renderer');
    var app = null;
    try { app = parseJSON(appJson || 'null'); } catch (_) { app = null; }
    var subs = app && (isArray(app.subpackages) ? app.subpackages : app.subPackages);
    for (var i = 0; isArray(subs) && i < subs.length; i++) {
      var sp = subs[i];
      if (sp && typeof sp.root === 'string' && typeof sp.renderer === 'string') {
        push(packageRenderers, [strReplace(sp.root, /^\/+|\/+$/g, '') + '/', sp.renderer]);
      }
    }
  }
  function rendererOf(route) {
    var r = jsonField(cfg.jsonModules && cfg.jsonModules[route + '.json'], 'renderer');
    for (var i = 0; !r && i < packageRenderers.length; i++) {
      if (strStartsWith(route, packageRenderers[i][0])) r = packageRenderers[i][1];
    }
    r = r || appRenderer;
    return r === 'skyline' ? 'skyline' : 'webview';
  }

  function createPage(route, query, pageId, components, opener) {
    if (!pageDefs[route]) loadAs('page', route, route + '.js');
    var def = pageDefs[route];
    var inst = create(pageProto);
    var opts = def ? def.options : {};
    if (!def) {
      send('error', { error: 'framework', name: 'Error', message: 'Page[' + route + '] not found. May be caused by: 1. Forgot to add page route in app.json. 2. Invoking Page() in async task.', stack: '', source: 'page-register', handled_by: null });
    }
    if (def && def.isComponent) {
      var merged = mergeComponentOptions(opts);
      inst.data = merged.data;
      var props = merged.properties;
      var pk = keys(props);
      for (var i = 0; i < pk.length; i++) {
        if (hasOwn(query, pk[i])) inst.data[pk[i]] = coerceProperty(props[pk[i]], query[pk[i]]);
      }
      copyOwn(merged.methods, inst);
      inst.__lifetimes = merged.lifetimes;
      inst.__observers = merged.observers;
      inst.properties = inst.data;
      var hooks = PAGE_HOOKS_FROM_COMPONENT();
      for (var h = 0; h < hooks.length; h++) {
        if (typeof merged.methods[hooks[h]] === 'function') inst[hooks[h]] = merged.methods[hooks[h]];
      }
    } else {
      // Douyin binds a Page()'s methods to the page (its own API demo passes them bare as callbacks:
      // tt.onAppShow(this.callback), canvas.requestAnimationFrame(this.render)); WeChat and Alipay do not
      var ks = keys(opts);
      for (var k = 0; k < ks.length; k++) {
        if (ks[k] === 'data') continue;
        var member = opts[ks[k]];
        inst[ks[k]] = platform === 'tt' && typeof member === 'function' ? fnBind(member, inst) : member;
      }
      inst.data = jsonClone(opts.data && typeof opts.data === 'object' ? opts.data : {}) || {};
    }
    defineProperty(inst, 'route', { value: route, enumerable: true });
    defineProperty(inst, '__route__', { value: route });
    if (platform === 'wx') defineProperty(inst, 'renderer', { value: rendererOf(route), enumerable: false });
    defineProperty(inst, '__pageId', { value: pageId });
    if (opener && channels[opener]) defineProperty(inst, '__channel', { value: channels[opener].page });
    inst.options = query;
    pagesById[pageId] = inst;
    push(stack, inst);
    inst.__components = [];
    // a page built with Component: on WeChat created after its components' (exparser builds inner first),
    // attached before theirs
    var ownLifetimes = def && def.isComponent ? function () {
      ownLifetimes = null;
      invoke(inst.__lifetimes.created, inst, [], 'Component.created');
      invoke(inst.__lifetimes.attached, inst, [], 'Component.attached');
    } : null;
    if (ownLifetimes && !childrenFirst()) ownLifetimes();
    if (!(cfg.view && viewSync(inst, ownLifetimes))) {
      // no view, or no template to render: the component uses found statically
      if (ownLifetimes) ownLifetimes();
      for (var c = 0; c < (components || []).length; c++) createComponent(inst, components[c]);
    }
    life('page', 'onLoad', route);
    invoke(inst.onLoad, inst, [query], 'Page.onLoad');
    showPage(inst);
    return inst;
  }

  function life(target, hook, route, component) {
    send('life', { target: target, hook: hook, route: route, component: component || null });
  }

  function showPage(inst) {
    life('page', 'onShow', inst.route);
    invoke(inst.onShow, inst, [], 'Page.onShow');
    eachComponent(inst, function (c) { invoke(c.__pageLifetimes.show, c, [], 'Component.pageLifetimes.show'); });
  }
  function hidePage(inst) {
    life('page', 'onHide', inst.route);
    invoke(inst.onHide, inst, [], 'Page.onHide');
    eachComponent(inst, function (c) { invoke(c.__pageLifetimes.hide, c, [], 'Component.pageLifetimes.hide'); });
  }
  function readyPage(inst) {
    // components are ready before their page (WeChat/Douyin order; Alipay didMount likewise); on WeChat a
    // component's children before it (exparser)
    var list = childrenFirst() ? postOrder(inst) : (inst.__components || []);
    for (var i = 0; i < list.length; i++) readyComponent(list[i]);
    if (inst.__lifetimes) invoke(inst.__lifetimes.ready, inst, [], 'Component.ready');
    inst.__ready = true;
    life('page', 'onReady', inst.route);
    invoke(inst.onReady, inst, [], 'Page.onReady');
  }
  function unloadPage(inst) {
    life('page', 'onUnload', inst.route);
    invoke(inst.onUnload, inst, [], 'Page.onUnload');
    if (inst.__lifetimes) invoke(inst.__lifetimes.detached, inst, [], 'Component.detached');
    eachComponent(inst, function (c) {
      life('component', 'detached', inst.route, c.is);
      if (platform === 'my') invoke(c.__lifetimes.didUnmount, c, [], 'Component.didUnmount');
      else invoke(c.__lifetimes.detached, c, [], 'Component.detached');
    });
    var at = arrIndexOf(stack, inst);
    if (at !== -1) arrSplice(stack, at, 1);
    delete pagesById[inst.__pageId];
  }
  function postOrder(page) {
    var list = page.__components || [], out = [], kids = new RealMap(), seen = new RealMap();
    for (var i = 0; i < list.length; i++) {
      var owner = list[i].__owner || page;
      if (!mapHas(kids, owner)) mapSet(kids, owner, []);
      push(mapGet(kids, owner), list[i]);
    }
    function visit(node, depth) {
      var own = mapGet(kids, node) || [];
      for (var j = 0; j < own.length; j++) {
        if (mapHas(seen, own[j])) continue;
        mapSet(seen, own[j], true);
        if (depth < MAX_VIEW_DEPTH) visit(own[j], depth + 1);
        push(out, own[j]);
      }
    }
    visit(page, 0);
    for (var k = 0; k < list.length; k++) if (!mapHas(seen, list[k])) push(out, list[k]); // owner gone: last
    return out;
  }
  function eachComponent(page, fn) {
    var list = page.__components || [];
    for (var i = 0; i < list.length; i++) fn(list[i]);
  }

  // Behavior definitionFilter (WeChat): a behavior may rewrite the definition of the component that uses it (add
  // methods, observers: computed-property helpers do) before the definitions are merged. The filters work on a
  // copy, so a definition is filtered afresh for each instance.
  function filteredDefinition(options) {
    var list = options.behaviors;
    if (!isArray(list)) return options;
    var filters = [];
    for (var i = 0; i < list.length; i++) {
      var b = list[i];
      if (b && b.__behavior && typeof b.options.definitionFilter === 'function') push(filters, b.options);
    }
    if (!filters.length) return options;
    var def = {};
    copyOwn(options, def);
    var objs = ['methods', 'observers', 'lifetimes', 'pageLifetimes', 'data', 'properties'];
    for (var k = 0; k < objs.length; k++) {
      var v = def[objs[k]];
      if (v && typeof v === 'object' && !isArray(v)) { def[objs[k]] = {}; copyOwn(v, def[objs[k]]); }
    }
    for (var f = 0; f < filters.length; f++) invoke(filters[f].definitionFilter, filters[f], [def, []], 'Behavior.definitionFilter');
    return def;
  }

  function mergeComponentOptions(options) {
    options = filteredDefinition(options || {});
    var chain = flattenBehaviors(options, [], 0);
    push(chain, options);
    var out = { data: {}, properties: create(null), methods: create(null), lifetimes: create(null),
                pageLifetimes: create(null), observers: [], lifetimeLists: create(null), pageLifetimeLists: create(null) };
    var lifetimeNames = ['created', 'attached', 'ready', 'moved', 'detached', 'error', 'onInit', 'didMount', 'didUpdate', 'didUnmount'];
    for (var i = 0; i < chain.length; i++) {
      var o = chain[i] || {};
      var props = o.properties || o.props;
      if (props && typeof props === 'object') {
        var pk = keys(props);
        for (var p = 0; p < pk.length; p++) out.properties[pk[p]] = props[pk[p]];
      }
      if (o.data && typeof o.data === 'object') copyOwn(jsonClone(o.data), out.data);
      copyOwn(o.methods, out.methods);
      for (var l = 0; l < lifetimeNames.length; l++) {
        var ln = lifetimeNames[l];
        var f = (o.lifetimes && typeof o.lifetimes[ln] === 'function') ? o.lifetimes[ln] : o[ln];
        if (typeof f === 'function') push(out.lifetimeLists[ln] || (out.lifetimeLists[ln] = []), f);
      }
      var pl = o.pageLifetimes;
      if (pl && typeof pl === 'object') {
        var plk = keys(pl);
        for (var q = 0; q < plk.length; q++) {
          if (typeof pl[plk[q]] === 'function') push(out.pageLifetimeLists[plk[q]] || (out.pageLifetimeLists[plk[q]] = []), pl[plk[q]]);
        }
      }
      if (o.observers && typeof o.observers === 'object') {
        var ok = keys(o.observers);
        for (var r = 0; r < ok.length; r++) push(out.observers, { fields: ok[r], fn: o.observers[ok[r]] });
      }
    }
    var lk = keys(out.lifetimeLists);
    for (var a = 0; a < lk.length; a++) out.lifetimes[lk[a]] = chainFns(out.lifetimeLists[lk[a]]);
    var plk2 = keys(out.pageLifetimeLists);
    for (var b = 0; b < plk2.length; b++) out.pageLifetimes[plk2[b]] = chainFns(out.pageLifetimeLists[plk2[b]]);
    var propKeys = keys(out.properties);
    for (var c = 0; c < propKeys.length; c++) {
      if (!hasOwn(out.data, propKeys[c])) out.data[propKeys[c]] = propertyDefault(out.properties[propKeys[c]]);
    }
    return out;
  }
  function chainFns(list) {
    return function () {
      for (var i = 0; i < list.length; i++) invoke(list[i], this, arguments, 'Component.lifetime');
    };
  }

  function createComponent(page, usage, owner, later) {
    var path = usage.path;
    if (!componentDefs[path]) loadAs('component', path, path + '.js');
    var options = componentDefs[path];
    if (!options) {
      send('note', { code: 'component-missing', message: 'Component ' + path + ' is not defined', data: { path: path } });
      return null;
    }
    var merged = mergeComponentOptions(options);
    var inst = create(componentProto);
    inst.is = path;
    inst.id = usage.id || '';
    inst.dataset = usage.dataset || {};
    inst.__tag = usage.tag;
    inst.__classes = usage.classes || [];
    inst.__page = page;
    inst.__owner = owner || page;
    if (platform === 'wx') defineProperty(inst, 'renderer', { value: page && page.renderer || 'webview', enumerable: false });
    inst.__identity = usage.identity || null;
    inst.__usage = usage;
    inst.__lifetimes = merged.lifetimes;
    inst.__pageLifetimes = merged.pageLifetimes;
    inst.__observers = merged.observers;
    inst.__properties = merged.properties;
    inst.data = merged.data;
    var props = usage.props || {};
    var pk = keys(props);
    inst.__passed = create(null); // what the owner's template last passed, per property
    for (var i = 0; i < pk.length; i++) {
      inst.__passed[pk[i]] = stringify(props[pk[i]]);
      if (hasOwn(merged.properties, pk[i])) inst.data[pk[i]] = coerceProperty(merged.properties[pk[i]], props[pk[i]]);
    }
    if (platform === 'my') {
      inst.props = create(O.prototype);
      copyOwn(inst.data, inst.props);
      var bindings = usage.bindings || [];
      for (var b = 0; b < bindings.length; b++) {
        (function (bd) {
          inst.props[bd.prop || ('on' + toUpper(bd.event[0]) + strSlice(bd.event, 1))] = function () {
            var ownerInst = inst.__owner || page;
            var handler = ownerInst[bd.handler];
            return invoke(handler, ownerInst, arguments, (ownerInst === page ? 'Page.' : 'Component.') + bd.handler);
          };
        })(bindings[b]);
      }
      inst.$page = page;
      inst.$id = usage.id;
    }
    inst.properties = inst.data;
    copyOwn(merged.methods, inst);
    push(page.__components, inst);
    if (inst.__identity) (page.__byIdentity || (page.__byIdentity = create(null)))[inst.__identity] = inst;
    if (later) return inst; // the caller runs its lifetimes (see syncLevel)
    componentCreated(inst);
    componentAttached(inst);
    return inst;
  }
  function componentCreated(inst) {
    life('component', 'created', inst.__page.route, inst.is);
    if (platform === 'my') invoke(inst.__lifetimes.onInit, inst, [], 'Component.onInit');
    else invoke(inst.__lifetimes.created, inst, [], 'Component.created');
  }
  function componentAttached(inst) {
    if (platform === 'my') return;
    life('component', 'attached', inst.__page.route, inst.is);
    invoke(inst.__lifetimes.attached, inst, [], 'Component.attached');
  }

  // a custom tabBar (app.json tabBar.custom): each tab page has its own custom-tab-bar/index instance
  var customTabPages = null;
  function readCustomTabBar(appJsonText) {
    var app = {};
    try { app = parseJSON(appJsonText || '{}') || {}; } catch (_) { return; }
    var tb = app && app.tabBar;
    if (!tb || tb.custom !== true || !isArray(tb.list)) return;
    customTabPages = create(null);
    for (var i = 0; i < tb.list.length; i++) {
      var p = tb.list[i] && tb.list[i].pagePath;
      if (typeof p === 'string') customTabPages[S(p).replace(/^\//, '').replace(/\.html$/, '')] = true;
    }
  }
  function customTabBarOf(page) {
    if (!customTabPages || !page || !customTabPages[page.route]) return null;
    if (!page.__tabBar) {
      page.__tabBar = createComponent(page, { path: 'custom-tab-bar/index', tag: 'custom-tab-bar', props: {},
                                              bindings: [], identity: null }, page);
      if (page.__tabBar && page.__ready) readyComponent(page.__tabBar);
    }
    return page.__tabBar;
  }

  // ---- the view: component instances follow the rendered templates ---------------------------------------
  // After a page renders, the host's view realm answers which component elements its tree holds (identity,
  // component path, properties evaluated from the parent's attributes); instances are created, updated and
  // released to match, level by level, in the platform's order. WeChat's exparser builds a component's shadow tree
  // from its initial data before its created lifetime, so children are created first and a parent's created can
  // selectComponent them (Vant's datetime-picker does); attached then runs parent first. Elsewhere a parent is
  // created and attached before its children.
  var MAX_VIEW_DEPTH = 32;
  function childrenFirst() { return platform === 'wx'; }
  function viewSync(page, beforeAttached) {
    if (!cfg.view || !page) return false;
    var res = send('view', { op: 'page', pageId: page.__pageId, route: page.route, data: page.data });
    if (!res || !res.rendered) return false;
    var fresh = [];
    syncLevel(page, null, res, 0, fresh);
    if (beforeAttached) beforeAttached();
    var byId = page.__byIdentity || {};
    for (var i = 0; i < fresh.length; i++) {
      var inst = fresh[i];
      if (byId[inst.__identity] !== inst) continue; // released before it was attached
      componentAttached(inst);
      if (page.__ready) readyComponent(inst);
    }
    return true;
  }
  function syncLevel(page, ownerInst, res, depth, fresh) {
    if (depth > MAX_VIEW_DEPTH) return;
    var list = (res && isArray(res.instances)) ? res.instances : [];
    var ownerKey = ownerInst ? ownerInst.__identity : null;
    var byId = page.__byIdentity || (page.__byIdentity = create(null));
    var keep = create(null), level = [];
    for (var i = 0; i < list.length; i++) {
      var d = list[i];
      if (!d || typeof d.identity !== 'string') continue;
      keep[d.identity] = true;
      var inst = byId[d.identity];
      if (inst && inst.is !== d.path) { detachComponent(page, inst); inst = null; }
      if (!inst) {
        inst = createComponent(page, { path: d.path, tag: d.tag, id: d.id, classes: d.classes, dataset: d.dataset,
                                       props: d.props, bindings: d.bindings, identity: d.identity }, ownerInst,
                               childrenFirst());
        if (inst && childrenFirst()) { inst.__notCreated = true; push(fresh, inst); }
        else if (inst && page.__ready) readyComponent(inst);
      } else {
        inst.id = d.id || '';
        inst.dataset = d.dataset || {};
        inst.__usage.bindings = d.bindings || [];
        updateProps(inst, d.props || {});
      }
      if (inst) push(level, inst);
    }
    var all = arrSlice(page.__components || []);
    for (var j = 0; j < all.length; j++) {
      var c = all[j];
      if (c.__identity && (c.__owner === (ownerInst || page)) && !keep[c.__identity]) detachComponent(page, c);
    }
    for (var k = 0; k < level.length; k++) {
      var one = level[k];
      if (!one.__identity || byId[one.__identity] !== one) continue;
      var sub = send('view', { op: 'component', identity: one.__identity, path: one.is, data: one.data });
      syncLevel(page, one, sub, depth + 1, fresh);
      if (one.__notCreated) { one.__notCreated = false; componentCreated(one); }
    }
    if (ownerKey === null) send('view', { op: 'done', pageId: page.__pageId });
  }
  function updateProps(inst, props) {
    var declared = inst.__properties || {};
    var changed = [];
    var ks = keys(props);
    for (var i = 0; i < ks.length; i++) {
      var k = ks[i];
      if (!hasOwn(declared, k) && platform !== 'my') continue;
      // only a value the owner's template passes anew reaches the property (not a re-render of the same one,
      // which would undo the component's own setData of it)
      var passed = stringify(props[k]);
      if (inst.__passed && inst.__passed[k] === passed) continue;
      if (inst.__passed) inst.__passed[k] = passed;
      var v = hasOwn(declared, k) ? coerceProperty(declared[k], props[k]) : props[k];
      var old = inst.data[k];
      if (stringify(old) === stringify(v)) continue;
      inst.data[k] = jsonClone(v);
      if (platform === 'my' && inst.props) inst.props[k] = inst.data[k];
      push(changed, { key: k, path: [k], old: old });
    }
    if (!changed.length) return;
    if (platform === 'my') invoke(inst.__lifetimes.didUpdate, inst, [{}, {}], 'Component.didUpdate');
    else runObservers(inst, changed);
  }
  function readyComponent(c) {
    if (platform === 'my') invoke(c.__lifetimes.didMount, c, [], 'Component.didMount');
    else invoke(c.__lifetimes.ready, c, [], 'Component.ready');
  }
  function detachComponent(page, inst) {
    var list = page.__components || [];
    var children = [];
    for (var i = 0; i < list.length; i++) if (list[i].__owner === inst) push(children, list[i]);
    for (var j = 0; j < children.length; j++) detachComponent(page, children[j]);
    var at = arrIndexOf(page.__components, inst);
    if (at === -1) return;
    arrSplice(page.__components, at, 1);
    if (inst.__identity && page.__byIdentity) delete page.__byIdentity[inst.__identity];
    life('component', 'detached', page.route, inst.is);
    if (platform === 'my') invoke(inst.__lifetimes.didUnmount, inst, [], 'Component.didUnmount');
    else invoke(inst.__lifetimes.detached, inst, [], 'Component.detached');
    send('view', { op: 'release', identity: inst.__identity });
  }

  function matchesField(field, path) {
    // observer field 'a.b[0]' or 'a.**' against a changed path: fire when one is a prefix of the other
    var wildcard = false;
    if (strSlice(field, -3) === '.**') { wildcard = true; field = strSlice(field, 0, -3); }
    if (field === '**') return true;
    var fp = parsePath(field);
    var n = mathMin(fp.length, path.length);
    for (var i = 0; i < n; i++) if (S(fp[i]) !== S(path[i])) return false;
    return wildcard || true;
  }
  function valueChanged(a, b) {
    if (a === b) return false;
    if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return true;
    try { return stringify(a) !== stringify(b); } catch (e) { return true; }
  }
  function runObservers(inst, changed) {
    var props = inst.__properties || {};
    for (var c = 0; c < changed.length; c++) {
      var ch = changed[c];
      if (ch.path.length === 1 && hasOwn(props, ch.path[0])) {
        // a property's observer fires when its value changes (observers fire on every setData)
        if (!valueChanged(ch.old, inst.data[ch.path[0]])) continue;
        var spec = props[ch.path[0]];
        if (spec && typeof spec === 'object' && typeof spec.observer === 'function') {
          invoke(spec.observer, inst, [inst.data[ch.path[0]], ch.old, ch.path], 'Component.property.observer');
        } else if (spec && typeof spec === 'object' && typeof spec.observer === 'string' && typeof inst[spec.observer] === 'function') {
          invoke(inst[spec.observer], inst, [inst.data[ch.path[0]], ch.old, ch.path], 'Component.property.observer');
        }
      }
    }
    var obs = inst.__observers || [];
    for (var i = 0; i < obs.length; i++) {
      var fields = strSplit(obs[i].fields, ',');
      var fire = false;
      for (var f = 0; f < fields.length && !fire; f++) {
        for (var k = 0; k < changed.length; k++) if (matchesField(strTrim(fields[f]), changed[k].path)) { fire = true; break; }
      }
      if (!fire) continue;
      var vals = [];
      for (var v = 0; v < fields.length; v++) {
        var fld = strTrim(fields[v]);
        if (strSlice(fld, -3) === '.**') fld = strSlice(fld, 0, -3);
        push(vals, fld === '**' ? inst.data : getPath(inst.data, parsePath(fld)));
      }
      invoke(obs[i].fn, inst, vals, 'Component.observers');
    }
  }

  function triggerComponentEvent(inst, name, detail, opts) {
    var usage = inst.__usage || {};
    var bindings = usage.bindings || [];
    var page = inst.__page;
    var ownerInst = inst.__owner || page;
    var handled = false;
    for (var i = 0; i < bindings.length; i++) {
      if (bindings[i].event !== name) continue;
      handled = true;
      var handler = ownerInst ? ownerInst[bindings[i].handler] : undefined;
      var ev = { type: name, timeStamp: nowMs, detail: detail === undefined ? {} : detail,
                 target: { id: inst.id, dataset: inst.dataset }, currentTarget: { id: inst.id, dataset: inst.dataset } };
      if (typeof handler !== 'function') {
        send('console', { level: 'warn', text: 'Component "' + (page ? page.route : '') + '" does not have a method "' + bindings[i].handler + '" to handle event "' + name + '".' });
        continue;
      }
      invoke(handler, ownerInst, [ev], (ownerInst === page ? 'Page.' : 'Component.') + bindings[i].handler);
    }
    send('life', { target: 'component', hook: 'triggerEvent:' + name, route: page ? page.route : null, component: inst.is, handled: handled });
  }

  // ---- host commands -------------------------------------------------------------------------------------
  function findTarget(p) {
    var page = pagesById[p.pageId];
    if (!page) return null;
    if (p.componentIdentity) return (page.__byIdentity && page.__byIdentity[p.componentIdentity]) || null;
    if (p.componentPath) {
      var list = page.__components || [];
      for (var i = 0; i < list.length; i++) {
        if (list[i].is === p.componentPath && (p.componentIndex === undefined || p.componentIndex === i)) return list[i];
      }
      return null;
    }
    return page;
  }

  var commands = {
    launch: function (p) {
      var ok = loadAs('app', 'app', 'app.js');
      if (!appInstance) {
        send('note', { code: 'no-app', message: 'App() was not called in app.js', data: { loaded: ok } });
        App({});
      }
      var pages = p.pages || [];
      for (var i = 0; i < pages.length; i++) if (!pageDefs[pages[i]]) loadAs('page', pages[i], pages[i] + '.js');
      life('app', 'onLaunch', null);
      invoke(appInstance.onLaunch, appInstance, [p.options], 'App.onLaunch');
      life('app', 'onShow', null);
      invoke(appInstance.onShow, appInstance, [p.options], 'App.onShow');
      fireApiListeners('onAppShow', [p.options]);
      return null;
    },
    pages: function (p) {
      // a batch of page-stack operations decided by the host's router
      var ops = p.ops || [];
      var created = null;
      for (var i = 0; i < ops.length; i++) {
        var op = ops[i];
        var inst = pagesById[op.pageId];
        if (op.op === 'create') created = createPage(op.route, op.query || {}, op.pageId, op.components, op.opener);
        else if (!inst) continue;
        else if (op.op === 'hide') hidePage(inst);
        else if (op.op === 'show') showPage(inst);
        else if (op.op === 'unload') unloadPage(inst);
        else if (op.op === 'ready') readyPage(inst);
      }
      return null;
    },
    appHook: function (p) {
      if (!appInstance) return null;
      life('app', p.hook, null);
      invoke(appInstance[p.hook], appInstance, p.args || [], 'App.' + p.hook);
      if (p.hook === 'onShow') fireApiListeners('onAppShow', p.args || []);
      if (p.hook === 'onHide') fireApiListeners('onAppHide', p.args || []);
      if (p.hook === 'onPageNotFound') fireApiListeners('onPageNotFound', p.args || []);
      return null;
    },
    pageHook: function (p) {
      var inst = pagesById[p.pageId];
      if (!inst) return { found: false };
      var fn = inst[p.hook];
      if (typeof fn !== 'function') return { found: false };
      life('page', p.hook, inst.route);
      var ret = invoke(fn, inst, p.args || [], 'Page.' + p.hook);
      if (p.hook === 'onShareAppMessage' && ret && typeof ret === 'object' && typeof ret.then !== 'function') {
        return { found: true, value: readOptions(ret) }; // read as the platform reads it: field by field
      }
      return { found: true, value: null };
    },
    event: function (p) {
      var target = findTarget(p);
      if (!target) return { found: false, reason: 'target-gone' };
      var fn = target[p.handler];
      if (typeof fn !== 'function' && p.componentPath && target.props && typeof target.props[p.handler] === 'function') {
        fn = target.props[p.handler];
      }
      if (typeof fn !== 'function') {
        send('console', { level: 'warn', text: 'Component "' + (target.route || target.is) + '" does not have a method "' + p.handler + '" to handle event "' + (p.event && p.event.type) + '".' });
        return { found: false, reason: 'no-handler' };
      }
      if (p.event && p.event.detail && typeof p.event.detail === 'object') p.event.detail = reviveObjects(p.event.detail, 0);
      invoke(fn, target, [p.event], (p.componentPath || p.componentIdentity ? 'Component.' : 'Page.') + p.handler);
      return { found: true };
    },
    viewSync: function (p) {
      var ids = p.pageIds || [];
      for (var i = 0; i < ids.length; i++) if (pagesById[ids[i]]) viewSync(pagesById[ids[i]]);
      return null;
    },
    timer: function (p) { fireTimer(p.id); return null; },
    complete: function (p) { complete(p.cid, p.ok, p.res); return null; },
    emit: function (p) { emit(p); return null; },
    render: function (p) {
      var ids = p.ids || [];
      for (var i = 0; i < ids.length; i++) {
        var cb = renderCallbacks[ids[i]];
        if (!cb) continue;
        delete renderCallbacks[ids[i]];
        invoke(cb.fn, cb.self, [], 'setData.callback');
      }
      return null;
    },
    pageState: function (p) {
      var inst = pagesById[p.pageId];
      if (!inst) return null;
      return { route: inst.route, data: jsonClone(inst.data) };
    }
  };

  // Results go back serialized here, immune to a toJSON the bundle planted; the engine's trampoline passes a
  // string marked with U+0002 through as it is.
  function reply(r) {
    if (r === undefined) return undefined;
    var text = safeJSON(r);
    if (serCuts) reportCuts('reply');
    return '\u0002' + text;
  }

  function entry(op, payload) {
    nowMs = payload && typeof payload.now === 'number' ? payload.now : nowMs;
    driftMs = payload && typeof payload.drift === 'number' ? payload.drift : driftMs;
    var cmd = commands[op];
    if (!cmd) throw new E('unknown host command ' + op);
    try {
      return reply(cmd(payload || {}));
    } catch (e) {
      if (isLimitError(e)) throw e;
      reportError(e, 'framework:' + op);
      return null;
    }
  }

  // ---- replaceable globals, plugins --------------------------------------------------------------------------
  // The platforms let a bundle assign App/Page/Component/Behavior/getApp/getCurrentPages (uni-app and Taro wrap
  // Page and Component this way): the assignment is accepted and noted once; the framework keeps its own functions,
  // so a wrapper that calls the original still registers.
  var REPLACEABLE_GLOBALS = { App: 1, Page: 1, Component: 1, Behavior: 1, getApp: 1, getCurrentPages: 1 };
  function installReplaceable(name, initial) {
    var current = initial, noted = false;
    defineProperty(global, name, {
      get: function () { return current; },
      set: function (value) {
        if (!noted) {
          noted = true;
          send('note', { code: 'platform-global-replaced', message: 'the bundle replaced the global ' + name,
                         data: { name: name } }, HERE);
        }
        current = value;
      },
      enumerable: false, configurable: false
    });
  }

  // requirePlugin(name): WeChat plugins run in their own realm and are not part of the bundle. The app gets a
  // stub whose members are callable stubs; using a plugin is noted once (declared in app.json `plugins` or a
  // subpackage's, or not).
  function makeRequirePlugin(appJsonText) {
    var declared = create(null);
    var conf = null;
    try { conf = appJsonText ? parseJSON(appJsonText) : null; } catch (_) { conf = null; }
    function collect(plugins) {
      if (!plugins || typeof plugins !== 'object') return;
      var pk = keys(plugins);
      for (var i = 0; i < pk.length; i++) declared[pk[i]] = plugins[pk[i]] && plugins[pk[i]].provider || '';
    }
    if (conf && typeof conf === 'object') {
      collect(conf.plugins);
      var subs = conf.subpackages || conf.subPackages || [];
      for (var j = 0; j < subs.length && j < 1000; j++) if (subs[j]) collect(subs[j].plugins);
    }
    var stubs = create(null);
    function stub(label, depth) {
      var members = create(null);
      var fn = function () { return depth < 8 ? stub(label + '()', depth + 1) : undefined; };
      return new Proxy(fn, {
        get: function (t, prop) {
          if (typeof prop !== 'string' || prop === 'then' || prop === 'toJSON') return undefined;
          if (prop === 'toString' || prop === 'valueOf') return function () { return '[plugin ' + label + ']'; };
          if (hasOwn(members, prop)) return members[prop];
          return depth < 8 ? (members[prop] = stub(label + '.' + prop, depth + 1)) : undefined;
        },
        set: function (t, prop, value) { if (typeof prop === 'string') members[prop] = value; return true; },
        has: function (t, prop) { return typeof prop === 'string' && hasOwn(members, prop); },
        apply: function () { return depth < 8 ? stub(label + '()', depth + 1) : undefined; },
        construct: function () { return depth < 8 ? stub('new ' + label, depth + 1) : {}; }
      });
    }
    return function requirePlugin(name) {
      name = S(name);
      if (!stubs[name]) {
        var known = hasOwn(declared, name);
        send('note', { code: known ? 'plugin-used' : 'plugin-undeclared',
                       message: known ? 'the bundle uses plugin ' + name + (declared[name] ? ' (' + declared[name] + ')' : '')
                                      : 'the bundle requires plugin ' + name + ', which app.json does not declare',
                       data: { name: name, provider: known ? declared[name] : null } }, HERE);
        stubs[name] = stub(name, 0);
      }
      return stubs[name];
    };
  }

  // ---- globals a device's engine has ------------------------------------------------------------------------
  // The engines leave Atomics out (csrc/shim.c: the same globals on both; the wasm build has no threads). Devices'
  // engines have it, so a bundle could test for it to tell the sandbox apart: it comes back here, working on
  // ordinary integer typed arrays (there is no memory to share; wait cannot block, as on a page's main thread).
  function installDeviceGlobals() {
    var RangeErr = RangeError;
    function isTarget(v) { return v !== null && (typeof v === 'object' || typeof v === 'function'); }
    function put(obj, name, value) {
      defineProperty(obj, name, { value: value, writable: true, configurable: true, enumerable: false });
    }
    if (typeof global.Atomics !== 'object') {
      var TypedArray = getPrototypeOf(Int8Array);
      var taTag = getOwnPropertyDescriptor(TypedArray.prototype, RealSymbol.toStringTag).get;
      var INTS = { Int8Array: 1, Uint8Array: 1, Int16Array: 1, Uint16Array: 1, Int32Array: 1, Uint32Array: 1,
                   BigInt64Array: 1, BigUint64Array: 1 };
      var slot = function (a, i) {
        var kind = isTarget(a) ? apply(taTag, a, []) : undefined;
        if (!hasOwn(INTS, kind)) throw new RealTypeError('Atomics operations need an integer typed array');
        var n = +i;
        var idx = numIsNaN(n) ? 0 : (n < 0 ? -floor(-n) : floor(n));
        if (idx < 0 || idx >= a.length) throw new RangeErr('out-of-bound access');
        return idx;
      };
      var rmw = function (name, op) {
        return named(name, function (a, i, v) {
          var k = slot(a, i), old = a[k];
          a[k] = op(old, v);
          return old;
        });
      };
      var AT = {};
      put(AT, 'add', rmw('add', function (x, v) { return x + v; }));
      put(AT, 'sub', rmw('sub', function (x, v) { return x - v; }));
      put(AT, 'and', rmw('and', function (x, v) { return x & v; }));
      put(AT, 'or', rmw('or', function (x, v) { return x | v; }));
      put(AT, 'xor', rmw('xor', function (x, v) { return x ^ v; }));
      put(AT, 'exchange', rmw('exchange', function (x, v) { return v; }));
      put(AT, 'compareExchange', named('compareExchange', function (a, i, expected, replacement) {
        var k = slot(a, i), old = a[k];
        var probe = new a.constructor(1);
        probe[0] = expected;
        if (old === probe[0]) a[k] = replacement;
        return old;
      }));
      put(AT, 'load', named('load', function (a, i) { return a[slot(a, i)]; }));
      put(AT, 'store', named('store', function (a, i, v) { var k = slot(a, i); a[k] = v; return a[k]; }));
      put(AT, 'isLockFree', named('isLockFree', function (size) { return size === 1 || size === 2 || size === 4 || size === 8; }));
      put(AT, 'wait', named('wait', function () { throw new RealTypeError('Atomics.wait cannot be called in this context'); }));
      put(AT, 'notify', named('notify', function (a, i) { slot(a, i); return 0; }));
      defineProperty(AT, RealSymbol.toStringTag, { value: 'Atomics', configurable: true });
      put(global, 'Atomics', AT);
    }
  }

  // ---- what the bundle can read of the framework's functions --------------------------------------------------
  // A host's functions read as built-ins: Function.prototype.toString gives "function name() { [native code] }"
  // for the framework's functions (their source would name the sandbox), and the engine's non-standard fileName,
  // lineNumber and columnNumber getters (which name the framework's file; devices have none) are removed.
  function named(name, fn) { defineProperty(fn, 'name', { value: name, configurable: true }); return fn; }
  function maskFrameworkSources() {
    var FP = RealFunction.prototype;
    var fileDesc = getOwnPropertyDescriptor(FP, 'fileName');
    var fileOf = fileDesc && fileDesc.get, realToString = FP.toString;
    if (typeof fileOf !== 'function') return;
    var ours = apply(fileOf, boot, []);
    builtin(FP, 'toString', function () {
      if (typeof this === 'function' && apply(fileOf, this, []) === ours) {
        var name = this.name;
        return 'function ' + (name === undefined ? '' : S(name)) + '() {\n    [native code]\n}';
      }
      return apply(realToString, this, arguments);
    });
    var hide = ['fileName', 'lineNumber', 'columnNumber'];
    for (var i = 0; i < hide.length; i++) { try { delete FP[hide[i]]; } catch (_) {} }
  }

  // ---- boot ----------------------------------------------------------------------------------------------
  function boot(config) {
    cfg = config;
    platform = config.platform;
    host = global[config.hostName];
    delete global[config.hostName];
    epochMs = config.epochMs;
    perfOriginMs = +config.perfOriginMs || 0;
    seedRandom(config.seed | 0);
    var jm = config.jsonModules || {};
    var jk = keys(jm);
    for (var m = 0; m < jk.length; m++) {
      (function (text) {
        defs[jk[m]] = function (require, module) { module.exports = parseJSON(text); };
      })(jm[jk[m]]);
    }
    setAliases(jm['app.json']);
    readCustomTabBar(jm['app.json']);
    installDynamicCodeGuards();
    installDeviceGlobals();
    // stacks are evidence: the bundle may not reformat or shorten them
    try { defineProperty(E, 'prepareStackTrace', { value: undefined, writable: false, configurable: false }); } catch (_) {}
    try { defineProperty(E, 'stackTraceLimit', { value: 16, writable: false, configurable: false }); } catch (_) {}
    defineDate();
    M.random = random;
    // Globals the logic layer does not have, or that make runs depend on the machine: removed.
    var drop = ['WeakRef', 'FinalizationRegistry', 'performance', 'navigator', 'gc', 'os', 'std', 'print', 'scriptArgs', 'bjson'];
    for (var i = 0; i < drop.length; i++) { try { delete global[drop[i]]; } catch (_) {} }
    var perf = {};
    builtin(perf, 'now', function () { return perfNow(); });
    defineProperty(global, 'performance', { value: freeze(perf), writable: true, configurable: true });
    maskFrameworkSources();
    // `global`: the object WeChat, Douyin and Alipay modules share (writable; not the realm's global object)
    defineProperty(global, 'global', { value: {}, writable: true, configurable: true });
    if (platform === 'wx') {
      // WeChat's base library leaves its view of app.json in the logic layer as __wxConfig (build tools such as
      // Taro read pages, envVersion and the window settings from it)
      defineProperty(global, '__wxConfig', { value: wxConfig(jm['app.json']), writable: true, configurable: true });
    }
    makeFrameTimer = makeTimer(false, true);  // animation frames: the render loop's, not a step's work
    if (platform === 'wx') {
      readRenderers(jm['app.json']);
      var skyline = { applyAnimatedStyle: worklet.applyAnimatedStyle, clearAnimatedStyle: worklet.clearAnimatedStyle };
      defineMethods(pageProto, skyline);
      defineMethods(componentProto, skyline);
    }
    var consoleObj = makeConsole();
    var installs = {
      App: App, Page: Page, Component: Component, Behavior: Behavior, getApp: getApp,
      getCurrentPages: function () { return arrSlice(stack); },
      setTimeout: named('setTimeout', makeTimer(false)), setInterval: named('setInterval', makeTimer(true)),
      clearTimeout: function clearTimeout(id) { clearTimer(id); },
      clearInterval: function clearInterval(id) { clearTimer(id); },
      console: consoleObj  // not frozen: apps silence it (console.log = function () {}) as on the platforms
    };
    installs.requirePlugin = makeRequirePlugin(jm['app.json']);
    var names = keys(installs);
    for (var n = 0; n < names.length; n++) {
      if (hasOwn(REPLACEABLE_GLOBALS, names[n])) installReplaceable(names[n], installs[names[n]]);
      else defineProperty(global, names[n], { value: installs[names[n]], writable: false, enumerable: false, configurable: false });
    }
    defineProperty(global, platform, { value: makePlatformGlobal(), writable: false, enumerable: false, configurable: false });
    defineProperty(global, config.defineName, { value: function (path, factory) {
      if (typeof path === 'string' && typeof factory === 'function' && !defs[path]) defs[path] = factory;
    }, writable: false, configurable: true });
    defineProperty(global, config.rejectionName, { value: onUnhandledRejection, writable: false, configurable: true });
    return { globals: getOwnPropertyNames(global).length };
  }

  function wxConfig(appJsonText) {
    var app = {};
    try { app = parseJSON(appJsonText || '{}') || {}; } catch (_) { app = {}; }
    var pages = isArray(app.pages) ? arrSlice(app.pages) : [];
    var subs = app.subpackages || app.subPackages || [];
    for (var i = 0; isArray(subs) && i < subs.length; i++) {
      var sp = subs[i] || {};
      for (var j = 0; isArray(sp.pages) && j < sp.pages.length; j++) push(pages, S(sp.root || '').replace(/\/$/, '') + '/' + sp.pages[j]);
    }
    return {
      pages: pages, entryPagePath: app.entryPagePath || (pages[0] ? pages[0] + '.html' : ''),
      global: { window: app.window || {} }, tabBar: app.tabBar || null, subPackages: isArray(subs) ? subs : [],
      networkTimeout: app.networkTimeout || {}, debug: false, envVersion: 'release', platform: 'ios',
      appLaunchInfo: { scene: 1001, path: pages[0] || '', query: {} }, accountInfo: { appId: 'wx0000000000000000' },
      preloadRule: app.preloadRule || {}, permission: app.permission || {}, plugins: app.plugins || {}
    };
  }

  defineProperty(global, '__mpsb_boot', { value: boot, writable: false, configurable: true });
  defineProperty(global, '__mpsb_entry', { value: entry, writable: false, configurable: true });
})(globalThis);
