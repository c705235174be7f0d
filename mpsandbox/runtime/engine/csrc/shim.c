/*
 * mpsandbox's shim around QuickJS-NG: the one C layer under both engines (see engine/qjs_build.py).
 *
 * Compiled with QuickJS-NG to wasm32-wasi (the wasm engine) and to a shared library for the host (the native
 * engine). All state lives in one ShimState per instance, made by shim_new. Strings cross as (pointer, length);
 * results are left in shim-owned buffers whose addresses the host reads from the state's io block. The bundle
 * reaches the host only through one host function (exposed to JS under the name the host chooses): under wasm
 * it is the imported mpsb.host_call, on the host a function pointer given to shim_new.
 *
 * CPU budgets: on the host the shim counts QuickJS interrupt polls itself and stops a turn at its poll budget, at
 * its thread's CPU-time backstop (CLOCK_THREAD_CPUTIME_ID: load on the machine does not count) or, for stalls, at a
 * much later wall deadline; under wasm the host counts fuel and answers mpsb.should_interrupt. Either way the interrupt
 * handler is this file's, and a stopped turn makes the next poll throw at once.
 *
 * Evidence: stack frames reach the host as data taken from QuickJS's frame structures (file, line, column,
 * function name; capped, control characters blanked), never as text a bundle can shape. A bridge call can carry
 * the frames of the moment it is made, or those recorded for a thrown value: an Error keeps the frames of where it
 * was made (recorded on it under a private symbol when QuickJS builds its backtrace), any other value those of the
 * throw that raised it (the last such throw is kept). The host reads records "file US line US col US name RS".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>

#include "quickjs.h"

#ifdef __wasm__
#define EXPORT(name) __attribute__((export_name(name)))
#define IMPORT(name) __attribute__((import_module("mpsb"), import_name(name)))
IMPORT("host_call") int32_t mpsb_host_call(const char *op, int32_t op_len, const char *msg, int32_t msg_len,
                                          const char *frames, int32_t frames_len, char *reply, int32_t reply_cap);
IMPORT("host_take") void mpsb_host_take(char *dst);
IMPORT("should_interrupt") int32_t mpsb_should_interrupt(void);
#else
#include <time.h>
#define EXPORT(name) __attribute__((visibility("default")))
#endif

typedef int32_t (*host_call_fn)(intptr_t opaque, const char *op, int32_t op_len, const char *msg, int32_t msg_len,
                                const char *frames, int32_t frames_len, char *reply, int32_t reply_cap);
typedef void (*host_take_fn)(intptr_t opaque, char *dst);

/* appended to quickjs.c by the build (qjs_build.QUICKJS_APPENDIX) */
int *mpsb_interrupt_counter(JSContext *ctx);
void mpsb_spend_polls(JSContext *ctx, int64_t cost);
void mpsb_set_max_depth(JSRuntime *rt, int depth);
int mpsb_frames(JSContext *ctx, int max, uint32_t name_units,
                void (*emit)(void *opaque, const char *file, int line, int col, const char *name), void *opaque);
JSValue mpsb_data_property(JSContext *ctx, JSValueConst obj, JSAtom atom);
bool mpsb_promise_is_handled(JSValueConst promise);
bool mpsb_stack_low(JSContext *ctx);
int mpsb_define_json(JSContext *ctx);
int mpsb_script_functions(JSValueConst script, const char **source, size_t *len);
JSValue mpsb_compile_at(JSContext *ctx, const char *src, size_t len, const char *filename, int line);

enum { OK = 0, EXCEPTION = 1 };
enum { STOP_NONE = 0, STOP_CPU = 1, STOP_WALL = 2 };
#define MAX_PINNED 16
#define REPLY_CAP 16384
#define COUNTER_RESET 10000
/* JS calls deep: the same on both targets, under what either's C stack allows for ordinary frames */
#define MAX_JS_DEPTH 1000
/* frames: how many a record holds, and the caps of its fields (bytes of file name, characters of function name) */
#define MAX_FRAMES 32
#define FILE_BYTES 255
#define NAME_UNITS 128
#define FRAMES_CAP (MAX_FRAMES * (FILE_BYTES + 3 * NAME_UNITS + 32))
#define TEXT_CAP 16384 /* bytes of an error's name and message the host gets */
#define BACKTRACE_SINGLE_LEVEL 2 /* build_backtrace's flags (quickjs.c) */
#define BACKTRACE_FILTER_FUNC 4

/* What the host reads without calling in, as int64: */
enum {
    IO_RESULT_PTR, IO_RESULT_LEN, IO_STACK_PTR, IO_STACK_LEN, /* the last result and error stack */
    IO_MALLOC_SIZE, IO_MEMORY_USED, /* shim_memory */
    IO_REFUSED, IO_UNITS, IO_STOPPED, /* allocations refused, polls this turn, why the turn stopped */
    IO_REJECTIONS_LOST, /* unhandled rejections that could not be tracked (no memory left for the list) */
    IO_CHARGED, /* under wasm: polls charged this turn for bulk copies and fills, which fuel does not see */
    IO_COUNT
};

typedef struct ShimState {
    int64_t io[IO_COUNT];
    JSRuntime *rt;
    JSContext *ctx;
    JSValue trampoline;
    int *counter;
    char *result, *stack_text;
    size_t result_cap, stack_cap;
    struct { char *name; JSValue fn; } pinned[MAX_PINNED];
    int pinned_count;
    JSValue rejection_handler;
    int has_rejection_handler;
    /* rejected promises in the order they were rejected; [head, count) wait for delivery */
    struct { JSValue promise, reason; } *rejections;
    int rejection_head, rejection_count, rejection_cap;
    JSAtom frames_atom, name_atom, message_atom; /* frames_atom: a private symbol, out of JS reach */
    JSValue last_thrown; /* the last value thrown that is not an Error, and the frames of that throw */
    size_t last_frames_len;
    char last_frames[FRAMES_CAP];
    char frames[FRAMES_CAP]; /* scratch for the frames of a call or a backtrace */
    size_t mem_used, mem_limit;
    /* the turn's CPU accounting (host target; under wasm the host counts fuel) */
    int64_t unit_limit, charged, host_call_cost, acc;
    int32_t period, stopped;
    double cpu_deadline, wall_deadline, cpu_s, wall_s, last_check; /* thread CPU and monotonic seconds */
    host_call_fn host_call;
    host_take_fn host_take;
    intptr_t opaque;
    char reply[REPLY_CAP];
} ShimState;

