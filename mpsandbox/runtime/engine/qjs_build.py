"""Build QuickJS-NG + mpsandbox's shim (csrc/shim.c) for both engines, from one pinned source.

    python -m mpsandbox.runtime.engine.qjs_build        # build both engines into the cache ahead (about a minute)

The C sources are those of the ``quickjs-ng`` source distribution on PyPI at exactly ``QUICKJS_NG_VERSION``,
compiled with the ``ziglang`` toolchain from PyPI, to a shared library for this machine (the native engine, loaded
with ctypes) and to wasm32-wasi (the wasm engine). Nothing else is downloaded and no binary is committed.

``pip install`` builds both into the package (``_built/``, by setup.py through :func:`..install.build_into`), so that the first
use compiles nothing and fetches nothing. Without them (a source checkout that was never installed, a build skipped
with ``MPSANDBOX_ENGINE_BUILD=lazy``) they are built on first use into the cache (``$MPSANDBOX_CACHE`` or
``~/.cache/mpsandbox``), with progress shown. Files are keyed by the source version, the shim, the patches and the flags; each has a
sha256 sidecar, and anything stale, corrupt or unverifiable is rebuilt.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .base import EngineUnavailable

QUICKJS_NG_VERSION = "0.17.0.2"
SOURCES = ("quickjs.c", "libregexp.c", "libunicode.c", "dtoa.c")
BUILD_TIMEOUT_S = 900
HERE = Path(__file__).resolve().parent
SHIM = HERE / "csrc" / "shim.c"
# Filled by ``pip install`` (setup.py): the engines built for this machine. Absent in a plain source checkout.
BUILT_DIR = HERE / "_built"

# ---- patches of quickjs.c, on both targets -------------------------------------------------------------------------
# A quiet poll for builtins that cannot throw where they loop: it spends ``cost`` polls and, when the handler stops
# the turn, zeroes the counter so that the next poll (right after the builtin returns) throws the uncatchable error.
POLL_QUIET_AT = "static int string_indexof_char(JSString *p, int c, int from)\n{"
POLL_QUIET = """/* mpsandbox patch: a poll for loops that cannot throw */
static int mpsb_poll_quiet(JSContext *ctx, int cost)
{
    JSRuntime *rt = ctx->rt;
    /* spend the cost poll by poll as far as the handler is concerned: the count stays exact */
    while (cost >= ctx->interrupt_counter) {
        cost -= ctx->interrupt_counter;
        ctx->interrupt_counter = JS_INTERRUPT_COUNTER_INIT;
        if (rt->interrupt_handler && rt->interrupt_handler(rt, rt->interrupt_opaque)) {
            ctx->interrupt_counter = 0;
            return 1;
        }
    }
    ctx->interrupt_counter -= cost;
    return 0;
}

/* mpsandbox patch: work a builtin does between two polls (elements scanned or sorted), spent as polls */
static void mpsb_spend(JSContext *ctx, int64_t cost)
{
    /* a counter at 0 or below: the turn was stopped (or a check is due) and the next poll calls the handler; the
       handler is not called again meanwhile (each call counts a period on the host target) */
    if (ctx->interrupt_counter <= 0)
        return;
    mpsb_poll_quiet(ctx, cost > INT32_MAX ? INT32_MAX : (int)cost);
}

"""
# Bulk memory work (copies, fills, compares of big strings and buffers) is charged by the shim to the turn's budget
# (csrc/shim.c, mpsb_charge_bytes): a builtin that does seconds of it between two polls is no longer free.
MEM_CHARGE = """#include "dtoa.h"

/* mpsandbox patch: bulk memory work is charged to the turn (csrc/shim.c): copies and fills, compares */
void mpsb_charge_bytes(size_t n, int compare);
#define MPSB_CHARGE_MIN 1024
static inline void *mpsb_memcpy(void *d, const void *s, size_t n)
{
    if (n >= MPSB_CHARGE_MIN) mpsb_charge_bytes(n, 0);
    return (memcpy)(d, s, n);
}
static inline void *mpsb_memmove(void *d, const void *s, size_t n)
{
    if (n >= MPSB_CHARGE_MIN) mpsb_charge_bytes(n, 0);
    return (memmove)(d, s, n);
}
static inline void *mpsb_memset(void *d, int c, size_t n)
{
    if (n >= MPSB_CHARGE_MIN) mpsb_charge_bytes(n, 0);
    return (memset)(d, c, n);
}
static inline int mpsb_memcmp(const void *a, const void *b, size_t n)
{
    if (n >= MPSB_CHARGE_MIN) mpsb_charge_bytes(n, 1);
    return (memcmp)(a, b, n);
}
#undef memcpy
#undef memmove
#undef memset
#undef memcmp
#define memcpy(d, s, n) mpsb_memcpy(d, s, n)
#define memmove(d, s, n) mpsb_memmove(d, s, n)
#define memset(d, c, n) mpsb_memset(d, c, n)
#define memcmp(a, b, n) mpsb_memcmp(a, b, n)
"""
# The framework's fast serializer (framework.js, fastJSON) is JSON.stringify with a budget of values and characters,
# binary data and page/component instances replaced by markers, and containers at the host's depth replaced by their
# own JSON. A JS replacer called for every value cost most of a walk's serializing (one JS call per value); here C
# counts the budget and passes plain values (primitives, objects and arrays of the realm's own prototypes), and only
# the rest goes to the framework's function `special(key, value, level, binary)`.
JSON_WATCH = """/* mpsandbox patch: JSON.stringify watched by the framework's budget (__mpsb_json) */
typedef struct MpsbJsonWatch {
    JSValueConst special;
    int host_depth;
    int64_t nodes, max_nodes, chars, max_chars;
} MpsbJsonWatch;

