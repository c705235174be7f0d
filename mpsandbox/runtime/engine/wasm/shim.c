/*
 * mpsandbox's shim around QuickJS-NG, compiled with it to wasm32-wasi (see build.py).
 *
 * The host (wasm/engine.py) drives one runtime and one context through the exports below. Strings cross in
 * linear memory as (pointer, length); results are left in a shim-owned buffer read with shim_result_ptr/len
 * (and, for errors, shim_stack_ptr/len). The bundle reaches the host only through the one imported function
 * mpsb.host_call, exposed to JS under the name the host chooses; mpsb.should_interrupt lets the host stop a
 * turn (fuel, wall clock) cleanly through QuickJS's interrupt handler.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quickjs.h"

#define IMPORT(name) __attribute__((import_module("mpsb"), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name)))

IMPORT("host_call") int32_t mpsb_host_call(const char *op, int32_t op_len, const char *msg, int32_t msg_len,
                                          char *reply, int32_t reply_cap);
IMPORT("host_take") void mpsb_host_take(char *dst);
IMPORT("should_interrupt") int32_t mpsb_should_interrupt(void);

int *mpsb_interrupt_counter(JSContext *ctx); /* appended to quickjs.c by build.py */

enum { OK = 0, EXCEPTION = 1 };
#define MAX_PINNED 16
#define MAX_REJECTIONS 4096

static JSRuntime *rt;
static JSContext *ctx;
static JSValue trampoline;

static char *result;
static size_t result_len, result_cap;
static char *stack_text;
static size_t stack_len, stack_cap;

static struct { char *name; JSValue fn; } pinned[MAX_PINNED];
static int pinned_count;

static JSValue rejection_handler;
static int has_rejection_handler;
static struct { JSValue promise, reason; } rejections[MAX_REJECTIONS];
static int rejection_count;

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

static int32_t io[8];
static void publish(void);

static void put(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (n + 1 > *cap) {
        size_t want = n + 1 > 2 * *cap ? n + 1 : 2 * *cap;
        char *p = realloc(*buf, want);
        if (!p) { *len = 0; return; }
        *buf = p;
        *cap = want;
    }
    memcpy(*buf, s, n);
    (*buf)[n] = 0;
    *len = n;
    publish();
}

static void set_result(const char *s, size_t n) { put(&result, &result_len, &result_cap, s, n); }
static void set_stack(const char *s, size_t n) { put(&stack_text, &stack_len, &stack_cap, s, n); }

/* Where the host reads results without calling in: [result ptr, result len, stack ptr, stack len, ...]. */

static void publish(void)
{
    io[0] = (int32_t)(uintptr_t)result;
    io[1] = (int32_t)result_len;
    io[2] = (int32_t)(uintptr_t)stack_text;
    io[3] = (int32_t)stack_len;
}

EXPORT("shim_io") int32_t *shim_io(void) { return io; }
EXPORT("shim_result_ptr") char *shim_result_ptr(void) { return result; }
EXPORT("shim_result_len") int32_t shim_result_len(void) { return (int32_t)result_len; }
EXPORT("shim_stack_ptr") char *shim_stack_ptr(void) { return stack_text; }
EXPORT("shim_stack_len") int32_t shim_stack_len(void) { return (int32_t)stack_len; }
EXPORT("shim_alloc") void *shim_alloc(int32_t n) { return malloc(n > 0 ? (size_t)n : 1); }
EXPORT("shim_free") void shim_free(void *p) { free(p); }

static void take_string(JSValue v)
{
    size_t n;
    const char *s = JS_ToCStringLen(ctx, &n, v);
    if (!s) {
        JS_FreeValue(ctx, JS_GetException(ctx));
        set_result("<unprintable>", 13);
        return;
    }
    set_result(s, n);
    JS_FreeCString(ctx, s);
}

/* The pending exception as "Name: message" in the result buffer and its .stack in the stack buffer. */
static int take_exception(void)
{
    JSValue exc = JS_GetException(ctx);
    take_string(exc);
    set_stack("", 0);
    if (JS_IsObject(exc)) {
        JSValue st = JS_GetPropertyStr(ctx, exc, "stack");
        if (JS_IsException(st)) {
            JS_FreeValue(ctx, JS_GetException(ctx));
        } else if (JS_IsString(st)) {
            size_t n;
            const char *s = JS_ToCStringLen(ctx, &n, st);
            if (s) { set_stack(s, n); JS_FreeCString(ctx, s); }
        }
        JS_FreeValue(ctx, st);
    }
    JS_FreeValue(ctx, exc);
    return EXCEPTION;
}