static const char TRAMPOLINE[] =
    "(function () {\n"
    "  var parse = JSON.parse, stringify = JSON.stringify, apply = Reflect.apply;\n"
    "  var slice = String.prototype.slice, code = String.prototype.charCodeAt;\n"
    "  return function (fn, argsJson) {\n"
    "    var r = apply(fn, undefined, parse(argsJson));\n"
    "    if (typeof r === 'string' && apply(code, r, [0]) === 2) return apply(slice, r, [1]);\n"
    "    return r === undefined ? undefined : stringify(r);\n"
    "  };\n"
    "})()";

static void put(ShimState *st, int which, const char *s, size_t n)
{
    char **buf = which ? &st->stack_text : &st->result;
    size_t *cap = which ? &st->stack_cap : &st->result_cap;
    if (n + 1 > *cap) {
        size_t want = n + 1 > 2 * *cap ? n + 1 : 2 * *cap;
        char *p = realloc(*buf, want);
        if (!p) { n = 0; goto publish; }
        *buf = p;
        *cap = want;
    }
    memcpy(*buf, s, n);
    (*buf)[n] = 0;
publish:
    st->io[which ? IO_STACK_PTR : IO_RESULT_PTR] = (int64_t)(uintptr_t)*buf;
    st->io[which ? IO_STACK_LEN : IO_RESULT_LEN] = (int64_t)n;
}

static void set_result(ShimState *st, const char *s, size_t n) { put(st, 0, s, n); }
static void set_stack(ShimState *st, const char *s, size_t n) { put(st, 1, s, n); }

/* ---- frames as data ---------------------------------------------------------------------------------------- */
typedef struct { char *buf; size_t len, cap; } FrameSink;

/* n bytes of s, cut back to a character boundary and at most cap */
static size_t utf8_prefix(const char *s, size_t n, size_t cap)
{
    if (n <= cap) return n;
    n = cap;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    return n;
}

static void put_field(FrameSink *k, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        k->buf[k->len++] = c < 0x20 || c == 0x7f ? ' ' : (char)c; /* separators cannot be forged */
    }
}

static void put_int(FrameSink *k, int v)
{
    char digits[12];
    int n = 0;
    unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
    do { digits[n++] = (char)('0' + u % 10); u /= 10; } while (u);
    if (v < 0) k->buf[k->len++] = '-';
    while (n) k->buf[k->len++] = digits[--n];
}

static void emit_frame(void *opaque, const char *file, int line, int col, const char *name)
{
    FrameSink *k = opaque;
    size_t fl = utf8_prefix(file, strlen(file), FILE_BYTES);
    size_t nl = utf8_prefix(name, strlen(name), 3 * NAME_UNITS + 3); /* + a cut name's ellipsis */
    if (k->len + fl + nl + 32 > k->cap) return;
    put_field(k, file, fl);
    k->buf[k->len++] = '\x1f';
    put_int(k, line);
    k->buf[k->len++] = '\x1f';
    put_int(k, col);
    k->buf[k->len++] = '\x1f';
    put_field(k, name, nl);
    k->buf[k->len++] = '\x1e';
}

static size_t frames_here(ShimState *st)
{
    FrameSink k = {st->frames, 0, FRAMES_CAP};
    mpsb_frames(st->ctx, MAX_FRAMES, NAME_UNITS, emit_frame, &k);
    return k.len;
}

static int has_recorded_frames(ShimState *st, JSValueConst v)
{
    int r = JS_GetOwnProperty(st->ctx, NULL, v, st->frames_atom);
    if (r < 0) JS_FreeValue(st->ctx, JS_GetException(st->ctx));
    return r > 0;
}

/* Called by QuickJS whenever it builds a backtrace (quickjs.c, build_backtrace): an Error being made (or raised
   by a builtin), a value thrown, a syntax error (filename, line, col: where the parser stopped). */
void mpsb_on_backtrace(JSContext *ctx, JSValueConst val, const char *filename, int line, int col, int flags)
{
    ShimState *st = JS_GetContextOpaque(ctx);
    if (!st || st->frames_atom == JS_ATOM_NULL || (flags & BACKTRACE_FILTER_FUNC)) return; /* captureStackTrace */
    if (mpsb_stack_low(ctx)) return; /* a stack overflow (a limit outcome): no frames rather than a dead instance */
    int is_error = JS_IsError(val);
    JSValue saved = JS_GetException(ctx);
    if (is_error && has_recorded_frames(st, val)) goto done; /* thrown again: it keeps the frames it was made with */
    FrameSink k = {st->frames, 0, FRAMES_CAP};
    if (filename) emit_frame(&k, filename, line, col, "");
    if (!filename || !(flags & BACKTRACE_SINGLE_LEVEL))
        mpsb_frames(ctx, MAX_FRAMES, NAME_UNITS, emit_frame, &k);
    if (is_error) {
        JSValue s = JS_NewStringLen(ctx, k.buf, k.len);
        if (!JS_IsException(s)) JS_DefinePropertyValue(ctx, val, st->frames_atom, s, 0);
    } else {
        JS_FreeValue(ctx, st->last_thrown);
        st->last_thrown = JS_DupValue(ctx, val);
        memcpy(st->last_frames, k.buf, k.len);
        st->last_frames_len = k.len;
    }
done:
    JS_FreeValue(ctx, JS_GetException(ctx)); /* an allocation that failed here is not the bundle's error */
    JS_Throw(ctx, saved);
}