static int mpsb_json_judge(JSContext *ctx, MpsbJsonWatch *w, JSValueConst stack, JSValueConst holder,
                           JSValue *pval, JSValueConst key)
{
    JSValue val = *pval;
    int level = (int)JS_VALUE_GET_OBJ(stack)->u.array.count; /* the open containers: the value's depth */
    if (++w->nodes > w->max_nodes)
        goto over;
    if ((w->nodes & 7) == 0)
        mpsb_spend(ctx, 1);
    if (JS_VALUE_GET_TAG(key) == JS_TAG_STRING)
        w->chars += JS_VALUE_GET_STRING(key)->len;
    switch (JS_VALUE_GET_NORM_TAG(val)) {
    case JS_TAG_STRING:
        w->chars += JS_VALUE_GET_STRING(val)->len;
        break;
    case JS_TAG_STRING_ROPE:
        w->chars += JS_VALUE_GET_STRING_ROPE(val)->len;
        break;
    case JS_TAG_OBJECT: {
        JSObject *p = JS_VALUE_GET_OBJ(val), *proto = p->shape->proto;
        if ((p->class_id == JS_CLASS_OBJECT || p->class_id == JS_CLASS_ARRAY) && level != w->host_depth &&
            (proto == JS_VALUE_GET_OBJ(ctx->class_proto[JS_CLASS_OBJECT]) ||
             proto == JS_VALUE_GET_OBJ(ctx->class_proto[JS_CLASS_ARRAY])))
            break;
        if (p->class_id != JS_CLASS_PROXY && JS_IsFunction(ctx, val))
            break;
        goto special;
    }
    case JS_TAG_SHORT_BIG_INT:
    case JS_TAG_BIG_INT:
        goto special;
    default:
        break;
    }
    if (w->chars > w->max_chars)
        goto over;
    return 0;
 special: {
        /* binary: an ArrayBuffer, a typed array or a DataView (a brand check JS could only make by catching) */
        int cl = JS_VALUE_GET_TAG(val) == JS_TAG_OBJECT ? JS_VALUE_GET_OBJ(val)->class_id : 0;
        JSValueConst args[4] = { key, val, js_int32(level),
                                 js_bool(cl >= JS_CLASS_ARRAY_BUFFER && cl <= JS_CLASS_DATAVIEW) };
        JSValue v = JS_Call(ctx, w->special, holder, 4, args);
        JS_FreeValue(ctx, val);
        *pval = v;
        return JS_IsException(v) ? -1 : 0;
    }
 over:
    JS_ThrowRangeError(ctx, "mpsandbox: serialization budget");
    return -1;
}