/* A completion value as JSON for the host: primitives only, anything else is null. */
static void take_value(JSValue v)
{
    if (JS_IsString(v) || JS_IsNumber(v) || JS_IsBool(v)) {
        JSValue json = JS_JSONStringify(ctx, v, JS_UNDEFINED, JS_UNDEFINED);
        if (JS_IsException(json)) {
            JS_FreeValue(ctx, JS_GetException(ctx));
            set_result("null", 4);
        } else {
            take_string(json);
            JS_FreeValue(ctx, json);
        }
    } else {
        set_result("null", 4);
    }
}

/* The allocator enforces the memory limit itself, so that it can count refusals: a bundle may catch the
   out-of-memory error (or QuickJS may be unable to build one and throw null), and the limit was met anyway. */
#include <malloc.h>
static size_t mem_used, mem_limit;
static int32_t mem_refused;

static void *sb_malloc(void *opaque, size_t n)
{
    (void)opaque;
    if (mem_limit && mem_used + n > mem_limit) { mem_refused++; return NULL; }
    void *p = malloc(n);
    if (p) mem_used += malloc_usable_size(p);
    return p;
}

static void *sb_calloc(void *opaque, size_t count, size_t size)
{
    (void)opaque;
    if (size && count > SIZE_MAX / size) return NULL;
    if (mem_limit && mem_used + count * size > mem_limit) { mem_refused++; return NULL; }
    void *p = calloc(count, size);
    if (p) mem_used += malloc_usable_size(p);
    return p;
}

static void sb_free(void *opaque, void *p)
{
    (void)opaque;
    if (!p) return;
    mem_used -= malloc_usable_size(p);
    free(p);
}

static void *sb_realloc(void *opaque, void *p, size_t n)
{
    (void)opaque;
    size_t old = p ? malloc_usable_size(p) : 0;
    if (mem_limit && n > old && mem_used + (n - old) > mem_limit) { mem_refused++; return NULL; }
    void *q = realloc(p, n);
    if (!q && n) return NULL;
    mem_used = mem_used - old + (q ? malloc_usable_size(q) : 0);
    return q;
}

static size_t sb_usable(const void *p) { return malloc_usable_size((void *)p); }

static const JSMallocFunctions sb_malloc_functions = {sb_calloc, sb_malloc, sb_free, sb_realloc, sb_usable};

EXPORT("shim_refused") int32_t shim_refused(void) { return mem_refused; }

static int interrupt_handler(JSRuntime *r, void *opaque)
{
    (void)r; (void)opaque;
    return mpsb_should_interrupt();
}

#define REPLY_CAP 16384
static char reply_buf[REPLY_CAP];

static JSValue host_function(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv)
{
    (void)this_val;
    size_t op_len = 0, msg_len = 0;
    const char *op = argc > 0 ? JS_ToCStringLen(c, &op_len, argv[0]) : NULL;
    const char *msg = argc > 1 ? JS_ToCStringLen(c, &msg_len, argv[1]) : NULL;
    if ((argc > 0 && !op) || (argc > 1 && !msg)) {
        if (op) JS_FreeCString(c, op);
        if (msg) JS_FreeCString(c, msg);
        return JS_EXCEPTION;
    }
    /* a reply that fits the reusable buffer arrives with the call; a longer one is fetched with host_take */
    int32_t n = mpsb_host_call(op ? op : "", (int32_t)op_len, msg ? msg : "", (int32_t)msg_len, reply_buf,
                               REPLY_CAP);
    if (op) JS_FreeCString(c, op);
    if (msg) JS_FreeCString(c, msg);
    if (n < 0)
        return JS_UNDEFINED;
    if (n <= REPLY_CAP)
        return JS_NewStringLen(c, reply_buf, (size_t)n);
    char *buf = malloc((size_t)n + 1);
    if (!buf)
        return JS_ThrowOutOfMemory(c);
    mpsb_host_take(buf);
    JSValue s = JS_NewStringLen(c, buf, (size_t)n);
    free(buf);
    return s;
}