/* The frames recorded for a thrown value, into the scratch buffer; returns their length. */
static size_t frames_of(ShimState *st, JSValueConst v)
{
    JSContext *ctx = st->ctx;
    if (JS_IsError(v)) {
        JSPropertyDescriptor d;
        size_t n = 0;
        int r = JS_GetOwnProperty(ctx, &d, v, st->frames_atom);
        if (r < 0) JS_FreeValue(ctx, JS_GetException(ctx));
        if (r <= 0) return 0;
        const char *s = JS_ToCStringLen(ctx, &n, d.value);
        if (s) {
            n = n < FRAMES_CAP ? n : FRAMES_CAP;
            memcpy(st->frames, s, n);
            JS_FreeCString(ctx, s);
        } else {
            JS_FreeValue(ctx, JS_GetException(ctx));
            n = 0;
        }
        JS_FreeValue(ctx, d.value);
        JS_FreeValue(ctx, d.getter);
        JS_FreeValue(ctx, d.setter);
        return n;
    }
    if (!JS_IsUndefined(st->last_thrown) && JS_IsStrictEqual(ctx, v, st->last_thrown)) {
        memcpy(st->frames, st->last_frames, st->last_frames_len);
        return st->last_frames_len;
    }
    return 0;
}

EXPORT("shim_alloc") void *shim_alloc(int32_t n) { return malloc(n > 0 ? (size_t)n : 1); }
EXPORT("shim_free") void shim_free(void *p) { free(p); }

static void take_string(ShimState *st, JSValue v)
{
    size_t n;
    const char *s = JS_ToCStringLen(st->ctx, &n, v);
    if (!s) {
        JS_FreeValue(st->ctx, JS_GetException(st->ctx));
        set_result(st, "<unprintable>", 13);
        return;
    }
    set_result(st, s, n);
    JS_FreeCString(st->ctx, s);
}

/* A string property of an object as UTF-8 (capped), read without running JS; "" when there is none. */
static size_t data_text(ShimState *st, JSValueConst obj, JSAtom atom, char *buf, size_t cap)
{
    JSValue v = mpsb_data_property(st->ctx, obj, atom);
    size_t n = 0;
    if (JS_IsString(v)) {
        const char *s = JS_ToCStringLen(st->ctx, &n, v);
        if (s) {
            n = utf8_prefix(s, n, cap);
            memcpy(buf, s, n);
            JS_FreeCString(st->ctx, s);
        } else {
            JS_FreeValue(st->ctx, JS_GetException(st->ctx));
            n = 0;
        }
    }
    JS_FreeValue(st->ctx, v);
    return n;
}

/* The pending exception as "Name: message" in the result buffer and its recorded frames in the stack buffer. No
   JS runs while the host is told: name and message are data properties or nothing (no getter, no toString). */
static int take_exception(ShimState *st)
{
    JSContext *ctx = st->ctx;
    JSValue exc = JS_GetException(ctx);
    char *text = JS_IsObject(exc) ? malloc(TEXT_CAP + TEXT_CAP / 4 + 2) : NULL;
    if (text) {
        size_t nn = data_text(st, exc, st->name_atom, text, TEXT_CAP / 4);
        size_t mn = data_text(st, exc, st->message_atom, text + nn + 2, TEXT_CAP);
        if (nn && mn) {
            text[nn] = ':';
            text[nn + 1] = ' ';
            set_result(st, text, nn + 2 + mn);
        } else if (mn) {
            set_result(st, text + nn + 2, mn);
        } else if (nn) {
            set_result(st, text, nn);
        } else {
            set_result(st, JS_IsError(exc) ? "Error" : "[object Object]", JS_IsError(exc) ? 5 : 15);
        }
        free(text);
    } else if (JS_IsObject(exc)) {
        set_result(st, "<unprintable>", 13);
    } else {
        take_string(st, exc); /* a primitive: its string runs no JS */
        if (st->io[IO_RESULT_LEN] > TEXT_CAP)
            st->io[IO_RESULT_LEN] = (int64_t)utf8_prefix(st->result, (size_t)st->io[IO_RESULT_LEN], TEXT_CAP);
    }
    set_stack(st, st->frames, frames_of(st, exc));
    JS_FreeValue(ctx, exc);
    return EXCEPTION;
}

/* A completion value as JSON for the host: primitives only, anything else is null. */
static void take_value(ShimState *st, JSValue v)
{
    if (JS_IsString(v) || JS_IsNumber(v) || JS_IsBool(v)) {
        JSValue json = JS_JSONStringify(st->ctx, v, JS_UNDEFINED, JS_UNDEFINED);
        if (JS_IsException(json)) {
            JS_FreeValue(st->ctx, JS_GetException(st->ctx));
            set_result(st, "null", 4);
        } else {
            take_string(st, json);
            JS_FreeValue(st->ctx, json);
        }
    } else {
        set_result(st, "null", 4);
    }
}

/* The allocator enforces the memory limit itself, so that it can count refusals: a bundle may catch the
   out-of-memory error (or QuickJS may be unable to build one and throw null), and the limit was met anyway. An
   allocation the system refuses (under wasm: linear memory full before the limit) is counted the same way.
   It counts the bytes QuickJS asked for, kept in a header before each block, not what malloc rounded them to:
   malloc's rounding (and realloc growing in place or moving) depends on what the process did before, and the
   count must not, so that the limit bites at the same point and the figures are the same in every run. */
#define SB_HDR 16

/* ---- work done between polls -------------------------------------------------------------------------------- */
/* The instance whose code runs on this thread now (set by every export that runs JS; see ENTER). */
#ifdef __wasm__
static ShimState *current; /* one thread */
#else
static _Thread_local ShimState *current;
#endif
static void leave(ShimState **saved) { current = *saved; }
#define ENTER(st) ShimState *entered_from __attribute__((cleanup(leave))) = current; current = (st)