"""

COMMON_PATCHES: tuple[tuple[str, str], ...] = (
    # the same globals on both targets: no Atomics (wasm32-wasi has no threads, so QuickJS leaves it out there)
    ("#include \"quickjs-c-atomics.h\"\n#define CONFIG_ATOMICS\n",
     "#include \"quickjs-c-atomics.h\"\n/* mpsandbox patch: no CONFIG_ATOMICS */\n"),
    (POLL_QUIET_AT, POLL_QUIET + POLL_QUIET_AT),
    # substring search is O(n*m): poll in proportion to the work (indexOf, lastIndexOf, includes...)
    ("            if (!string_cmp(p, p1, i, 0, v_len)) {",
     "            if (mpsb_poll_quiet(ctx, 1 + v_len / 16)) break;\n"
     "            if (!string_cmp(p, p1, i, 0, v_len)) {"),
    ("static int string_indexof(JSString *p1, JSString *p2, int from)\n{",
     "static int mpsb_string_indexof(JSContext *ctx, JSString *p1, JSString *p2, int from)\n{"),
    ("    for (i = from, c = string_get(p2, 0); i + len2 <= len1; i = j + 1) {\n",
     "    for (i = from, c = string_get(p2, 0); i + len2 <= len1; i = j + 1) {\n"
     "        if (mpsb_poll_quiet(ctx, 1 + len2 / 16)) return -1;\n"),
    ("static int64_t string_advance_index(JSString *p, int64_t index, bool unicode)\n{",
     "#define string_indexof(p1, p2, from) mpsb_string_indexof(ctx, p1, p2, from)\n"
     "static int64_t string_advance_index(JSString *p, int64_t index, bool unicode)\n{"),
    # generic array algorithms on array-likes ({length: 2**53 - 1}): join, reverse, copyWithin... poll per
    # element on the slow path
    ("    val = JS_EXCEPTION;\n    present = -1;\n    prop = JS_NewAtomInt64(ctx, idx);\n",
     "    if (js_poll_interrupts(ctx)) {\n        *pval = JS_UNDEFINED;\n        return -1;\n    }\n"
     "    val = JS_EXCEPTION;\n    present = -1;\n    prop = JS_NewAtomInt64(ctx, idx);\n"),
    ("    prop = JS_NewAtomInt64(ctx, idx);\n    if (prop == JS_ATOM_NULL)\n        return JS_EXCEPTION;\n\n"
     "    val = JS_GetProperty(ctx, obj, prop);",
     "    if (js_poll_interrupts(ctx))\n        return JS_EXCEPTION;\n"
     "    prop = JS_NewAtomInt64(ctx, idx);\n    if (prop == JS_ATOM_NULL)\n        return JS_EXCEPTION;\n\n"
     "    val = JS_GetProperty(ctx, obj, prop);"),
    # the regex engine checks every 10,000 steps: through the counter too (as 500 polls), so counts stay exact
    ("    return (rt->interrupt_handler &&\n            rt->interrupt_handler(rt, rt->interrupt_opaque));\n",
     "    (void)rt;\n    return mpsb_poll_quiet(ctx, 500);\n"),
    # bulk memory work, charged (MEM_CHARGE); compares of wide strings are loops, charged as compares
    ('#include "dtoa.h"\n', MEM_CHARGE),
    ("static int js_string_memcmp(JSString *p1, JSString *p2, int len)\n{\n    int res;\n",
     "static int js_string_memcmp(JSString *p1, JSString *p2, int len)\n{\n    int res;\n"
     "    if ((p1->is_wide_char || p2->is_wide_char) && len >= MPSB_CHARGE_MIN / 2)\n"
     "        mpsb_charge_bytes((size_t)len * 2, 1);\n"),
    # element loops of the fast paths (a poll an element, as a JS loop would spend): includes, indexOf,
    # lastIndexOf, fill, and each comparison of the default sort
    ("            for (; n < count; n++) {\n                if (js_strict_eq2(ctx, argv[0], arrp[n],\n"
     "                                  JS_EQ_SAME_VALUE_ZERO)) {\n",
     "            for (; n < count; n++) {\n                if (js_poll_interrupts(ctx))\n                    goto exception;\n"
     "                if (js_strict_eq2(ctx, argv[0], arrp[n],\n                                  JS_EQ_SAME_VALUE_ZERO)) {\n"),
    ("            for (; n < count; n++) {\n                if (js_strict_eq2(ctx, argv[0], arrp[n], JS_EQ_STRICT)) {\n",
     "            for (; n < count; n++) {\n                if (js_poll_interrupts(ctx))\n                    goto exception;\n"
     "                if (js_strict_eq2(ctx, argv[0], arrp[n], JS_EQ_STRICT)) {\n"),
    ("            for (; n >= 0; n--) {\n                if (js_strict_eq2(ctx, argv[0], arrp[n],\n"
     "                                  JS_EQ_STRICT)) {\n",
     "            for (; n >= 0; n--) {\n                if (js_poll_interrupts(ctx))\n                    goto exception;\n"
     "                if (js_strict_eq2(ctx, argv[0], arrp[n],\n                                  JS_EQ_STRICT)) {\n"),
    # fill: a fast array is filled in place (set, or appended as JS_SetPropertyValue's fast path appends), a poll
    # an 8 elements; the generic path (~450 fuel an element under wasm: a memory bomb of new Array(n).fill(x) ran
    # out of CPU before memory) polls an element
    ("    while (start < end) {\n        if (JS_SetPropertyInt64(ctx, obj, start, js_dup(argv[0])) < 0)\n",
     "    if (JS_VALUE_GET_TAG(obj) == JS_TAG_OBJECT) { /* mpsandbox patch */\n"
     "        JSObject *p = JS_VALUE_GET_OBJ(obj);\n"
     "        while (start < end && p->class_id == JS_CLASS_ARRAY && p->fast_array && start <= p->u.array.count) {\n"
     "            if ((start & 7) == 0 && js_poll_interrupts(ctx))\n                goto exception;\n"
     "            if (start < p->u.array.count) {\n"
     "                set_value(ctx, &p->u.array.u.values[start], js_dup(argv[0]));\n"
     "            } else {\n"
     "                if (!p->extensible || p->shape->proto != JS_VALUE_GET_OBJ(ctx->class_proto[JS_CLASS_ARRAY]) ||\n"
     "                    !ctx->std_array_prototype)\n                    break;\n"
     "                if (add_fast_array_element(ctx, p, js_dup(argv[0]), JS_PROP_THROW) < 0)\n"
     "                    goto exception;\n"
     "            }\n            start++;\n        }\n    }\n"
     "    while (start < end) {\n        if (js_poll_interrupts(ctx))\n            goto exception;\n"
     "        if (JS_SetPropertyInt64(ctx, obj, start, js_dup(argv[0])) < 0)\n"),
    ("    if (psc->exception)\n        return 0;\n\n    if (psc->has_method) {\n",
     "    if (psc->exception)\n        return 0;\n\n    if (js_poll_interrupts(ctx))\n        goto exception;\n"
     "    if (psc->has_method) {\n"),
    # typed arrays: their loops are charged up front, an element a poll (a sort: n log n comparisons)
    ("    shift = typed_array_size_log2(p->class_id);\n    switch(shift) {\n    case 0:\n        if (k < final) {\n",
     "    shift = typed_array_size_log2(p->class_id);\n    if (shift && k < final)\n"
     "        mpsb_spend(ctx, final - k);\n    switch(shift) {\n    case 0:\n        if (k < final) {\n"),
    ("    stop = min_int(stop, len);\n\n    is_bigint = 0;\n",
     "    stop = min_int(stop, len);\n    mpsb_spend(ctx, len);\n\n    is_bigint = 0;\n"),
    # 'x'.repeat(n), padStart/padEnd with one character: one fill (charged as one), not n stores of a character
    ("    /* XXX: optimize */\n    if (s->len + count > s->size) {\n        if (string_buffer_realloc(s, s->len + count, c))\n"
     "            return -1;\n    }\n",
     "    /* XXX: optimize */\n    if (s->len + count > s->size) {\n        if (string_buffer_realloc(s, s->len + count, c))\n"
     "            return -1;\n    }\n"
     "    if (!s->is_wide_char && c < 0x100 && count > 0) { /* mpsandbox patch */\n"
     "        memset(str8(s->str) + s->len, c, count);\n        s->len += count;\n        return 0;\n    }\n"),
    # padStart/padEnd with a filler of several characters: a poll a piece (copies too short to be charged)
    ("            int chunk = min_int(n, p1->len);\n",
     "            int chunk = min_int(n, p1->len);\n            mpsb_spend(ctx, 1);\n"),
    ("            rqsort(p->u.array.u.ptr, len, elt_size, cmpfun, &tsc);\n",
     "            mpsb_spend(ctx, (int64_t)len * (32 - clz32(len | 1)));\n"
     "            rqsort(p->u.array.u.ptr, len, elt_size, cmpfun, &tsc);\n"),
    # evidence: every backtrace QuickJS builds (an Error made, a value thrown, a syntax error) is shown to the shim,
    # which records the frames as data (csrc/shim.c, mpsb_on_backtrace)
    ("static void build_backtrace(JSContext *ctx, JSValueConst error_val,\n",
     "void mpsb_on_backtrace(JSContext *ctx, JSValueConst val, const char *filename, int line, int col, int flags);\n"
     "static void build_backtrace(JSContext *ctx, JSValueConst error_val,\n"),
    ("    rt->in_build_stack_trace = true;\n    error_obj = js_dup(error_val);\n",
     "    rt->in_build_stack_trace = true;\n"
     "    mpsb_on_backtrace(ctx, error_val, filename, line_num, col_num, backtrace_flags);\n"
     "    error_obj = js_dup(error_val);\n"),
    # the same recursion limit on both targets: a count of JS calls, not only bytes of C stack (which differ)
    ("    struct JSStackFrame *current_stack_frame;\n",
     "    struct JSStackFrame *current_stack_frame;\n    int mpsb_depth, mpsb_max_depth; /* mpsandbox patch */\n"),
    ("    if (js_check_stack_overflow(rt, alloca_size))\n        return JS_ThrowStackOverflow(caller_ctx);\n",
     "    if (js_check_stack_overflow(rt, alloca_size) ||\n"
     "        (rt->mpsb_max_depth && rt->mpsb_depth >= rt->mpsb_max_depth))\n"
     "        return JS_ThrowStackOverflow(caller_ctx);\n"),
    ("            sf->prev_frame = rt->current_stack_frame;\n            rt->current_stack_frame = sf;\n"
     "            if (s->throw_flag)\n",
     "            sf->prev_frame = rt->current_stack_frame;\n            rt->current_stack_frame = sf;\n"
     "            rt->mpsb_depth++;\n            if (s->throw_flag)\n"),
    ("    sf->prev_frame = rt->current_stack_frame;\n    rt->current_stack_frame = sf;\n"
     "    ctx = b->realm; /* set the current realm */\n",
     "    sf->prev_frame = rt->current_stack_frame;\n    rt->current_stack_frame = sf;\n    rt->mpsb_depth++;\n"
     "    ctx = b->realm; /* set the current realm */\n"),
    ("    rt->current_stack_frame = sf->prev_frame;\n    return ret_val;\n}\n\nJSValue JS_Call(",
     "    rt->current_stack_frame = sf->prev_frame;\n    rt->mpsb_depth--;\n    return ret_val;\n}\n\nJSValue JS_Call("),
    # JSON.stringify watched in C (__mpsb_json): the framework's serializer budget, host depth and special values
    ("struct JSContext {\n    JSGCObjectHeader header; /* must come first */\n",
     "struct JSContext {\n    JSGCObjectHeader header; /* must come first */\n"
     "    struct MpsbJsonWatch *mpsb_json; /* mpsandbox patch: the next JS_JSONStringify is watched */\n"),
    ("typedef struct JSONStringifyContext {\n    JSValueConst replacer_func;\n",
     JSON_WATCH + "typedef struct JSONStringifyContext {\n    struct MpsbJsonWatch *mpsb;\n    JSValueConst replacer_func;\n"),
    ("    if (!JS_IsUndefined(jsc->replacer_func)) {\n        args[0] = key;\n",
     "    if (jsc->mpsb) {\n        if (mpsb_json_judge(ctx, jsc->mpsb, jsc->stack, holder, &val, key))\n"
     "            goto exception;\n    } else if (!JS_IsUndefined(jsc->replacer_func)) {\n        args[0] = key;\n"),
    ("    jsc->replacer_func = JS_UNDEFINED;\n    jsc->stack = JS_UNDEFINED;\n",
     "    jsc->mpsb = ctx->mpsb_json;\n    ctx->mpsb_json = NULL; /* a stringify nested in a special value's is not watched */\n"
     "    jsc->replacer_func = JS_UNDEFINED;\n    jsc->stack = JS_UNDEFINED;\n"),
)


# Appended to quickjs.c: what the shim needs of QuickJS's internals and quickjs.h does not offer.
QUICKJS_APPENDIX = r"""
/* ---- mpsandbox patch: accessors for csrc/shim.c ---- */
/* where the interrupt counter lives */
int *mpsb_interrupt_counter(JSContext *ctx) { return &ctx->interrupt_counter; }