static void track_rejection(JSContext *c, JSValueConst promise, JSValueConst reason, bool is_handled, void *opaque)
{
    (void)opaque;
    for (int i = 0; i < rejection_count; i++) {
        if (JS_VALUE_GET_PTR(rejections[i].promise) == JS_VALUE_GET_PTR(promise)) {
            if (is_handled) {
                JS_FreeValue(c, rejections[i].promise);
                JS_FreeValue(c, rejections[i].reason);
                memmove(&rejections[i], &rejections[i + 1], sizeof(rejections[0]) * (rejection_count - i - 1));
                rejection_count--;
            }
            return;
        }
    }
    if (!is_handled && rejection_count < MAX_REJECTIONS) {
        rejections[rejection_count].promise = JS_DupValue(c, promise);
        rejections[rejection_count].reason = JS_DupValue(c, reason);
        rejection_count++;
    }
}

EXPORT("shim_init") int32_t shim_init(int32_t memory_limit, int32_t stack_size, int32_t gc_threshold)
{
    rt = JS_NewRuntime2(&sb_malloc_functions, NULL);
    if (!rt) return -1;
    JS_UpdateStackTop(rt);
    mem_limit = (size_t)memory_limit;
    JS_SetMaxStackSize(rt, (size_t)stack_size);
    JS_SetGCThreshold(rt, (size_t)gc_threshold);
    JS_SetInterruptHandler(rt, interrupt_handler, NULL);
    JS_SetHostPromiseRejectionTracker(rt, track_rejection, NULL);
    ctx = JS_NewContext(rt);
    if (!ctx) return -2;
    trampoline = JS_Eval(ctx, TRAMPOLINE, sizeof(TRAMPOLINE) - 1, "<mpsandbox>", JS_EVAL_TYPE_GLOBAL);
    if (JS_IsException(trampoline)) return take_exception();
    return OK;
}

EXPORT("shim_version") const char *shim_version(void) { return JS_GetVersion(); }

EXPORT("shim_eval") int32_t shim_eval(const char *src, int32_t len, const char *filename)
{
    JS_UpdateStackTop(rt);
    JSValue v = JS_Eval(ctx, src, (size_t)len, filename, JS_EVAL_TYPE_GLOBAL);
    if (JS_IsException(v)) return take_exception();
    take_value(v);
    JS_FreeValue(ctx, v);
    return OK;
}

static JSValue *find_pinned(const char *name)
{
    for (int i = 0; i < pinned_count; i++)
        if (strcmp(pinned[i].name, name) == 0) return &pinned[i].fn;
    return NULL;
}

/* Take globalThis[name] out of JS reach; shim_call can still call it. Returns 1 when it is not a function. */
EXPORT("shim_pin") int32_t shim_pin(const char *name)
{
    JSValue glob = JS_GetGlobalObject(ctx);
    JSValue fn = JS_GetPropertyStr(ctx, glob, name);
    int bad = !JS_IsFunction(ctx, fn) || pinned_count >= MAX_PINNED;
    if (!bad) {
        pinned[pinned_count].name = strdup(name);
        pinned[pinned_count].fn = fn;
        pinned_count++;
        JSAtom atom = JS_NewAtom(ctx, name);
        JS_DeleteProperty(ctx, glob, atom, 0);
        JS_FreeAtom(ctx, atom);
    } else {
        JS_FreeValue(ctx, fn);
    }
    JS_FreeValue(ctx, glob);
    return bad;
}

EXPORT("shim_call") int32_t shim_call(const char *name, const char *args_json, int32_t args_len)
{
    JS_UpdateStackTop(rt);
    JSValue *pin = find_pinned(name);
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
            set_result(msg, (size_t)n);
            set_stack("", 0);
            return EXCEPTION;
        }
    }
    JSValue argv[2] = {fn, JS_NewStringLen(ctx, args_json, (size_t)args_len)};
    JSValue r = JS_Call(ctx, trampoline, JS_UNDEFINED, 2, argv);
    JS_FreeValue(ctx, argv[0]);
    JS_FreeValue(ctx, argv[1]);
    if (JS_IsException(r)) return take_exception();
    if (JS_IsString(r)) take_string(r);
    else set_result("", 0);
    JS_FreeValue(ctx, r);
    return OK;
}