/* A C builtin can work for seconds between two polls (a compare of two 64 MiB strings, a copy, a sort): its work
   is charged as polls, so that the turn's budget sees it (native: polls are the budget) and the interrupt handler
   is called in proportion to it (wasm: fuel is the budget, checked by the handler). The rates are those of wasm's
   fuel for the same work (a compare costs ~19 fuel a byte there, a copy by a loop of words ~1: a poll is 333 fuel),
   so that the two engines' budgets mean the same. Copies and fills are bulk-memory instructions under wasm, which
   fuel counts as one: they are added to the turn's fuel by the host (io[IO_CHARGED]). */
#define COMPARE_BYTES_PER_POLL_LOG2 4
#define COPY_BYTES_PER_POLL_LOG2 8
#define ALLOC_BYTES_PER_POLL_LOG2 8
#define CHARGE_MIN 1024

static void charge(ShimState *st, int64_t cost, int fuel_blind)
{
    if (!st || !st->counter || !st->ctx || cost <= 0) return;
#ifdef __wasm__
    if (fuel_blind) {
        st->charged += cost;
        st->io[IO_CHARGED] = st->charged;
    }
#else
    (void)fuel_blind;
#endif
    mpsb_spend_polls(st->ctx, cost);
}

/* quickjs.c's memcpy, memmove, memset and memcmp of CHARGE_MIN bytes or more (qjs_build.MEM_CHARGE) */
void mpsb_charge_bytes(size_t n, int compare)
{
    charge(current, (int64_t)(n >> (compare ? COMPARE_BYTES_PER_POLL_LOG2 : COPY_BYTES_PER_POLL_LOG2)), !compare);
}

/* What builtins write they allocate first (a string built char by char, an array filled): big allocations are
   charged too, as work fuel sees (the loops that fill them). */
static void charge_alloc(ShimState *st, size_t n)
{
    if (n >= CHARGE_MIN) charge(st, (int64_t)(n >> ALLOC_BYTES_PER_POLL_LOG2), 0);
}

static void *sb_malloc(void *opaque, size_t n)
{
    ShimState *st = opaque;
    if (st->mem_limit && st->mem_used + n > st->mem_limit) { st->io[IO_REFUSED]++; return NULL; }
    if (n > SIZE_MAX - SB_HDR) return NULL;
    char *b = malloc(n + SB_HDR);
    if (!b) { st->io[IO_REFUSED]++; return NULL; }
    *(size_t *)b = n;
    st->mem_used += n;
    charge_alloc(st, n);
    return b + SB_HDR;
}

static void *sb_calloc(void *opaque, size_t count, size_t size)
{
    ShimState *st = opaque;
    if (size && count > SIZE_MAX / size) return NULL;
    size_t n = count * size;
    if (st->mem_limit && st->mem_used + n > st->mem_limit) { st->io[IO_REFUSED]++; return NULL; }
    if (n > SIZE_MAX - SB_HDR) return NULL;
    char *b = calloc(1, n + SB_HDR);
    if (!b) { st->io[IO_REFUSED]++; return NULL; }
    *(size_t *)b = n;
    st->mem_used += n;
    charge_alloc(st, n);
    return b + SB_HDR;
}

static void sb_free(void *opaque, void *p)
{
    ShimState *st = opaque;
    if (!p) return;
    char *b = (char *)p - SB_HDR;
    st->mem_used -= *(size_t *)b;
    free(b);
}

static void *sb_realloc(void *opaque, void *p, size_t n)
{
    ShimState *st = opaque;
    if (!p) return sb_malloc(opaque, n);
    char *b = (char *)p - SB_HDR;
    size_t old = *(size_t *)b;
    if (n == 0) { sb_free(opaque, p); return NULL; }
    if (st->mem_limit && n > old && st->mem_used + (n - old) > st->mem_limit) { st->io[IO_REFUSED]++; return NULL; }
    if (n > SIZE_MAX - SB_HDR) return NULL;
#ifdef __wasm__
    /* Growing under wasm: a new block and one bulk copy (charged as a copy). libc's realloc copies with a loop there,
       which fuel counts at ~6 a byte: a growing array cost more CPU than a device spends, and a memory bomb ran out
       of CPU before it met the memory limit. */
    char *q = n > old ? malloc(n + SB_HDR) : realloc(b, n + SB_HDR);
    if (!q) { st->io[IO_REFUSED]++; return NULL; }
    if (n > old) {
        memcpy(q, b, old + SB_HDR);
        free(b);
        charge(st, (int64_t)(old >> COPY_BYTES_PER_POLL_LOG2), 1);
    }
#else
    char *q = realloc(b, n + SB_HDR);
    if (!q) { st->io[IO_REFUSED]++; return NULL; }
#endif
    *(size_t *)q = n;
    st->mem_used = st->mem_used - old + n;
    if (n > old) charge_alloc(st, n);
    return q + SB_HDR;
}

static size_t sb_usable(const void *p) { return p ? *(const size_t *)((const char *)p - SB_HDR) : 0; }

static const JSMallocFunctions sb_malloc_functions = {sb_calloc, sb_malloc, sb_free, sb_realloc, sb_usable};

/* ---- CPU and wall budgets ---------------------------------------------------------------------------------- */
/* QuickJS's counter counts polls down from the period the handler last set; acc holds the polls of the periods
   before. The count is exact whatever the periods, so the handler may choose them by the clock: it calls itself
   back sooner while polls are slow (a builtin doing heavy work between two polls), and never past the budget. */
static int64_t polls(ShimState *st)
{
    return st->acc + st->period - (st->counter ? *st->counter : st->period);
}

#ifndef __wasm__
static double clock_s(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}
static double now_s(void) { return clock_s(CLOCK_MONOTONIC); }
static double cpu_now_s(void) { return clock_s(CLOCK_THREAD_CPUTIME_ID); } /* the calling thread's CPU time */
#endif