/* spend polls for work done outside the interpreter (csrc/shim.c charges bulk memory work and allocations) */
void mpsb_spend_polls(JSContext *ctx, int64_t cost) { mpsb_spend(ctx, cost); }

void mpsb_set_max_depth(JSRuntime *rt, int depth) { rt->mpsb_max_depth = depth; }

/* Little stack left: a stack overflow is being thrown. The shim records nothing then (its work would need stack that
   is not there: under wasm, wasmtime's own stack runs out before QuickJS's check of the shadow stack would). */
bool mpsb_stack_low(JSContext *ctx) { return js_check_stack_overflow(ctx->rt, 32 * 1024); }

/* The first code units of a flat string as UTF-8 (at most units of them: the work is bounded too). */
static void mpsb_string_head(JSValueConst v, char *buf, size_t size, uint32_t units)
{
    JSString *p;
    buf[0] = '\0';
    if (JS_VALUE_GET_TAG(v) != JS_TAG_STRING)
        return;
    p = JS_VALUE_GET_STRING(v);
    int cut = units < p->len;
    if (!cut)
        units = p->len;
    if (p->is_wide_char)
        utf8_encode_buf16(buf, size, str16(p), units);
    else
        utf8_encode_buf8(buf, size, str8(p), units);
    if (cut) { /* a cut name says so: an ellipsis */
        size_t n = strlen(buf);
        if (n + 4 <= size)
            memcpy(buf + n, "\xe2\x80\xa6", 4);
    }
}