EXPORT("shim_set_host_function") int32_t shim_set_host_function(const char *name)
{
    JSValue glob = JS_GetGlobalObject(ctx);
    JSValue fn = JS_NewCFunction(ctx, host_function, name, 2);
    int r = JS_SetPropertyStr(ctx, glob, name, fn);
    JS_FreeValue(ctx, glob);
    return r < 0;
}

EXPORT("shim_set_rejection_handler") int32_t shim_set_rejection_handler(const char *name)
{
    JSValue glob = JS_GetGlobalObject(ctx);
    JSValue fn = JS_GetPropertyStr(ctx, glob, name);
    if (!JS_IsFunction(ctx, fn)) {
        JS_FreeValue(ctx, fn);
        JS_FreeValue(ctx, glob);
        return 1;
    }
    if (has_rejection_handler) JS_FreeValue(ctx, rejection_handler);
    rejection_handler = fn;
    has_rejection_handler = 1;
    JSAtom atom = JS_NewAtom(ctx, name);
    JS_DeleteProperty(ctx, glob, atom, 0);
    JS_FreeAtom(ctx, atom);
    JS_FreeValue(ctx, glob);
    return OK;
}

EXPORT("shim_pending_rejections") int32_t shim_pending_rejections(void) { return rejection_count; }

/* Hand every pending rejection to the handler as (reason, promise); the first failure is reported. */
EXPORT("shim_deliver_rejections") int32_t shim_deliver_rejections(void)
{
    int status = OK;
    JS_UpdateStackTop(rt);
    while (rejection_count > 0) {
        JSValue promise = rejections[0].promise, reason = rejections[0].reason;
        memmove(&rejections[0], &rejections[1], sizeof(rejections[0]) * (rejection_count - 1));
        rejection_count--;
        if (has_rejection_handler) {
            JSValue argv[2] = {reason, promise};
            JSValue r = JS_Call(ctx, rejection_handler, JS_UNDEFINED, 2, argv);
            if (JS_IsException(r)) {
                if (status == OK) status = take_exception();
                else JS_FreeValue(ctx, JS_GetException(ctx));
            } else {
                JS_FreeValue(ctx, r);
            }
        }
        JS_FreeValue(ctx, reason);
        JS_FreeValue(ctx, promise);
    }
    return status;
}

/* Run one pending job: 0 none was pending, 1 ran, -1 it threw (error in the result buffers). */
EXPORT("shim_run_job") int32_t shim_run_job(void)
{
    JSContext *c1;
    JS_UpdateStackTop(rt);
    int r = JS_ExecutePendingJob(rt, &c1);
    if (r < 0) {
        take_exception();
        return -1;
    }
    return r;
}

/* Run up to max pending jobs inside wasm: returns how many ran; when one throws, -(ran + 1) with the error in
   the result buffers. Stops early when the interrupt handler has stopped the turn. */
EXPORT("shim_run_jobs") int32_t shim_run_jobs(int32_t max)
{
    JSContext *c1;
    int32_t n = 0;
    JS_UpdateStackTop(rt);
    while (n < max) {
        int r = JS_ExecutePendingJob(rt, &c1);
        if (r == 0) break;
        if (r < 0) {
            take_exception();
            return -(n + 1);
        }
        n++;
    }
    return n;
}

EXPORT("shim_gc") void shim_gc(void) { JS_RunGC(rt); }

/* The address of the context's interrupt counter: writing 0 there makes the next poll call the handler. */
EXPORT("shim_counter_addr") int32_t shim_counter_addr(void) { return (int32_t)(uintptr_t)mpsb_interrupt_counter(ctx); }

/* [malloc_size, memory_used_size] of JS_ComputeMemoryUsage, as int64 into out. */
EXPORT("shim_memory") void shim_memory(void)
{
    JSMemoryUsage u;
    JS_ComputeMemoryUsage(rt, &u);
    int64_t sizes[2] = {u.malloc_size, u.memory_used_size};
    memcpy(&io[4], sizes, sizeof sizes);
}