static int interrupt_handler(JSRuntime *r, void *opaque)
{
    ShimState *st = opaque;
    (void)r;
#ifndef __wasm__
    st->acc += st->period; /* the counter ran down; it counts on from where QuickJS has reset it */
    st->period = *st->counter;
#endif
    if (st->stopped) return 1;
#ifdef __wasm__
    if (mpsb_should_interrupt()) st->stopped = STOP_CPU; /* the host knows which (fuel, CPU time or wall) */
#else
    int64_t used = st->acc + st->charged;
    double t = now_s();
    if (used > st->unit_limit || cpu_now_s() > st->cpu_deadline) st->stopped = STOP_CPU;
    else if (t > st->wall_deadline) st->stopped = STOP_WALL;
    if (!st->stopped) {
        int64_t p = st->period;
        double dt = t - st->last_check;
        if (dt < 2e-4) p *= 2;
        else if (dt > 1e-3) p /= 8;
        if (p > COUNTER_RESET) p = COUNTER_RESET;
        if (p > st->unit_limit + 1 - used) p = st->unit_limit + 1 - used;
        if (p < 1) p = 1;
        st->period = (int32_t)p;
        *st->counter = (int)p;
        st->last_check = t;
    }
#endif
    st->io[IO_STOPPED] = st->stopped;
    return st->stopped != STOP_NONE;
}

/* Start a turn: the poll budget and the backstops count from now (on the thread that runs it). */
EXPORT("shim_begin_turn") void shim_begin_turn(ShimState *st)
{
    st->acc = 0;
    st->charged = 0;
    st->io[IO_CHARGED] = 0;
    st->stopped = STOP_NONE;
    st->io[IO_STOPPED] = 0;
#ifndef __wasm__
    /* the first periods are short, so that slow polls are seen early */
    st->period = 1;
    if (st->counter) *st->counter = 1;
    st->last_check = now_s();
    st->wall_deadline = st->last_check + st->wall_s;
    st->cpu_deadline = cpu_now_s() + st->cpu_s;
#else
    st->period = st->counter ? *st->counter : COUNTER_RESET;
#endif
}

/* The turn's figures into io (polls plus host-call charges); at the end of a turn the backstops go. */
EXPORT("shim_turn_usage") void shim_turn_usage(ShimState *st, int32_t end)
{
    st->io[IO_UNITS] = polls(st) + st->charged;
    if (end) st->cpu_deadline = st->wall_deadline = 1e300;
}

/* ---- the bridge ------------------------------------------------------------------------------------------------ */
/* host(op, message[, where[, value]]): where 1 sends the frames of this call, 2 those recorded for value. */
static JSValue host_function(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv)
{
    ShimState *st = JS_GetContextOpaque(c);
    (void)this_val;
    size_t op_len = 0, msg_len = 0, frames_len = 0;
    int where = argc > 2 && JS_VALUE_GET_TAG(argv[2]) == JS_TAG_INT ? JS_VALUE_GET_INT(argv[2]) : 0;
    if (where == 1) frames_len = frames_here(st);
    else if (where == 2 && argc > 3) frames_len = frames_of(st, argv[3]);
    const char *op = argc > 0 ? JS_ToCStringLen(c, &op_len, argv[0]) : NULL;
    const char *msg = argc > 1 ? JS_ToCStringLen(c, &msg_len, argv[1]) : NULL;
    if ((argc > 0 && !op) || (argc > 1 && !msg)) {
        if (op) JS_FreeCString(c, op);
        if (msg) JS_FreeCString(c, msg);
        return JS_EXCEPTION;
    }
#ifdef __wasm__
    int32_t n = mpsb_host_call(op ? op : "", (int32_t)op_len, msg ? msg : "", (int32_t)msg_len, st->frames,
                               (int32_t)frames_len, st->reply, REPLY_CAP);
#else
    /* host work is charged as a fixed cost; past the budget the next poll stops the turn */
    st->charged += st->host_call_cost;
    if (st->counter && polls(st) + st->charged > st->unit_limit) *st->counter = 0;
    int32_t n = st->host_call ? st->host_call(st->opaque, op ? op : "", (int32_t)op_len, msg ? msg : "",
                                              (int32_t)msg_len, st->frames, (int32_t)frames_len, st->reply,
                                              REPLY_CAP) : -1;
#endif
    if (op) JS_FreeCString(c, op);
    if (msg) JS_FreeCString(c, msg);
    if (n < 0)
        return JS_UNDEFINED;
    if (n <= REPLY_CAP)
        return JS_NewStringLen(c, st->reply, (size_t)n);
    /* a reply longer than the reusable buffer is fetched separately */
    char *buf = malloc((size_t)n + 1);
    if (!buf)
        return JS_ThrowOutOfMemory(c);
#ifdef __wasm__
    mpsb_host_take(buf);
#else
    st->host_take(st->opaque, buf);
#endif
    JSValue s = JS_NewStringLen(c, buf, (size_t)n);
    free(buf);
    return s;
}

/* Every promise rejected without a handler is kept until the job queue is empty; one that gains a handler meanwhile
   is skipped then (QuickJS marks it). The list lives in the engine's heap, under its memory limit: there is no
   other cap, and a rejection that finds no memory left is counted (io[IO_REJECTIONS_LOST]), never dropped quietly. */
static void track_rejection(JSContext *c, JSValueConst promise, JSValueConst reason, bool is_handled, void *opaque)
{
    ShimState *st = opaque;
    if (is_handled) return;
    if (st->rejection_count == st->rejection_cap && st->rejection_head > 0) {
        st->rejection_count -= st->rejection_head;
        memmove(st->rejections, st->rejections + st->rejection_head, sizeof(st->rejections[0]) * st->rejection_count);
        st->rejection_head = 0;
    }
    if (st->rejection_count == st->rejection_cap) {
        int cap = st->rejection_cap ? 2 * st->rejection_cap : 16;
        void *p = js_realloc_rt(st->rt, st->rejections, sizeof(st->rejections[0]) * (size_t)cap);
        if (!p) { st->io[IO_REJECTIONS_LOST]++; return; }
        st->rejections = p;
        st->rejection_cap = cap;
    }
    st->rejections[st->rejection_count].promise = JS_DupValue(c, promise);
    st->rejections[st->rejection_count].reason = JS_DupValue(c, reason);
    st->rejection_count++;
}