/* The JS frames on the stack now, innermost first, up to max: each given to emit as data read from QuickJS's frame
   structures (the file the function was compiled as, the position of its current instruction, its own "name" data
   property, like the text backtrace, but never more than name_units of it). Native frames are skipped. */
int mpsb_frames(JSContext *ctx, int max, uint32_t name_units,
                void (*emit)(void *opaque, const char *file, int line, int col, const char *name), void *opaque)
{
    JSRuntime *rt = ctx->rt;
    JSStackFrame *sf;
    char file[768], name[1536];
    int n = 0;
    for (sf = rt->current_stack_frame; sf != NULL && n < max; sf = sf->prev_frame) {
        JSObject *p;
        JSFunctionBytecode *b;
        JSProperty *pr;
        JSShapeProperty *prs;
        int line, col;
        if (JS_VALUE_GET_TAG(sf->cur_func) != JS_TAG_OBJECT)
            continue;
        p = JS_VALUE_GET_OBJ(sf->cur_func);
        if (!js_class_has_bytecode(p->class_id))
            continue;
        b = p->u.func.function_bytecode;
        line = b->line_num;
        col = b->col_num;
        if (sf->cur_pc)
            line = find_line_num(ctx, b, sf->cur_pc - b->byte_code_buf - 1, &col);
        file[0] = '\0';
        if (b->filename != JS_ATOM_NULL)
            JS_AtomGetStrRT(rt, file, sizeof file, b->filename);
        name[0] = '\0';
        prs = find_own_property(&pr, p, JS_ATOM_name);
        if (prs && (prs->flags & JS_PROP_TMASK) == JS_PROP_NORMAL)
            mpsb_string_head(pr->u.value, name, sizeof name, name_units < 512 ? name_units : 512);
        emit(opaque, file, line, col, name);
        n++;
        if (b->backtrace_barrier)
            break;
    }
    return n;
}

/* obj[atom] when it is a data property of obj or of an object on its prototype chain, read without running any
   JS (no getter, no proxy trap, no toString); JS_UNDEFINED otherwise. A property QuickJS has not made yet (an
   autoinit one, such as Error.prototype.name until first read) is made: its maker is QuickJS's own C code. */
JSValue mpsb_data_property(JSContext *ctx, JSValueConst obj, JSAtom atom)
{
    JSObject *p;
    JSProperty *pr;
    JSShapeProperty *prs;
    int depth;
    if (JS_VALUE_GET_TAG(obj) != JS_TAG_OBJECT)
        return JS_UNDEFINED;
    p = JS_VALUE_GET_OBJ(obj);
    for (depth = 0; p != NULL && depth < 64; depth++) {
        if (p->class_id == JS_CLASS_PROXY)
            return JS_UNDEFINED;
        prs = find_own_property(&pr, p, atom);
        if (prs && (prs->flags & JS_PROP_TMASK) == JS_PROP_AUTOINIT) {
            if (JS_AutoInitProperty(ctx, p, atom, pr, prs)) {
                JS_FreeValue(ctx, JS_GetException(ctx));
                return JS_UNDEFINED;
            }
            prs = find_own_property(&pr, p, atom);
        }
        if (prs)
            return (prs->flags & JS_PROP_TMASK) == JS_PROP_NORMAL ? js_dup(pr->u.value) : JS_UNDEFINED;
        p = p->shape->proto;
    }
    return JS_UNDEFINED;
}