/* ---- life cycle ------------------------------------------------------------------------------------------------ */
/* The same globals on both targets: QuickJS leaves Atomics out under wasm (no threads; the build leaves it out
   natively too), and these go on both: SharedArrayBuffer (nothing to share memory with, and no Atomics to use it),
   WeakRef and FinalizationRegistry (they expose when the collector runs, which would make runs differ). */
static const char *const REMOVED_GLOBALS[] = {"SharedArrayBuffer", "WeakRef", "FinalizationRegistry"};

static void remove_globals(JSContext *ctx)
{
    JSValue glob = JS_GetGlobalObject(ctx);
    for (size_t i = 0; i < sizeof REMOVED_GLOBALS / sizeof REMOVED_GLOBALS[0]; i++) {
        JSAtom atom = JS_NewAtom(ctx, REMOVED_GLOBALS[i]);
        JS_DeleteProperty(ctx, glob, atom, 0);
        JS_FreeAtom(ctx, atom);
    }
    JS_FreeValue(ctx, glob);
}

/* A new instance; status (0 ok, else the error is in the result buffer) goes to io[IO_STOPPED] when it fails. */
EXPORT("shim_new") ShimState *shim_new(int64_t memory_limit, int64_t stack_size, int64_t gc_threshold,
                                       int64_t unit_limit, int64_t host_call_cost, double cpu_s, double wall_s,
                                       host_call_fn host_call, host_take_fn host_take, intptr_t opaque)
{
    ShimState *st = calloc(1, sizeof *st);
    if (!st) return NULL;
    st->trampoline = JS_UNDEFINED;
    st->rejection_handler = JS_UNDEFINED;
    st->last_thrown = JS_UNDEFINED;
    st->unit_limit = unit_limit;
    st->host_call_cost = host_call_cost;
    st->cpu_s = cpu_s;
    st->wall_s = wall_s;
    st->host_call = host_call;
    st->host_take = host_take;
    st->opaque = opaque;
    st->rt = JS_NewRuntime2(&sb_malloc_functions, st);
    if (!st->rt) { free(st); return NULL; }
    JS_UpdateStackTop(st->rt);
    st->mem_limit = (size_t)memory_limit;
    JS_SetMaxStackSize(st->rt, (size_t)stack_size);
    JS_SetGCThreshold(st->rt, (size_t)gc_threshold);
    JS_SetInterruptHandler(st->rt, interrupt_handler, st);
    JS_SetHostPromiseRejectionTracker(st->rt, track_rejection, st);
    mpsb_set_max_depth(st->rt, MAX_JS_DEPTH);
    st->ctx = JS_NewContext(st->rt);
    if (!st->ctx) { JS_FreeRuntime(st->rt); free(st); return NULL; }
    JS_SetContextOpaque(st->ctx, st);
    st->counter = mpsb_interrupt_counter(st->ctx);
    JSValue sym = JS_NewPrivateSymbol(st->ctx, "frames");
    st->frames_atom = JS_IsException(sym) ? JS_ATOM_NULL : JS_ValueToAtom(st->ctx, sym);
    JS_FreeValue(st->ctx, sym);
    st->name_atom = JS_NewAtom(st->ctx, "name");
    st->message_atom = JS_NewAtom(st->ctx, "message");
    remove_globals(st->ctx);
    mpsb_define_json(st->ctx); /* __mpsb_json: taken by the framework */
    shim_begin_turn(st); /* work before the first turn counts against a turn's budget */
    st->cpu_deadline = st->wall_deadline = 1e300;
    st->trampoline = JS_Eval(st->ctx, TRAMPOLINE, sizeof(TRAMPOLINE) - 1, "https://lib/jsbridge.js",
                             JS_EVAL_TYPE_GLOBAL); /* runtime/stacks.py BRIDGE_FILE */
    if (JS_IsException(st->trampoline)) {
        st->trampoline = JS_UNDEFINED;
        take_exception(st);
        st->io[IO_STOPPED] = -1;
    }
    return st;
}

EXPORT("shim_free_state") void shim_free_state(ShimState *st)
{
    if (!st) return;
    JSContext *ctx = st->ctx;
    for (int i = st->rejection_head; i < st->rejection_count; i++) {
        JS_FreeValue(ctx, st->rejections[i].promise);
        JS_FreeValue(ctx, st->rejections[i].reason);
    }
    js_free_rt(st->rt, st->rejections);
    JS_FreeValue(ctx, st->last_thrown);
    JS_FreeAtom(ctx, st->frames_atom);
    JS_FreeAtom(ctx, st->name_atom);
    JS_FreeAtom(ctx, st->message_atom);
    for (int i = 0; i < st->pinned_count; i++) {
        JS_FreeValue(ctx, st->pinned[i].fn);
        free(st->pinned[i].name);
    }
    JS_FreeValue(ctx, st->rejection_handler);
    JS_FreeValue(ctx, st->trampoline);
    st->counter = NULL; /* nothing is charged while the context goes (charge reads its counter) */
    JS_FreeContext(ctx);
    st->ctx = NULL;
    JS_FreeRuntime(st->rt);
    free(st->result);
    free(st->stack_text);
    free(st);
}

EXPORT("shim_version") const char *shim_version(void) { return JS_GetVersion(); }

/* ---- evaluation ------------------------------------------------------------------------------------------------ */
EXPORT("shim_eval") int32_t shim_eval(ShimState *st, const char *src, int32_t len, const char *filename)
{
    ENTER(st);
    JS_UpdateStackTop(st->rt);
    JSValue v = JS_Eval(st->ctx, src, (size_t)len, filename, JS_EVAL_TYPE_GLOBAL);
    if (JS_IsException(v)) return take_exception(st);
    take_value(st, v);
    JS_FreeValue(st->ctx, v);
    return OK;
}

/* Compile trusted global code without running it: the bytecode goes to the result buffer. */
EXPORT("shim_compile") int32_t shim_compile(ShimState *st, const char *src, int32_t len, const char *filename)
{
    ENTER(st);
    JS_UpdateStackTop(st->rt);
    JSValue fn = JS_Eval(st->ctx, src, (size_t)len, filename, JS_EVAL_TYPE_GLOBAL | JS_EVAL_FLAG_COMPILE_ONLY);
    if (JS_IsException(fn)) return take_exception(st);
    size_t n = 0;
    uint8_t *code = JS_WriteObject(st->ctx, &n, fn, JS_WRITE_OBJ_BYTECODE);
    JS_FreeValue(st->ctx, fn);
    if (!code) return take_exception(st);
    set_result(st, (const char *)code, n);
    js_free(st->ctx, code);
    return OK;
}

/* Run bytecode made by shim_compile (only ever our own). */
EXPORT("shim_run_bytecode") int32_t shim_run_bytecode(ShimState *st, const uint8_t *code, int32_t len)
{
    ENTER(st);
    JS_UpdateStackTop(st->rt);
    JSValue fn = JS_ReadObject(st->ctx, code, (size_t)len, JS_READ_OBJ_BYTECODE);
    if (JS_IsException(fn)) return take_exception(st);
    JSValue v = JS_EvalFunction(st->ctx, fn);
    if (JS_IsException(v)) return take_exception(st);
    JS_FreeValue(st->ctx, v);
    set_result(st, "", 0);
    return OK;
}

static JSValue *find_pinned(ShimState *st, const char *name);

/* A module's code becomes a function of its own. src is "(function (params) {\n" + body + "\n})" with the first line
   numbered 0, so that the body's lines and columns are the file's. It is compiled and checked before anything
   runs: the one function it holds must end at the last "}" (the Function constructor of QuickJS pastes text
   together, so a body could close the function and run code of its own). Then it is handed to the pinned function
   define as define(filename, fn). */
EXPORT("shim_define_module") int32_t shim_define_module(ShimState *st, const char *src, int32_t len,
                                                       const char *filename, const char *define)
{
    ENTER(st);
    JSContext *ctx = st->ctx;
    const char *fsrc;
    size_t flen;
    JS_UpdateStackTop(st->rt);
    JSValue script = mpsb_compile_at(ctx, src, (size_t)len, filename, 0);
    if (JS_IsException(script)) return take_exception(st);
    int n = mpsb_script_functions(script, &fsrc, &flen);
    if (n != 1 || len < 2 || flen != (size_t)len - 2 || memcmp(fsrc, src + 1, flen) != 0) {
        /* where the function ended: the first function starts at src + 1 */
        size_t end = n >= 1 && fsrc && flen < (size_t)len && memcmp(fsrc, src + 1, flen) == 0 ? flen : 0;
        int line = 0, col = 1;
        for (size_t i = 0; i < end; i++) {
            if (src[i] == '\n') { line++; col = 1; } else col++;
        }
        JS_FreeValue(ctx, script);
        static const char msg[] = "SyntaxError: unexpected '}': the module's function ends before its file does";
        set_result(st, msg, sizeof msg - 1);
        FrameSink k = {st->frames, 0, FRAMES_CAP};
        emit_frame(&k, filename, line, col, "");
        set_stack(st, k.buf, k.len);
        return EXCEPTION;
    }
    JSValue fn = JS_EvalFunction(ctx, script); /* makes the closure; none of the body runs */
    if (JS_IsException(fn)) return take_exception(st);
    JSValue *def = find_pinned(st, define);
    if (!def) {
        JS_FreeValue(ctx, fn);
        set_result(st, "TypeError: no module loader", 27);
        set_stack(st, "", 0);
        return EXCEPTION;
    }
    JSValue argv[2] = {JS_NewString(ctx, filename), fn};
    JSValue r = JS_IsException(argv[0]) ? JS_EXCEPTION : JS_Call(ctx, *def, JS_UNDEFINED, 2, argv);
    JS_FreeValue(ctx, argv[0]);
    JS_FreeValue(ctx, argv[1]);
    if (JS_IsException(r)) return take_exception(st);
    JS_FreeValue(ctx, r);
    set_result(st, "", 0);
    return OK;
}

static JSValue *find_pinned(ShimState *st, const char *name)
{
    for (int i = 0; i < st->pinned_count; i++)
        if (strcmp(st->pinned[i].name, name) == 0) return &st->pinned[i].fn;
    return NULL;
}

/* Take globalThis[name] out of JS reach; shim_call can still call it. Returns 1 when it is not a function. */
EXPORT("shim_pin") int32_t shim_pin(ShimState *st, const char *name)
{
    ENTER(st);
    JSContext *ctx = st->ctx;
    JSValue glob = JS_GetGlobalObject(ctx);
    JSValue fn = JS_GetPropertyStr(ctx, glob, name);
    int bad = !JS_IsFunction(ctx, fn) || st->pinned_count >= MAX_PINNED;
    if (!bad) {
        JSValue *old = find_pinned(st, name);
        if (old) {
            JS_FreeValue(ctx, *old);
            *old = fn;
        } else {
            st->pinned[st->pinned_count].name = strdup(name);
            st->pinned[st->pinned_count].fn = fn;
            st->pinned_count++;
        }
        JSAtom atom = JS_NewAtom(ctx, name);
        JS_DeleteProperty(ctx, glob, atom, 0);
        JS_FreeAtom(ctx, atom);
    } else {
        JS_FreeValue(ctx, fn);
    }
    JS_FreeValue(ctx, glob);
    return bad;
}