/* Compile global code whose first line is numbered line (JS_Eval2 starts at 1 at least). */
JSValue mpsb_compile_at(JSContext *ctx, const char *src, size_t len, const char *filename, int line)
{
    return JS_EvalInternal(ctx, ctx->global_obj, src, len, filename, line,
                           JS_EVAL_TYPE_GLOBAL | JS_EVAL_FLAG_COMPILE_ONLY, -1);
}

/* A rejected promise that has gained a handler since it was rejected. */
bool mpsb_promise_is_handled(JSValueConst promise)
{
    JSPromiseData *s = JS_GetOpaque(promise, JS_CLASS_PROMISE);
    return s == NULL || s->is_handled;
}

/* The functions compiled with a script (the top level's constants): how many, and the source text of the first. */
int mpsb_script_functions(JSValueConst script, const char **source, size_t *len)
{
    JSFunctionBytecode *b;
    int i, n = 0;
    *source = NULL;
    *len = 0;
    if (JS_VALUE_GET_TAG(script) != JS_TAG_FUNCTION_BYTECODE)
        return -1;
    b = JS_VALUE_GET_PTR(script);
    for (i = 0; i < b->cpool_count; i++) {
        if (JS_VALUE_GET_TAG(b->cpool[i]) == JS_TAG_FUNCTION_BYTECODE) {
            JSFunctionBytecode *f = JS_VALUE_GET_PTR(b->cpool[i]);
            if (n++ == 0) {
                *source = f->source;
                *len = f->source ? (size_t)f->source_len : 0;
            }
        }
    }
    return n;
}
/* JSON text of value as JSON.stringify makes it (no replacer, no indent), watched: at most max_nodes values and
   max_chars characters of keys and strings (past either, a RangeError), and special(key, value, level, binary) called with
   the holder as this for what C does not pass (see JSON_WATCH); its result is serialized in the value's place. */
static JSValue js_mpsb_json(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv)
{
    MpsbJsonWatch w;
    int32_t depth;
    int64_t nodes, chars;
    if (argc < 5 || !JS_IsFunction(ctx, argv[1]) || JS_ToInt32(ctx, &depth, argv[2]) ||
        JS_ToInt64(ctx, &nodes, argv[3]) || JS_ToInt64(ctx, &chars, argv[4]))
        return JS_ThrowTypeError(ctx, "__mpsb_json(value, special, hostDepth, maxNodes, maxChars)");
    w.special = argv[1];
    w.host_depth = depth;
    w.nodes = 0;
    w.max_nodes = nodes;
    w.chars = 0;
    w.max_chars = chars;
    ctx->mpsb_json = &w;
    JSValue r = JS_JSONStringify(ctx, argv[0], JS_UNDEFINED, JS_UNDEFINED);
    ctx->mpsb_json = NULL;
    return r;
}