EXPORT("shim_call") int32_t shim_call(ShimState *st, const char *name, const char *args_json, int32_t args_len)
{
    ENTER(st);
    JSContext *ctx = st->ctx;
    JS_UpdateStackTop(st->rt);
    JSValue *pin = find_pinned(st, name);
    JSValue fn;
    if (pin) {
        fn = JS_DupValue(ctx, *pin);
    } else {
        JSValue glob = JS_GetGlobalObject(ctx);
        fn = JS_GetPropertyStr(ctx, glob, name);
        JS_FreeValue(ctx, glob);
        if (!JS_IsFunction(ctx, fn)) {
            JS_FreeValue(ctx, fn);
            char msg[200];
            int n = snprintf(msg, sizeof msg, "TypeError: %.150s is not a function", name);
            set_result(st, msg, (size_t)n);
            set_stack(st, "", 0);
            return EXCEPTION;
        }
    }
    JSValue argv[2] = {fn, JS_NewStringLen(ctx, args_json, (size_t)args_len)};
    JSValue r = JS_Call(ctx, st->trampoline, JS_UNDEFINED, 2, argv);
    JS_FreeValue(ctx, argv[0]);
    JS_FreeValue(ctx, argv[1]);
    if (JS_IsException(r)) return take_exception(st);
    if (JS_IsString(r)) take_string(st, r);
    else set_result(st, "", 0);
    JS_FreeValue(ctx, r);
    return OK;
}

EXPORT("shim_set_host_function") int32_t shim_set_host_function(ShimState *st, const char *name)
{
    ENTER(st);
    JSValue glob = JS_GetGlobalObject(st->ctx);
    JSValue fn = JS_NewCFunction(st->ctx, host_function, name, 2);
    int r = JS_SetPropertyStr(st->ctx, glob, name, fn);
    JS_FreeValue(st->ctx, glob);
    return r < 0;
}

EXPORT("shim_set_rejection_handler") int32_t shim_set_rejection_handler(ShimState *st, const char *name)
{
    ENTER(st);
    JSContext *ctx = st->ctx;
    JSValue glob = JS_GetGlobalObject(ctx);
    JSValue fn = JS_GetPropertyStr(ctx, glob, name);
    if (!JS_IsFunction(ctx, fn)) {
        JS_FreeValue(ctx, fn);
        JS_FreeValue(ctx, glob);
        return 1;
    }
    JS_FreeValue(ctx, st->rejection_handler);
    st->rejection_handler = fn;
    st->has_rejection_handler = 1;
    JSAtom atom = JS_NewAtom(ctx, name);
    JS_DeleteProperty(ctx, glob, atom, 0);
    JS_FreeAtom(ctx, atom);
    JS_FreeValue(ctx, glob);
    return OK;
}

EXPORT("shim_pending_rejections") int32_t shim_pending_rejections(ShimState *st)
{
    return st->rejection_count - st->rejection_head;
}

/* Hand every pending rejection to the handler as (reason, promise), in order; the first failure is reported. A
   stopped turn leaves the rest (and the one it interrupted) for the next. */
EXPORT("shim_deliver_rejections") int32_t shim_deliver_rejections(ShimState *st)
{
    ENTER(st);
    JSContext *ctx = st->ctx;
    int status = OK;
    JS_UpdateStackTop(st->rt);
    while (st->rejection_head < st->rejection_count && !st->stopped) {
        /* the entry stays first in line while the handler runs (a rejection it causes may move the list) */
        JSValue promise = st->rejections[st->rejection_head].promise;
        if (st->has_rejection_handler && !mpsb_promise_is_handled(promise)) {
            JSValue argv[2] = {st->rejections[st->rejection_head].reason, promise};
            JSValue r = JS_Call(ctx, st->rejection_handler, JS_UNDEFINED, 2, argv);
            if (JS_IsException(r)) {
                if (status == OK) status = take_exception(st);
                else JS_FreeValue(ctx, JS_GetException(ctx));
                if (st->stopped) break; /* the turn ended before it was reported: next turn, again */
            } else {
                JS_FreeValue(ctx, r);
            }
        }
        JS_FreeValue(ctx, st->rejections[st->rejection_head].reason);
        JS_FreeValue(ctx, st->rejections[st->rejection_head].promise);
        st->rejection_head++;
    }
    if (st->rejection_head == st->rejection_count) st->rejection_head = st->rejection_count = 0;
    return status;
}

/* Run up to max pending jobs: returns how many ran; when one throws, -(ran + 1) with the error in the result
   buffers. Stops early when the interrupt handler has stopped the turn. */
EXPORT("shim_run_jobs") int32_t shim_run_jobs(ShimState *st, int32_t max)
{
    ENTER(st);
    JSContext *c1;
    int32_t n = 0;
    JS_UpdateStackTop(st->rt);
    while (n < max) {
        int r = JS_ExecutePendingJob(st->rt, &c1);
        if (r == 0) break;
        if (r < 0) {
            take_exception(st);
            return -(n + 1);
        }
        n++;
        if (st->stopped) break;
    }
    return n;
}

EXPORT("shim_gc") void shim_gc(ShimState *st)
{
    ENTER(st);
    JS_RunGC(st->rt);
}

/* The address of the context's interrupt counter: writing 0 there makes the next poll call the handler. */
EXPORT("shim_counter_addr") int *shim_counter_addr(ShimState *st) { return st->counter; }

/* io[IO_MALLOC_SIZE] = bytes allocated (what the limit counts, kept by the allocator: no heap walk);
   io[IO_MEMORY_USED] = QuickJS's structural estimate (a heap walk; deterministic). */
EXPORT("shim_memory") void shim_memory(ShimState *st, int32_t estimate)
{
    st->io[IO_MALLOC_SIZE] = (int64_t)st->mem_used;
    if (estimate) {
        JSMemoryUsage u;
        JS_ComputeMemoryUsage(st->rt, &u);
        st->io[IO_MEMORY_USED] = u.memory_used_size;
    }
}