/* The global __mpsb_json (framework.js takes it and deletes it before any bundle code runs). */
int mpsb_define_json(JSContext *ctx)
{
    JSValue glob = JS_GetGlobalObject(ctx);
    int r = JS_SetPropertyStr(ctx, glob, "__mpsb_json", JS_NewCFunction(ctx, js_mpsb_json, "__mpsb_json", 5));
    JS_FreeValue(ctx, glob);
    return r < 0 ? -1 : 0;
}
"""

# ---- wasm only -----------------------------------------------------------------------------------------------------
# QuickJS checks its stack depth against the stack pointer, which under wasm is the shadow stack in linear memory:
# recursive C code (JSON.parse, JSON.stringify, JS calls) keeps most of its frame on wasmtime's own stack, which
# runs out first (a trap that kills the instance) unless each checked frame also reserves some shadow stack. The
# check is inlined into every recursive function that makes it, so a pad there is reserved once per level.
STACK_CHECK = """static inline bool js_check_stack_overflow(JSRuntime *rt, size_t alloca_size)
{
    uintptr_t sp;"""
STACK_CHECK_PADDED = """static char *volatile mpsb_pad_sink;
#define MPSB_PARSE_PAD(n) char mpsb_ppad[n]; mpsb_pad_sink = mpsb_ppad
static inline __attribute__((always_inline)) bool js_check_stack_overflow(JSRuntime *rt, size_t alloca_size)
{
    /* mpsandbox patch: reserve shadow stack in the calling frame, in proportion to its wasm stack use */
    char mpsb_pad[128];
    mpsb_pad_sink = mpsb_pad;
    uintptr_t sp;"""
# The parser's recursive functions make no check of their own (next_token checks the shadow stack pointer) and
# keep ~2 KB a nesting level on wasmtime's stack: pads in the functions that every level of nesting of expressions
# goes through (assignment expressions, unary and `new` chains, blocks) make deep nesting a catchable RangeError too
# (~450 levels of brackets). Statements get a small pad: else-if chains (one nesting level each) of ~3,000 still parse.
WASM_PATCHES: tuple[tuple[str, str], ...] = (
    (STACK_CHECK, STACK_CHECK_PADDED),
    *((head, head + f"    MPSB_PARSE_PAD({pad});\n") for head, pad in (
        ("static __exception int js_parse_assign_expr2(JSParseState *s, int parse_flags)\n{\n", 768),
        ("static __exception int js_parse_unary(JSParseState *s, int parse_flags)\n{\n", 512),
        # nested blocks: with bounds-checked memory (BOUNDED_LAYOUT in wasm/engine.py) wasmtime's frames are
        # larger, and braces nested ~2,700 deep ran its stack out before this check
        ("static __exception int js_parse_block(JSParseState *s)\n{\n", 256),
        ("static __exception int js_parse_statement_or_decl(JSParseState *s,\n"
         "                                                  int decl_mask)\n{\n", 96),
        ("static __exception int js_parse_postfix_expr(JSParseState *s, int parse_flags)\n{\n", 256),
    )),
)

WASM_CFLAGS = ("-target", "wasm32-wasi", "-O2", "-DNDEBUG")
WASM_LDFLAGS = ("-mexec-model=reactor", "-Wl,-z,stack-size=8388608")
NATIVE_CFLAGS = ("-O2", "-DNDEBUG", "-fPIC", "-fvisibility=hidden")
NATIVE_LDFLAGS = ("-shared", "-s")


def cache_dir() -> Path:
    root = os.environ.get("MPSANDBOX_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "mpsandbox")
    path = Path(root) / "wasm"
    path.mkdir(parents=True, exist_ok=True)
    return path


def shim_source() -> bytes:
    return SHIM.read_bytes()


def _key(target: str, flags: tuple[str, ...], patches: tuple[tuple[str, str], ...]) -> str:
    h = hashlib.sha256()
    h.update(f"quickjs-ng=={QUICKJS_NG_VERSION}|{target}".encode())
    h.update(shim_source())
    h.update(" ".join(flags + SOURCES).encode())
    h.update(repr(patches).encode())
    h.update(QUICKJS_APPENDIX.encode())
    return h.hexdigest()[:24]


def wasm_key() -> str:
    return _key("wasm32-wasi", WASM_CFLAGS + WASM_LDFLAGS, COMMON_PATCHES + WASM_PATCHES)


def native_target() -> str:
    return f"{platform.system().lower()}-{platform.machine().lower()}"


def native_key() -> str:
    return _key(native_target(), NATIVE_CFLAGS + NATIVE_LDFLAGS, COMMON_PATCHES)


def wasm_name() -> str:
    return f"quickjs-{wasm_key()}.wasm"


def native_name() -> str:
    return f"libmpsbqjs-{native_key()}.so"


def say(msg: str) -> None:
    print(f"mpsandbox: {msg}", file=sys.stderr, flush=True)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_verified(path: Path) -> bytes | None:
    side = path.with_suffix(path.suffix + ".sha256")
    try:
        data = path.read_bytes()
        expected = side.read_text().strip()
    except OSError:
        return None
    return data if sha(data) == expected else None


def write_verified(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + f".tmp{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    path.with_suffix(path.suffix + ".sha256").write_text(sha(data) + "\n")


def _zig(*args: str, cwd: Path) -> None:
    cmd = [sys.executable, "-m", "ziglang", "cc", *args]
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    if proc.returncode != 0:
        raise EngineUnavailable(f"compiling QuickJS-NG failed: {' '.join(args[-3:])}\n{proc.stderr[-2000:]}")


def sdist_path() -> Path:
    """The quickjs-ng sdist from PyPI, kept in the cache (pip's own cache makes a second download local)."""
    cached = cache_dir() / f"quickjs_ng-{QUICKJS_NG_VERSION}.tar.gz"
    if cached.exists():
        return cached
    say(f"fetching the quickjs-ng {QUICKJS_NG_VERSION} source distribution from PyPI")
    with tempfile.TemporaryDirectory(prefix="mpsandbox-sdist-") as tmp:
        found, errors = [], []
        # pip prepares the sdist's metadata: with this environment's setuptools first (inside an install's isolated
        # build that has what it needs); a plain venv's setuptools may lack bdist_wheel, so then in an isolated build
        # environment, which pip fills from the package index
        for isolation in (["--no-build-isolation"], []):
            proc = subprocess.run([sys.executable, "-m", "pip", "download", f"quickjs-ng=={QUICKJS_NG_VERSION}",
                                   "--no-binary", ":all:", "--no-deps", *isolation, "-d", tmp],
                                  capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
            found = sorted(Path(tmp).glob("quickjs_ng-*.tar.gz"))
            if proc.returncode == 0 and found:
                break
            errors.append(proc.stderr.strip()[-500:])
        else:
            raise EngineUnavailable(f"could not download the quickjs-ng {QUICKJS_NG_VERSION} sources from PyPI: "
                                    f"{errors[-1]}")
        part = cached.with_suffix(f".part{os.getpid()}")
        shutil.copy(found[0], part)
        os.replace(part, cached)
    return cached


def _unpack(work: Path) -> Path:
    """The upstream sources out of the sdist; a cached copy that does not unpack is fetched again."""
    for attempt in range(2):
        try:
            with tarfile.open(sdist_path()) as tar:
                members = [m for m in tar.getmembers() if "/upstream-quickjs/" in m.name and m.isfile()
                           and ".." not in m.name and not m.name.startswith("/")]
                tar.extractall(work / "src", members=members, filter="data")
            break
        except (tarfile.TarError, OSError, EOFError):
            if attempt:
                raise
            (cache_dir() / f"quickjs_ng-{QUICKJS_NG_VERSION}.tar.gz").unlink(missing_ok=True)
            shutil.rmtree(work / "src", ignore_errors=True)
    roots = list((work / "src").glob("*/upstream-quickjs"))
    if not roots:
        raise EngineUnavailable("the quickjs-ng source distribution has no upstream-quickjs folder")
    return roots[0]


def _patched_sources(work: Path, patches: tuple[tuple[str, str], ...]) -> Path:
    src = _unpack(work)
    text = (src / "quickjs.c").read_text(encoding="utf-8")
    for old, new in patches:
        if text.count(old) != (2 if old == COMMON_PATCHES[2][0] else 1):  # indexOf and includes share a loop
            raise EngineUnavailable(f"quickjs.c does not have the code the build patches: {old[:60]!r}")
        text = text.replace(old, new)
    (src / "quickjs.c").write_text(text + QUICKJS_APPENDIX, encoding="utf-8")
    return src


@dataclass(frozen=True)
class Target:
    name: str
    cflags: tuple[str, ...]
    ldflags: tuple[str, ...]
    patches: tuple[tuple[str, str], ...]
    out_name: str  # the file the link writes in the work folder
    file_name: str  # the built file's name (keyed)


def wasm_target() -> Target:
    return Target("wasm32-wasi", WASM_CFLAGS, WASM_LDFLAGS, COMMON_PATCHES + WASM_PATCHES, "engine.wasm", wasm_name())


def native_target_spec() -> Target:
    return Target(native_target(), NATIVE_CFLAGS, NATIVE_LDFLAGS, COMMON_PATCHES, "libengine.so", native_name())


def compile_targets(targets: list[Target], report: Callable[[str], None] = say,
                    workers: int | None = None) -> dict[str, bytes]:
    """Compile every target's C files in one pool (quickjs.c of each first: it is most of the work), then link
    each. Returns target name -> the built file's bytes."""
    started = time.monotonic()
    names = ", ".join(t.name for t in targets)
    report(f"compiling QuickJS-NG {QUICKJS_NG_VERSION} + shim for {names} (one time, about a minute)...")
    with tempfile.TemporaryDirectory(prefix="mpsandbox-qjs-") as tmp:
        jobs: list[tuple[Target, Path, Path, str, str]] = []  # target, work dir, include dir, source, object
        for t in targets:
            work = Path(tmp) / t.name
            work.mkdir()
            src = _patched_sources(work, t.patches)
            shutil.copy(SHIM, work / "shim.c")
            jobs += [(t, work, src, str(src / name), f"{name[:-2]}.o") for name in SOURCES]
            jobs.append((t, work, src, "shim.c", "shim.o"))
        jobs.sort(key=lambda job: Path(job[3]).name != "quickjs.c")
        left = {t.name: sum(1 for job in jobs if job[0] is t) for t in targets}
        done = [0]
        lock = threading.Lock()
        out: dict[str, bytes] = {}
        links: list = []

        def link(t: Target) -> None:
            work = Path(tmp) / t.name
            link_flags = t.cflags[:2] if t.cflags[0] == "-target" else ()
            _zig(*link_flags, *t.ldflags, "-o", t.out_name, *[o for tt, _, _, _, o in jobs if tt is t], cwd=work)
            out[t.name] = (work / t.out_name).read_bytes()
            report(f"{t.name} engine linked ({len(out[t.name]) // 1024} KiB, {time.monotonic() - started:.0f} s)")

        def one(job: tuple[Target, Path, Path, str, str]) -> None:
            t, work, src, source, obj = job
            _zig(*t.cflags, f"-I{src}", "-c", source, "-o", obj, cwd=work)
            with lock:
                done[0] += 1
                left[t.name] -= 1
                report(f"  [{done[0]}/{len(jobs)}] {t.name}: {Path(source).name} compiled "
                       f"({time.monotonic() - started:.0f} s)")
                if not left[t.name]:  # link while the other target still compiles: both cores stay busy
                    links.append(pool.submit(link, t))

        with ThreadPoolExecutor(max_workers=workers or max(2, min(4, os.cpu_count() or 1))) as pool:
            for future in [pool.submit(one, job) for job in jobs]:
                future.result()
            for future in links:  # complete: every compile has finished, so every link was submitted
                future.result()
    return out


def _compile(target: Target) -> bytes:
    return compile_targets([target])[target.name]


def installed(name: str) -> Path | None:
    """The file built into the package at install, when it is there and intact."""
    path = BUILT_DIR / name
    return path if read_verified(path) is not None else None


def _locked_build(name: str, build) -> Path:
    """The built file named ``name`` in the cache, built first when missing or corrupt."""
    found = installed(name)
    if found is not None:
        return found
    target = cache_dir() / name
    if read_verified(target) is not None:
        return target
    with open(cache_dir() / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel processes build once
        if read_verified(target) is None:
            try:
                import ziglang  # noqa: F401
            except ImportError as exc:
                raise EngineUnavailable("the ziglang package is not installed (pip install ziglang)") from exc
            write_verified(target, build())
    return target


def wasm_path() -> Path:
    return _locked_build(wasm_name(), lambda: _compile(wasm_target()))


def native_path() -> Path:
    return _locked_build(native_name(), lambda: _compile(native_target_spec()))


def main() -> None:
    print(f"native engine: {native_path()}")
    print(f"wasm engine: {wasm_path()}")


if __name__ == "__main__":
    main()
