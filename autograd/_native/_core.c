/* valuegrad's C engine: the same Value as autograd/value.py, as a C extension type.
 *
 * The pattern of CPython's heapq/_heapq: autograd/value.py is the readable reference, this file
 * the fast path imported over it (autograd/_native/__init__.py does the swap). The operators are
 * not written here: _ops.h is generated from autograd/rules.py by tools/codegen/c_ops.py.
 *
 * What makes it fast, each measured in the prototype of issue 13:
 *   - A node is NOT tracked by the cycle collector while it cannot be part of a cycle (only
 *     parents, floats and a str label), like CPython's tuples and dicts holding atomic values.
 *     It becomes tracked the moment it can: a Value assigned as grad_value, a custom _backward
 *     closure, a non-str label, a subclass instance, or a tracked parent (see vg_close_over).
 *   - Nodes live in slabs; the allocator hands out the lowest free slot, so a graph lies in
 *     memory in creation order and backward/free walk memory forwards.
 *   - Walks mark nodes with an epoch counter instead of filling a Python set.
 *   - Backward and the walks are loops; freeing a deep chain defers each parent's release to a
 *     loop at the outermost dealloc (no C recursion: a 10**7-op chain frees in constant stack).
 *
 * Thread safety: every global below is only touched while holding the GIL (single-phase module,
 * one interpreter). Free-threaded builds (Py_GIL_DISABLED) refuse to import this module, and
 * valuegrad falls back to the pure engine with a message.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#if !defined(_WIN32)
#include <sys/mman.h>
#define VG_USE_MMAP 1
#ifdef MAP_POPULATE
/* A fresh slab's pages are faulted in by the kernel in one go, not one page fault per 42 nodes. */
#define VG_MAP_POPULATE MAP_POPULATE
#else
#define VG_MAP_POPULATE 0
#endif
#endif

/* ------------------------------------------------------------------------------------------ */
/* The node                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* flags */
#define F_EXT 0x01     /* p1 points to an Ext, the second parent lives in ext->p1 */
#define F_NARY 0x02    /* parents (any number) live in ext->parents */
#define F_CUSTOM 0x04  /* made by Value(data, children, op): no rule, no stored local derivatives */
#define F_TRACKED 0x08 /* tracked by the cycle collector (mirrors PyObject_GC_IsTracked) */
#define F_CLOSED 0x10  /* tracked, and so is every ancestor that could be on a cycle */

#define VG_OP_CUSTOM 255 /* op name in ext->opname */
#define VG_OP_POWC 254   /* x ** c for a number c: the exponent in l1, the name made from it */

/* Field order matters. A slot is 96 bytes (the 16-byte GC header, then this), so of every two
 * slots one starts on a cache line and one mid-line. The fields backward reads and writes for a
 * node and its parents (the parents, the mark, grad) come right after the object header, so they
 * share one line in either kind of slot and the walk and the parents' updates touch one line per
 * node; the local derivatives follow, and what backward never reads (data, weakreflist) goes last. */
typedef struct {
    PyObject_HEAD
    PyObject *p0;          /* first parent (a node) or NULL */
    void *p1;              /* second parent, or the Ext when F_EXT */
    uint32_t mark;         /* the walk's epoch once a walk has visited it (see vg_next_epoch) */
    uint8_t op;
    uint8_t flags;
    uint16_t slab;         /* slab index + 1, or 0 when allocated by Python (subclasses, overflow) */
    double grad;
    double l0, l1;         /* local derivatives of p0 and p1 */
    double data;
    PyObject *weakreflist;
    PyObject *dict;        /* users' own attributes (__dict__), created on first use; NULL until then */
} Node;                     /* 88 bytes + 16 of GC header: 104 bytes per node */

/* What few nodes need: kept out of the node so every node stays small. */
typedef struct {
    PyObject *p1;          /* the second parent */
    PyObject *label;       /* NULL means '' */
    PyObject *grad_value;  /* Value or NULL */
    PyObject *backward;    /* a custom _backward callable or NULL */
    PyObject *opname;      /* str when op == VG_OP_CUSTOM */
    Py_ssize_t n;          /* F_NARY: number of parents */
    Py_ssize_t nlocals;    /* F_NARY: number of stored local derivatives (0 for custom nodes) */
    PyObject **parents;
    double *locals;
    PyObject *parents_tuple; /* F_NARY: the .parents tuple once asked for (O(1) per access after) */
} Ext;

static PyTypeObject *NodeType = NULL;

#define IS_NODE(o) PyObject_TypeCheck((o), NodeType)
#define EXT(n) ((Ext *)(n)->p1)
#define P1(n) (((n)->flags & F_EXT) ? EXT(n)->p1 : (PyObject *)(n)->p1)

/* Hooks and shared objects from Python (set by _configure). */
static PyObject *vg_grad_enabled_var = NULL; /* ContextVar[bool] */
static PyObject *vg_float_helpers = NULL;    /* autograd.rules.FLOAT_HELPERS */
static PyObject *vg_real_abc = NULL;         /* numbers.Real */
/* The only calls back into Python, each because what it runs is Python by nature:
 *   apply: ops made at run time by define_op, whose formulas are Python callables;
 *   custom_locals: a custom node's derivatives from the rule its _op names (Python formulas);
 *   pure_value: on a constructor error only, the pure constructor words it (one wording for both).
 * backward(create_graph=True) and a closure's measured local_grads are methods of the shared base
 * class (autograd/base.py), and errors come from autograd/errors.py. */
static PyObject *vg_hook_apply = NULL;         /* the Python apply, for what C does not handle */
static PyObject *vg_hook_custom_locals = NULL;    /* (op, datas, data) -> tuple of floats or () */
static PyObject *vg_pure_value = NULL;            /* the pure engine's Value: its constructor words our errors */
static PyObject *vg_errors = NULL;                /* autograd.errors */
static PyObject *vg_op_strings[256];
static PyObject *vg_op_index = NULL;         /* dict: op name -> index */
static PyObject *vg_empty_str = NULL;

/* ------------------------------------------------------------------------------------------ */
/* Slab allocator: the lowest free slot first                                                    */
/* ------------------------------------------------------------------------------------------ */

/* The cycle collector's header before each object (PyGC_Head is internal since 3.11): two words
 * in every CPython from 3.8 to 3.14; PyInit__core checks it against sys.getsizeof and refuses to
 * load (so the pure engine is used) if a CPython ever differs. */
#define VG_GC_HEAD (2 * sizeof(uintptr_t))
#define SLOT_SIZE (VG_GC_HEAD + sizeof(Node))
#define SLAB_SLOTS 4096
#define SLAB_WORDS (SLAB_SLOTS / 64)
#define SLAB_BYTES (SLOT_SIZE * SLAB_SLOTS)
#define MAX_SLABS 65535
/* Policy for returning memory: a slab whose nodes are all freed is kept for reuse while fewer
 * than VG_KEEP_EMPTY slabs (12 MB) are empty, and unmapped otherwise; release_memory() unmaps
 * every empty slab now. So after a huge graph is dropped at most 12 MB stay reserved. */
#define VG_KEEP_EMPTY 32
#define VG_TRACE_DOMAIN 0x76670000u

/* Under AddressSanitizer (python3 dev.py sanitize) a free slot is poisoned, so reading a freed slab
 * node is reported as a use-after-free, as it would be for memory from malloc. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define VG_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define VG_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define VG_POISON(p, n) ((void)0)
#define VG_UNPOISON(p, n) ((void)0)
#endif

typedef struct {
    char *mem;
    uint64_t free[SLAB_WORDS]; /* 1 bits are free slots */
    int nfree;
    int hint;                  /* no free slot in words below this one */
} Slab;

static Slab **vg_slabs = NULL;
static Py_ssize_t vg_nslabs = 0;   /* used length of vg_slabs (may hold NULL holes) */
static Py_ssize_t vg_capslabs = 0;
static Py_ssize_t vg_cursor = 0;   /* no slab below this index has a free slot */
static Py_ssize_t vg_empty = 0;    /* slabs with every slot free */
static Py_ssize_t vg_live_slabs = 0;
static long long vg_live_nodes = 0;

static char *
slab_map(void)
{
#ifdef VG_USE_MMAP
    void *mem = mmap(NULL, SLAB_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | VG_MAP_POPULATE, -1, 0);
    if (mem == MAP_FAILED)
        return NULL;
    /* Anonymous maps are invisible to tracemalloc: declare them, so bytes-per-node figures are honest. */
    PyTraceMalloc_Track(VG_TRACE_DOMAIN, (uintptr_t)mem, SLAB_BYTES);
    return (char *)mem;
#else
    return (char *)PyMem_RawMalloc(SLAB_BYTES);
#endif
}

static void
slab_unmap(char *mem)
{
#ifdef VG_USE_MMAP
    PyTraceMalloc_Untrack(VG_TRACE_DOMAIN, (uintptr_t)mem);
    munmap(mem, SLAB_BYTES);
#else
    PyMem_RawFree(mem);
#endif
}

static Py_ssize_t
slab_create(void)
{
    Py_ssize_t index = 0;
    while (index < vg_nslabs && vg_slabs[index] != NULL)
        index++;
    if (index >= MAX_SLABS)
        return -1;
    if (index == vg_nslabs) {
        if (vg_nslabs == vg_capslabs) {
            Py_ssize_t cap = vg_capslabs ? vg_capslabs * 2 : 64;
            Slab **grown = (Slab **)PyMem_RawRealloc(vg_slabs, (size_t)cap * sizeof(Slab *));
            if (grown == NULL)
                return -1;
            vg_slabs = grown;
            vg_capslabs = cap;
        }
        vg_slabs[vg_nslabs++] = NULL;
    }
    Slab *slab = (Slab *)PyMem_RawMalloc(sizeof(Slab));
    if (slab == NULL)
        return -1;
    slab->mem = slab_map();
    if (slab->mem == NULL) {
        PyMem_RawFree(slab);
        return -1;
    }
    memset(slab->free, 0xff, sizeof(slab->free));
    slab->nfree = SLAB_SLOTS;
    slab->hint = 0;
    VG_POISON(slab->mem, SLAB_BYTES);
    vg_slabs[index] = slab;
    vg_live_slabs++;
    vg_empty++;
    return index;
}

static void
slab_release(Py_ssize_t index)
{
    Slab *slab = vg_slabs[index];
    VG_UNPOISON(slab->mem, SLAB_BYTES); /* the next map at this address may be anyone's */
    slab_unmap(slab->mem);
    PyMem_RawFree(slab);
    vg_slabs[index] = NULL;
    vg_live_slabs--;
    vg_empty--;
    while (vg_nslabs > 0 && vg_slabs[vg_nslabs - 1] == NULL)
        vg_nslabs--;
}

/* A node-sized block (with its GC header) from the lowest slab with a free slot, or NULL when
 * slabs are exhausted. The slot is not cleared: vg_new writes every field. */
static Node *
slab_alloc_slow(void)
{
    Py_ssize_t s = vg_cursor;
    while (s < vg_nslabs && (vg_slabs[s] == NULL || vg_slabs[s]->nfree == 0))
        s++;
    if (s >= vg_nslabs) {
        s = slab_create();
        if (s < 0)
            return NULL;
    }
    vg_cursor = s;
    Slab *slab = vg_slabs[s];
    int w = slab->hint;
    while (slab->free[w] == 0)
        w++;
    slab->hint = w;
    int bit = __builtin_ctzll(slab->free[w]);
    slab->free[w] &= ~((uint64_t)1 << bit);
    if (slab->nfree-- == SLAB_SLOTS)
        vg_empty--;
    Node *node = (Node *)(slab->mem + (size_t)(w * 64 + bit) * SLOT_SIZE + VG_GC_HEAD);
    VG_UNPOISON((char *)node - VG_GC_HEAD, SLOT_SIZE);
    node->slab = (uint16_t)(s + 1);
    vg_live_nodes++;
    return node;
}

/* The common case inline: the cursor's slab has a free slot in its hint word (a graph being built
 * takes slot after slot of one word), so a node costs a few loads, a bit clear and no call. */
static inline Node *
slab_alloc(void)
{
    if (vg_cursor < vg_nslabs) {
        Slab *slab = vg_slabs[vg_cursor];
        if (slab != NULL && slab->nfree != 0 && slab->nfree != SLAB_SLOTS) {
            uint64_t word = slab->free[slab->hint];
            if (word != 0) {
                int bit = __builtin_ctzll(word);
                slab->free[slab->hint] = word & (word - 1);
                slab->nfree--;
                size_t index = (size_t)(slab->hint * 64 + bit);
                Node *node = (Node *)(slab->mem + index * SLOT_SIZE + VG_GC_HEAD);
                VG_UNPOISON((char *)node - VG_GC_HEAD, SLOT_SIZE);
                /* The next nodes usually take the next slots: start fetching those lines for writing
                 * now (a freed graph's memory is out in the last-level cache). */
                if (index + 4 < SLAB_SLOTS)
                    __builtin_prefetch(slab->mem + (index + 4) * SLOT_SIZE + VG_GC_HEAD, 1);
                node->slab = (uint16_t)(vg_cursor + 1);
                vg_live_nodes++;
                return node;
            }
        }
    }
    return slab_alloc_slow();
}

static inline void
slab_free(Node *node)
{
    Py_ssize_t s = node->slab - 1;
    Slab *slab = vg_slabs[s];
    size_t i = (size_t)((char *)node - VG_GC_HEAD - slab->mem) / SLOT_SIZE;
    VG_POISON((char *)node - VG_GC_HEAD, SLOT_SIZE);
    int w = (int)(i / 64);
    slab->free[w] |= (uint64_t)1 << (i % 64);
    if (w < slab->hint)
        slab->hint = w;
    if (s < vg_cursor)
        vg_cursor = s;
    vg_live_nodes--;
    if (++slab->nfree == SLAB_SLOTS) {
        vg_empty++;
        if (vg_empty > VG_KEEP_EMPTY)
            slab_release(s);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Deferred release: freeing a deep chain without C recursion                                   */
/* ------------------------------------------------------------------------------------------ */

static PyObject **vg_pending = NULL;
static Py_ssize_t vg_npending = 0, vg_cappending = 0;
static int vg_draining = 0;

/* Drop a reference that may free a node: when it would, queue it for the outermost dealloc. */
static inline void
vg_release(PyObject *o)
{
    if (o == NULL)
        return;
    if (Py_REFCNT(o) > 1 || !IS_NODE(o)) {
        Py_DECREF(o);
        return;
    }
    if (vg_npending == vg_cappending) {
        Py_ssize_t cap = vg_cappending ? vg_cappending * 2 : 1024;
        PyObject **grown = (PyObject **)PyMem_RawRealloc(vg_pending, (size_t)cap * sizeof(PyObject *));
        if (grown == NULL) {
            Py_DECREF(o); /* out of memory: recurse rather than leak */
            return;
        }
        vg_pending = grown;
        vg_cappending = cap;
    }
    vg_pending[vg_npending++] = o;
}

static inline void slab_free(Node *node);

static void
vg_drain(void)
{
    if (vg_draining)
        return;
    vg_draining = 1;
    while (vg_npending > 0) {
        PyObject *o = vg_pending[--vg_npending];
        if (vg_npending > 0) /* freeing is memory-bound: fetch the next node while this one is freed */
            __builtin_prefetch(vg_pending[vg_npending - 1], 1);
        Node *node = (Node *)o;
        /* Most nodes hold nothing but their parents: free those here, without the call through
         * tp_dealloc (whose work for them is exactly this). The queue held the last reference. */
        if (Py_REFCNT(o) == 1 && Py_IS_TYPE(o, NodeType) && node->slab != 0 && !(node->flags & (F_EXT | F_TRACKED)) &&
            node->weakreflist == NULL) {
            PyObject *p0 = node->p0, *p1 = (PyObject *)node->p1;
            Py_SET_REFCNT(o, 0);
            slab_free(node);
            Py_DECREF(NodeType);
            vg_release(p1);
            vg_release(p0);
            continue;
        }
        Py_DECREF(o);
    }
    vg_draining = 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Formula helpers: the C side of autograd/rules.py's FLOAT_HELPERS                              */
/* ------------------------------------------------------------------------------------------ */

/* Set when a helper raised; the generated rule then returns -1 with the Python error set. */
static int vg_failed = 0;

static int
vg_fail(void)
{
    vg_failed = 0;
    return -1;
}

/* The error path: call the Python helper of the same name, so the exception and its message are
 * exactly the pure engine's. Returns its result if it does not raise. */
static double
vg_delegate(const char *name, int nargs, double a, double b, double c)
{
    if (vg_failed)
        return Py_NAN;
    PyObject *fn = vg_float_helpers ? PyDict_GetItemString(vg_float_helpers, name) : NULL;
    if (fn == NULL) {
        PyErr_Format(PyExc_RuntimeError, "valuegrad native: no Python helper %s", name);
        vg_failed = 1;
        return Py_NAN;
    }
    PyObject *result = NULL;
    Py_INCREF(fn); /* borrowed from a dict that the helper's own code could change */
    if (nargs == 1)
        result = PyObject_CallFunction(fn, "d", a);
    else if (nargs == 2)
        result = PyObject_CallFunction(fn, "dd", a, b);
    else
        result = PyObject_CallFunction(fn, "ddd", a, b, c);
    Py_DECREF(fn);
    if (result == NULL) {
        vg_failed = 1;
        return Py_NAN;
    }
    double value = PyFloat_AsDouble(result);
    Py_DECREF(result);
    if (value == -1.0 && PyErr_Occurred()) {
        vg_failed = 1;
        return Py_NAN;
    }
    return value;
}

/* Python's float a / b (ZeroDivisionError where C would give inf). */
static double
vg_truediv(double a, double b)
{
    if (b == 0.0) {
        if (vg_failed)
            return Py_NAN;
        PyObject *x = PyFloat_FromDouble(a), *y = PyFloat_FromDouble(b);
        PyObject *r = (x && y) ? PyNumber_TrueDivide(x, y) : NULL;
        Py_XDECREF(x);
        Py_XDECREF(y);
        double value = r ? PyFloat_AsDouble(r) : Py_NAN;
        Py_XDECREF(r);
        if (PyErr_Occurred())
            vg_failed = 1;
        return value;
    }
    return a / b;
}

static int
vg_is_integer(double x)
{
    return Py_IS_FINITE(x) && floor(x) == x;
}

static double
vg_h_div(double a, double b)
{
    return (b == 0.0 || !Py_IS_FINITE(a) || !Py_IS_FINITE(b)) ? vg_delegate("div", 2, a, b, 0) : a / b;
}

static double
vg_h_pow(double a, double b)
{
    if (!Py_IS_FINITE(a) || !Py_IS_FINITE(b) || (a == 0.0 && b < 0.0) || (a < 0.0 && !vg_is_integer(b)))
        return vg_delegate("pow", 2, a, b, 0);
    if (a > 0.0 && Py_IS_FINITE(a) && Py_IS_FINITE(b)) {
        double r = pow(a, b);
        if (Py_IS_FINITE(r))
            return r;
    }
    return vg_delegate("pow", 2, a, b, 0); /* overflow, infinities, negative bases: Python's own a ** b */
}

/* Non-finite inputs (nan, +-inf) always take the Python helper: what a nan or an infinity does is
 * the reference engine's decision (and it has changed), so the C side only handles finite numbers. */
#define VG_FINITE_OR_DELEGATE(name, x) \
    if (!Py_IS_FINITE(x))              \
    return vg_delegate(name, 1, x, 0, 0)

static double
vg_h_exp(double x)
{
    VG_FINITE_OR_DELEGATE("exp", x);
    double r = exp(x);
    if (Py_IS_INFINITY(r) && Py_IS_FINITE(x))
        return vg_delegate("exp", 1, x, 0, 0);
    return r;
}

static double vg_h_log(double x) { return (Py_IS_FINITE(x) && x > 0.0) ? log(x) : vg_delegate("log", 1, x, 0, 0); }
static double vg_h_sqrt(double x) { return (Py_IS_FINITE(x) && x >= 0.0) ? sqrt(x) : vg_delegate("sqrt", 1, x, 0, 0); }
static double vg_h_tanh(double x) { return Py_IS_FINITE(x) ? tanh(x) : vg_delegate("tanh", 1, x, 0, 0); }

static double
vg_h_sigmoid(double x)
{
    VG_FINITE_OR_DELEGATE("sigmoid", x);
    if (x >= 0.0)
        return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

static double vg_h_relu(double x) { return Py_IS_FINITE(x) ? (x > 0.0 ? x : 0.0) : vg_delegate("relu", 1, x, 0, 0); }

static double
vg_h_softplus(double x)
{
    VG_FINITE_OR_DELEGATE("softplus", x);
    double m = (0.0 > x) ? 0.0 : x; /* Python's max(x, 0.0) keeps x unless 0.0 > x */
    double t = exp(-fabs(x));
    return m + (t == 0.0 ? t : log1p(t));
}

static double vg_h_sin(double x) { return Py_IS_FINITE(x) ? sin(x) : vg_delegate("sin", 1, x, 0, 0); }
static double vg_h_cos(double x) { return Py_IS_FINITE(x) ? cos(x) : vg_delegate("cos", 1, x, 0, 0); }
static double vg_h_abs(double x) { return Py_IS_FINITE(x) ? fabs(x) : vg_delegate("abs", 1, x, 0, 0); }
static double vg_h_step(double x) { return Py_IS_FINITE(x) ? (x > 0.0 ? 1.0 : 0.0) : vg_delegate("step", 1, x, 0, 0); }

static double
vg_h_sign(double x)
{
    VG_FINITE_OR_DELEGATE("sign", x);
    return x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : 0.0);
}

static double
vg_h_sqrt_derivative(double out)
{
    VG_FINITE_OR_DELEGATE("sqrt_derivative", out);
    return out == 0.0 ? Py_HUGE_VAL : 0.5 / out;
}

static double
vg_h_pow_base_derivative(double a, double b, double out)
{
    if (!Py_IS_FINITE(a) || !Py_IS_FINITE(b) || !Py_IS_FINITE(out))
        return vg_delegate("pow_base_derivative", 3, a, b, out);
    if (a == 0.0)
        return b == 1.0 ? 1.0 : ((0.0 < b && b < 1.0) ? Py_HUGE_VAL : 0.0);
    if (a > 0.0) {
        double r = pow(a, b - 1.0);
        if (Py_IS_FINITE(r))
            return b * r;
    }
    /* A negative base, or a ** (b - 1) past the largest float: the Python helper decides (+-inf there). */
    return vg_delegate("pow_base_derivative", 3, a, b, out);
}

static double
vg_h_pow_exponent_derivative(double a, double b, double out)
{
    if (!Py_IS_FINITE(a) || !Py_IS_FINITE(b) || !Py_IS_FINITE(out))
        return vg_delegate("pow_exponent_derivative", 3, a, b, out);
    if (a > 0.0)
        return out * vg_h_log(a);
    return a == 0.0 ? 0.0 : Py_NAN;
}

/* Forward declarations the generated code calls. */
/* Inlined into each generated slot, so the op is a constant there and the rule a direct call. */
#define VG_INLINE static inline __attribute__((always_inline))
VG_INLINE PyObject *vg_binary(PyObject *x, PyObject *y, int op);
VG_INLINE PyObject *vg_unary(PyObject *x, int op);
static PyObject *vg_power(PyObject *x, PyObject *y, PyObject *z, int op);

#include "_ops.h"

/* ------------------------------------------------------------------------------------------ */
/* Tracking by the cycle collector                                                               */
/* ------------------------------------------------------------------------------------------ */

static inline void
vg_track(Node *node)
{
    if (!(node->flags & F_TRACKED)) {
        node->flags |= F_TRACKED;
        if (!PyObject_GC_IsTracked((PyObject *)node))
            PyObject_GC_Track((PyObject *)node);
    }
}

/* Track ``root`` and every ancestor: called when a node gains a reference the collector must
 * see (a Value as grad_value, a closure, a non-str label). Any cycle that reference closes runs
 * from it back through parents, so every node on it is among these. F_CLOSED nodes have had this
 * done already, so over a whole create_graph backward each node is visited once. */
static int
vg_close_over(PyObject *root)
{
    if (root == NULL || !IS_NODE(root) || (((Node *)root)->flags & F_CLOSED))
        return 0;
    Py_ssize_t len = 0, cap = 64;
    Node **stack = (Node **)PyMem_Malloc((size_t)cap * sizeof(Node *));
    if (stack == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    stack[len++] = (Node *)root;
    while (len > 0) {
        Node *node = stack[--len];
        if (node->flags & F_CLOSED)
            continue;
        node->flags |= F_CLOSED;
        vg_track(node);
        Py_ssize_t need = len + 2 + ((node->flags & F_NARY) ? EXT(node)->n : 0);
        if (need > cap) {
            while (cap < need)
                cap *= 2;
            Node **grown = (Node **)PyMem_Realloc(stack, (size_t)cap * sizeof(Node *));
            if (grown == NULL) {
                PyMem_Free(stack);
                PyErr_NoMemory();
                return -1;
            }
            stack = grown;
        }
        if (node->flags & F_NARY) {
            for (Py_ssize_t i = 0; i < EXT(node)->n; i++)
                stack[len++] = (Node *)EXT(node)->parents[i];
        }
        else {
            if (node->p0)
                stack[len++] = (Node *)node->p0;
            if (P1(node))
                stack[len++] = (Node *)P1(node);
        }
    }
    PyMem_Free(stack);
    return 0;
}

static Ext *
vg_ext(Node *node)
{
    if (node->flags & F_EXT)
        return EXT(node);
    Ext *ext = (Ext *)PyMem_Calloc(1, sizeof(Ext));
    if (ext == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    ext->p1 = (PyObject *)node->p1;
    node->p1 = ext;
    node->flags |= F_EXT;
    return ext;
}

/* ------------------------------------------------------------------------------------------ */
/* Making nodes                                                                                  */
/* ------------------------------------------------------------------------------------------ */

static inline Node *
vg_new(double data, int op)
{
    Node *node = slab_alloc();
    if (node == NULL) {
        /* Out of slabs: an ordinary Python allocation, left tracked (so vg_clear_marks finds it). */
        node = (Node *)PyType_GenericAlloc(NodeType, 0);
        if (node == NULL)
            return NULL;
        node->slab = 0;
        node->flags = F_TRACKED;
    }
    else {
        /* Every field written once, instead of a memset and PyObject_Init: an untracked object's
         * GC header is two zero words. _Py_NewReference is skipped: its only other work is
         * tracemalloc's per-object traceback, and slabs are traced as whole blocks. */
        uintptr_t *gc = (uintptr_t *)((char *)node - VG_GC_HEAD);
        gc[0] = 0;
        gc[1] = 0;
        Py_SET_REFCNT(node, 1);
        Py_SET_TYPE(node, NodeType);
        Py_INCREF(NodeType);
        node->p0 = NULL;
        node->p1 = NULL;
        node->mark = 0;
        node->flags = 0;
        node->weakreflist = NULL;
        node->dict = NULL;
        node->grad = 0.0;
        node->l0 = 0.0;
        node->l1 = 0.0;
    }
    node->data = data;
    node->op = (uint8_t)op;
    return node;
}

/* Whether graphs are being recorded: no_grad's ContextVar. Reading it is a call per operator, and
 * it can only change when this thread's context changes (ts->context_ver), on another thread
 * (ts->id), or when autograd sets it, which it follows by calling grad_mode_changed() (bumping
 * vg_grad_version). So the last answer is kept with those three and reused while they hold. */
static uint64_t vg_grad_version = 1;
#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030F0000 && !defined(Py_LIMITED_API)
#define VG_CACHE_GRAD_MODE 1
static uint64_t vg_gm_tsid = 0, vg_gm_context_ver = 0, vg_gm_version = 0;
static int vg_gm_enabled = 1;
#endif

static int
vg_grad_enabled_slow(void)
{
    if (vg_grad_enabled_var == NULL)
        return 1;
    PyObject *value = NULL;
    if (PyContextVar_Get(vg_grad_enabled_var, Py_True, &value) < 0)
        return -1;
    int enabled = value != Py_False;
    Py_XDECREF(value);
    return enabled;
}

static inline int
vg_grad_enabled(void)
{
#ifdef VG_CACHE_GRAD_MODE
    PyThreadState *ts = PyThreadState_Get();
    if (ts->id == vg_gm_tsid && ts->context_ver == vg_gm_context_ver && vg_gm_version == vg_grad_version)
        return vg_gm_enabled;
    int enabled = vg_grad_enabled_slow();
    if (enabled >= 0) {
        vg_gm_tsid = ts->id;
        vg_gm_context_ver = ts->context_ver;
        vg_gm_version = vg_grad_version;
        vg_gm_enabled = enabled;
    }
    return enabled;
#else
    return vg_grad_enabled_slow();
#endif
}

static PyObject *
vg_grad_mode_changed(PyObject *module, PyObject *Py_UNUSED(unused))
{
    vg_grad_version++;
    Py_RETURN_NONE;
}

static PyObject *
vg_type_name(PyObject *x)
{
    return PyObject_GetAttrString((PyObject *)Py_TYPE(x), "__name__");
}

/* A real number as a double (ints, floats, numbers.Real such as numpy scalars). 1 ok, 0 not a
 * real number (no error set), -1 error. */
static int
vg_real(PyObject *x, double *out)
{
    if (PyFloat_CheckExact(x)) {
        *out = PyFloat_AS_DOUBLE(x);
        return 1;
    }
    if (PyLong_Check(x)) {
        *out = PyLong_AsDouble(x);
        return (*out == -1.0 && PyErr_Occurred()) ? -1 : 1;
    }
    if (PyFloat_Check(x)) {
        *out = PyFloat_AS_DOUBLE(x);
        return 1;
    }
    if (vg_real_abc == NULL || IS_NODE(x))
        return 0;
    int is_real = PyObject_IsInstance(x, vg_real_abc);
    if (is_real <= 0)
        return is_real;
    *out = PyFloat_AsDouble(x);
    return (*out == -1.0 && PyErr_Occurred()) ? -1 : 1;
}

static int
vg_as_float(PyObject *x, const char *where, double *out)
{
    int ok = vg_real(x, out);
    if (ok == 0) {
        PyObject *name = vg_type_name(x);
        if (name != NULL) {
            PyErr_Format(PyExc_TypeError, "%s: expected a real number (int or float), got %U: %R", where, name, x);
            Py_DECREF(name);
        }
        return -1;
    }
    return ok < 0 ? -1 : 0;
}

/* A new reference to a node for an operand: nodes pass through, numbers become 'const' leaves. */
VG_INLINE PyObject *
vg_lift(PyObject *x, int op)
{
    if (IS_NODE(x)) {
        Py_INCREF(x);
        return x;
    }
    double value;
    int ok = vg_real(x, &value);
    if (ok < 0)
        return NULL;
    if (ok == 0) {
        PyObject *name = vg_type_name(x);
        if (name != NULL) {
            PyErr_Format(PyExc_TypeError, "%U: unsupported operand of type %U: %R (expected a Value or a real number)",
                         vg_op_strings[op], name, x);
            Py_DECREF(name);
        }
        return NULL;
    }
    return (PyObject *)vg_new(value, VG_OP_CONST);
}

static int
vg_any_tracked2(PyObject *a, PyObject *b)
{
    return (((Node *)a)->flags & F_TRACKED) || (b != NULL && (((Node *)b)->flags & F_TRACKED));
}

VG_INLINE PyObject *
vg_binary(PyObject *x, PyObject *y, int op)
{
    PyObject *a = vg_lift(x, op);
    if (a == NULL)
        return NULL;
    PyObject *b = vg_lift(y, op);
    if (b == NULL) {
        Py_DECREF(a);
        return NULL;
    }
    double in[2] = {((Node *)a)->data, ((Node *)b)->data}, res[3];
    int enabled = vg_grad_enabled();
    if (enabled < 0 || vg_fixed_rules[op](in, res, enabled) < 0) {
        Py_DECREF(a);
        Py_DECREF(b);
        return NULL;
    }
    Node *node = vg_new(res[0], enabled ? op : VG_OP_LEAF);
    if (node == NULL || !enabled) {
        Py_DECREF(a);
        Py_DECREF(b);
        return (PyObject *)node;
    }
    node->p0 = a; /* the references from vg_lift move into the node */
    node->p1 = b;
    node->l0 = res[1];
    node->l1 = res[2];
    if (vg_any_tracked2(a, b))
        vg_track(node);
    return (PyObject *)node;
}

VG_INLINE PyObject *
vg_unary(PyObject *x, int op)
{
    double in[1] = {((Node *)x)->data}, res[2];
    int enabled = vg_grad_enabled();
    if (enabled < 0 || vg_fixed_rules[op](in, res, enabled) < 0)
        return NULL;
    Node *node = vg_new(res[0], enabled ? op : VG_OP_LEAF);
    if (node == NULL || !enabled)
        return (PyObject *)node;
    Py_INCREF(x);
    node->p0 = x;
    node->l0 = res[1];
    if (((Node *)x)->flags & F_TRACKED)
        vg_track(node);
    return (PyObject *)node;
}

/* x ** c with a number c: ONE parent, op VG_OP_POWC (named '**2' by node_get_op, micrograd's spelling;
 * autograd.rules answers for that row), d/dx from the ** rule, the exponent kept in l1. No constant
 * node is recorded, so no d/dc (nan for a negative base) appears anywhere. */
static PyObject *
vg_constant_power(PyObject *x, PyObject *y, int op)
{
    double in[2], res[3];
    in[0] = ((Node *)x)->data;
    int real = vg_real(y, &in[1]);
    if (real < 0)
        return NULL;
    if (real == 0)
        return vg_binary(x, y, op); /* not a number: the operand error every operator gives */
    int enabled = vg_grad_enabled();
    if (enabled < 0 || vg_fixed_rules[op](in, res, enabled) < 0)
        return NULL;
    Node *node = vg_new(res[0], enabled ? VG_OP_POWC : VG_OP_LEAF);
    if (node == NULL || !enabled)
        return (PyObject *)node;
    Py_INCREF(x);
    node->p0 = x;
    node->l0 = res[1];
    node->l1 = in[1];
    if (((Node *)x)->flags & F_TRACKED)
        vg_track(node);
    return (PyObject *)node;
}

static PyObject *
vg_power(PyObject *x, PyObject *y, PyObject *z, int op)
{
    if (z != Py_None) {
        PyErr_SetString(PyExc_TypeError, "**: a modulus (pow(a, b, m)) is not supported for Values");
        return NULL;
    }
    if (IS_NODE(x) && !IS_NODE(y))
        return vg_constant_power(x, y, op);
    return vg_binary(x, y, op);
}

/* A node with any number of parents (owned references passed in, stolen) and locals (copied;
 * NULL for a custom node). */
static Node *
vg_new_nary(double data, int op, PyObject *opname, PyObject **parents, Py_ssize_t n, const double *locals)
{
    Node *node = vg_new(data, op);
    if (node == NULL)
        goto fail;
    Ext *ext = (Ext *)PyMem_Calloc(1, sizeof(Ext) + (size_t)n * (sizeof(PyObject *) + sizeof(double)));
    if (ext == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    ext->parents = (PyObject **)(ext + 1);
    ext->locals = (double *)(ext->parents + n);
    ext->n = n;
    ext->nlocals = locals ? n : 0;
    int tracked = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        ext->parents[i] = parents[i];
        tracked |= ((Node *)parents[i])->flags & F_TRACKED;
        if (locals)
            ext->locals[i] = locals[i];
    }
    if (opname) {
        Py_INCREF(opname);
        ext->opname = opname;
    }
    node->p1 = ext;
    node->flags |= F_EXT | F_NARY;
    if (tracked)
        vg_track(node);
    return node;
fail:
    for (Py_ssize_t i = 0; i < n; i++)
        Py_DECREF(parents[i]);
    Py_XDECREF(node);
    return NULL;
}

/* Apply a built-in n-ary rule to lifted parents (references stolen). */
static PyObject *
vg_apply_nary(int op, PyObject **parents, Py_ssize_t n)
{
    double stack_buf[64];
    double *buf = stack_buf;
    if (2 * n + 1 > 64) {
        buf = (double *)PyMem_Malloc((size_t)(2 * n + 1) * sizeof(double));
        if (buf == NULL) {
            for (Py_ssize_t i = 0; i < n; i++)
                Py_DECREF(parents[i]);
            return PyErr_NoMemory();
        }
    }
    double *in = buf, *res = buf + n;
    for (Py_ssize_t i = 0; i < n; i++)
        in[i] = ((Node *)parents[i])->data;
    PyObject *result = NULL;
    int enabled = vg_grad_enabled();
    if (enabled >= 0 && vg_nary_rules[op](n, in, res, enabled) == 0) {
        if (enabled) {
            result = (PyObject *)vg_new_nary(res[0], op, NULL, parents, n, res + 1);
            parents = NULL;
        }
        else {
            result = (PyObject *)vg_new(res[0], VG_OP_LEAF);
        }
    }
    if (parents != NULL)
        for (Py_ssize_t i = 0; i < n; i++)
            Py_DECREF(parents[i]);
    if (buf != stack_buf)
        PyMem_Free(buf);
    return result;
}

/* ------------------------------------------------------------------------------------------ */
/* Walks                                                                                         */
/* ------------------------------------------------------------------------------------------ */

typedef struct {
    Node **items;
    Py_ssize_t len, cap;
    int shared; /* items is vg_spare_order's buffer, lent for this walk */
} NodeVec;

/* One buffer, lent to each walk in turn: a walk over a big graph otherwise grows its buffers from
 * nothing each call, and every block above malloc's mmap threshold (128 KB) comes back as fresh
 * pages to fault in (on a virtual machine, a microsecond a page). A walk started while it is lent
 * (a custom _backward closure calling backward) makes its own. Up to VG_KEEP_WALK entries (8 MB)
 * are kept between walks; release_memory() frees them. */
#define VG_KEEP_WALK ((Py_ssize_t)1 << 20)
static Node **vg_spare_order = NULL;
static Py_ssize_t vg_spare_order_cap = 0;
static int vg_spare_order_lent = 0;

static void
vec_borrow(NodeVec *v)
{
    v->len = 0;
    v->shared = !vg_spare_order_lent;
    if (v->shared) {
        vg_spare_order_lent = 1;
        v->items = vg_spare_order;
        v->cap = vg_spare_order_cap;
    }
    else {
        v->items = NULL;
        v->cap = 0;
    }
}

static void
vec_release(NodeVec *v)
{
    if (v->shared && v->cap <= VG_KEEP_WALK) {
        vg_spare_order = v->items;
        vg_spare_order_cap = v->cap;
    }
    else {
        PyMem_Free(v->items);
        if (v->shared) {
            vg_spare_order = NULL;
            vg_spare_order_cap = 0;
        }
    }
    if (v->shared)
        vg_spare_order_lent = 0;
    v->items = NULL;
    v->cap = v->len = 0;
}

static void
vg_free_walk_buffers(void)
{
    if (!vg_spare_order_lent) {
        PyMem_Free(vg_spare_order);
        vg_spare_order = NULL;
        vg_spare_order_cap = 0;
    }
}

/* The largest mark a walk may write; python3 dev.py sanitize builds with a small one
 * (VALUEGRAD_EPOCH_LIMIT, read by setup.py) so its test runs wrap the mark many times. */
#ifndef VG_EPOCH_LIMIT
#define VG_EPOCH_LIMIT UINT32_MAX
#endif
static uint32_t vg_epoch = 0;

/* Set every node's mark to 0, which no epoch uses: slab nodes by their slabs' bitmaps, and the
 * nodes Python allocated (subclass instances, and nodes made when the slabs ran out) through
 * gc.get_objects(): those are always tracked by the collector for this reason. The list comes
 * first because making it can run Python code (a collection, finalizers, even a nested walk);
 * everything after it is plain C. */
static int
vg_clear_marks(void)
{
    PyObject *gc = PyImport_ImportModule("gc");
    PyObject *objects = gc ? PyObject_CallMethod(gc, "get_objects", NULL) : NULL;
    Py_XDECREF(gc);
    if (objects == NULL || !PyList_Check(objects)) {
        Py_XDECREF(objects);
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_RuntimeError, "valuegrad native: gc.get_objects() did not give a list");
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(objects); i++) {
        PyObject *o = PyList_GET_ITEM(objects, i);
        if (IS_NODE(o))
            ((Node *)o)->mark = 0;
    }
    for (Py_ssize_t s = 0; s < vg_nslabs; s++) {
        Slab *slab = vg_slabs[s];
        if (slab == NULL)
            continue;
        for (int w = 0; w < SLAB_WORDS; w++) {
            for (uint64_t used = ~slab->free[w]; used != 0; used &= used - 1) {
                int i = w * 64 + __builtin_ctzll(used);
                ((Node *)(slab->mem + (size_t)i * SLOT_SIZE + VG_GC_HEAD))->mark = 0;
            }
        }
    }
    vg_epoch = 0;
    Py_DECREF(objects); /* may free nodes: after the marks, which it cannot disturb */
    return 0;
}

/* Each walk takes two epochs, E and E + 1. A visited node is marked E + 1 if it is a leaf and E if
 * not; backward then moves an interior node to E + 1 when its grad receives its first contribution
 * (see vg_accumulate). So "visited" is mark - E <= 1. When E + 1 would pass VG_EPOCH_LIMIT (after
 * 2**31 walks), every mark is cleared first, so an old mark can never equal a new epoch. Sets *epoch
 * to E; -1 with an exception set if the clearing failed. */
static int
vg_next_epoch(uint32_t *epoch)
{
    if (vg_epoch > VG_EPOCH_LIMIT - 2 && vg_clear_marks() < 0)
        return -1;
    vg_epoch += 2;
    *epoch = vg_epoch - 1;
    return 0;
}

#define VISITED(node, epoch) ((uint32_t)((node)->mark - (epoch)) <= 1u)

/* The post-order of a depth-first walk from root, parents in argument order (leaves optional):
 * exactly autograd.value's _depth_first, i.e. the recursive
 *     visit(node): mark node; for p in parents: if p unmarked: visit(p); emit(node)
 * with an explicit stack of frames (node, next parent to look at). The nodes are borrowed: all are
 * kept alive by root. With ``custom`` (backward's walk), *custom is set when a node needs Python
 * code (a closure, or a custom node's rule).
 *
 * The frames live in the order's own buffer: the order grows from the front and the frames down
 * from the back; a node is in one or the other, so together they never need more than the graph
 * (a 10**6-op chain: 8 MB, where a separate stack of (node, index) pairs added 16 MB). A frame is
 * one word for a node with at most two parents: its address, with the next parent to look at in
 * the two low bits (objects are at least 8-byte aligned); an n-ary node's frame is two words, its
 * address tagged FRAME_NARY and the index of its next parent. */
static int vg_has_closure(Node *node);

#define FRAME_NARY ((uintptr_t)3)
#define FRAME_NODE(word) ((Node *)((word) & ~(uintptr_t)3))

static inline Node *
vg_parent(Node *node, Py_ssize_t i)
{
    if (node->flags & F_NARY)
        return i < EXT(node)->n ? (Node *)EXT(node)->parents[i] : NULL;
    if (i == 0)
        return (Node *)node->p0;
    return i == 1 ? (Node *)P1(node) : NULL;
}

static inline int
vg_is_leaf(Node *node)
{
    return node->p0 == NULL && !((node->flags & F_NARY) && EXT(node)->n > 0);
}

/* Double the buffer, keeping the order at the front and moving the frames to the new back. */
static int
walk_grow(NodeVec *order, Py_ssize_t *top)
{
    Py_ssize_t cap = order->cap, frames = cap - *top;
    Py_ssize_t grown_cap = cap ? cap * 2 : 4096;
    Node **grown = (Node **)PyMem_Realloc(order->items, (size_t)grown_cap * sizeof(Node *));
    if (grown == NULL) {
        PyErr_NoMemory();
        return -1;
    }
#if defined(VG_USE_MMAP) && defined(__linux__)
    /* The new half is fresh pages: have the kernel fault them in with one call, not one trap a page. */
    if (grown_cap * (Py_ssize_t)sizeof(Node *) >= ((Py_ssize_t)1 << 18)) {
        uintptr_t page = 4096, start = ((uintptr_t)(grown + cap) + page - 1) & ~(page - 1);
        uintptr_t end = ((uintptr_t)(grown + grown_cap)) & ~(page - 1);
        if (end > start)
            (void)madvise((void *)start, end - start, 23 /* MADV_POPULATE_WRITE, Linux 5.14 */);
    }
#endif
    memmove(grown + grown_cap - frames, grown + *top, (size_t)frames * sizeof(Node *));
    order->items = grown;
    order->cap = grown_cap;
    *top = grown_cap - frames;
    return 0;
}

static int
vg_walk_ex(Node *root, int include_leaves, NodeVec *order, int *custom)
{
    uint32_t epoch;
    if (vg_next_epoch(&epoch) < 0)
        return -1;
    Py_ssize_t top = order->cap; /* frames are items[top:cap], the order items[0:len] */
    uintptr_t *frames;
    if (top - order->len < 2 && walk_grow(order, &top) < 0)
        return -1;
    frames = (uintptr_t *)order->items;
    int root_is_leaf = vg_is_leaf(root);
    root->mark = root_is_leaf ? epoch + 1 : epoch;
    if (root->flags & F_NARY) {
        frames[--top] = 0;
        frames[--top] = (uintptr_t)root | FRAME_NARY;
    }
    else {
        frames[--top] = (uintptr_t)root;
    }
    while (top < order->cap) {
        uintptr_t word = frames[top];
        Node *node = FRAME_NODE(word);
        Node *parent = NULL;
        if ((word & 3) == 0 || ((word & 3) == FRAME_NARY && frames[top + 1] == 0)) {
            /* First look at this node (its line is in cache now): does it need Python code? */
            if (custom != NULL && ((node->flags & F_CUSTOM) || vg_has_closure(node)))
                *custom = 1;
        }
        if ((word & 3) != FRAME_NARY) {
            /* Most nodes have one or two parents: look at each once. State 0: the first parent
             * next; 1: the second next; 2: done. */
            switch (word & 3) {
            case 0: {
                parent = (Node *)node->p0;
                Node *second = (Node *)P1(node);
                /* A second parent already visited stays visited: decide now, so that coming back
                 * up from the first parent's subtree needs nothing from this node's memory. */
                frames[top] = (uintptr_t)node | ((second == NULL || VISITED(second, epoch)) ? 2 : 1);
                if (parent != NULL && !VISITED(parent, epoch))
                    break;
                if ((frames[top] & 3) == 2) {
                    parent = NULL;
                    break;
                }
            }
                /* fall through */
            case 1:
                frames[top] = (uintptr_t)node | 2;
                parent = (Node *)P1(node);
                if (parent != NULL && !VISITED(parent, epoch))
                    break;
                /* fall through */
            default:
                parent = NULL;
            }
        }
        else {
            Py_ssize_t next = (Py_ssize_t)frames[top + 1];
            parent = vg_parent(node, next);
            while (parent != NULL && VISITED(parent, epoch))
                parent = vg_parent(node, ++next);
            if (parent != NULL)
                next++;
            frames[top + 1] = (uintptr_t)next;
        }
        if (parent != NULL) {
            if (top - order->len < 2) {
                if (walk_grow(order, &top) < 0)
                    return -1;
                frames = (uintptr_t *)order->items;
            }
            if (vg_is_leaf(parent)) {
                /* a leaf: emitted at once, never expanded */
                parent->mark = epoch + 1;
                if (include_leaves)
                    order->items[order->len++] = parent;
                continue;
            }
            parent->mark = epoch;
            /* Its parents are the next nodes looked at: start fetching them (memory, not arithmetic, is the cost). */
            __builtin_prefetch(parent->p0);
            __builtin_prefetch(parent->p1);
            if (parent->flags & F_NARY) {
                frames[--top] = 0;
                frames[--top] = (uintptr_t)parent | FRAME_NARY;
            }
            else {
                frames[--top] = (uintptr_t)parent;
            }
            continue;
        }
        /* Done with node: pop its frame (which frees a word for its place in the order). Only the
         * root can be a leaf here: every other frame was pushed for an interior node. */
        top += (word & 3) == FRAME_NARY ? 2 : 1;
        if (node == root && root_is_leaf && !include_leaves)
            continue;
        order->items[order->len++] = node;
    }
    return 0;
}

static int
vg_walk(Node *root, int include_leaves, NodeVec *order)
{
    return vg_walk_ex(root, include_leaves, order, NULL);
}

static PyObject *
vg_topological_order(PyObject *module, PyObject *root)
{
    if (!IS_NODE(root)) {
        PyErr_Format(PyExc_TypeError, "topological_order: expected a Value, got %R", root);
        return NULL;
    }
    NodeVec order;
    vec_borrow(&order);
    if (vg_walk((Node *)root, 1, &order) < 0) {
        vec_release(&order);
        return NULL;
    }
    /* Own every node before making the list: allocating it can run the cycle collector, whose
     * finalizers can cut the graph and free nodes the walk only borrowed. */
    for (Py_ssize_t i = 0; i < order.len; i++)
        Py_INCREF(order.items[i]);
    PyObject *list = PyList_New(order.len);
    for (Py_ssize_t i = 0; i < order.len; i++) {
        if (list != NULL)
            PyList_SET_ITEM(list, i, (PyObject *)order.items[i]);
        else
            Py_DECREF(order.items[i]);
    }
    vec_release(&order);
    return list;
}

/* ------------------------------------------------------------------------------------------ */
/* Backprop                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* Add one contribution to a parent's grad. In backward, ``fresh`` is the walk's epoch E: a parent
 * still marked E is an interior node receiving its first contribution, so its grad from an
 * earlier backward is replaced (0.0 + c, bit for bit what zeroing and adding gave) and its mark
 * moves to E + 1. Outside backward (a node's own _backward() called by hand) every parent adds. */
static inline void
vg_accumulate(Node *node, double contribution, int in_backward, uint32_t fresh)
{
    if (in_backward && node->mark == fresh) {
        node->mark = fresh + 1;
        node->grad = 0.0 + contribution;
    }
    else {
        node->grad += contribution;
    }
}

/* A node's chain-rule step: each parent's grad gets local derivative * this node's grad. Inlined
 * into its two callers, so each gets the loop for its own constant ``in_backward``. */
static inline void
vg_step_ex(Node *node, int in_backward, uint32_t fresh)
{
    double g = node->grad;
    if (node->flags & F_NARY) {
        Ext *ext = EXT(node);
        for (Py_ssize_t i = 0; i < ext->nlocals; i++)
            vg_accumulate((Node *)ext->parents[i], ext->locals[i] * g, in_backward, fresh);
        return;
    }
    if (node->p0 == NULL)
        return;
    vg_accumulate((Node *)node->p0, node->l0 * g, in_backward, fresh);
    Node *second = (Node *)P1(node);
    if (second != NULL)
        vg_accumulate(second, node->l1 * g, in_backward, fresh);
}

/* This node's own chain-rule step: each parent's grad += local derivative * this node's grad. */
static void
vg_step(Node *node)
{
    vg_step_ex(node, 0, 0);
}

static int
vg_has_closure(Node *node)
{
    return (node->flags & F_EXT) && EXT(node)->backward != NULL;
}

/* Raise autograd.errors.no_derivative(node, op): a custom node with children and no derivative. */
static int
vg_no_derivative(PyObject *node)
{
    PyObject *op = PyObject_GetAttrString(node, "op");
    PyObject *error = op ? PyObject_CallMethod(vg_errors, "no_derivative", "OO", node, op) : NULL;
    Py_XDECREF(op);
    if (error != NULL) {
        PyErr_SetObject((PyObject *)Py_TYPE(error), error);
        Py_DECREF(error);
    }
    return -1;
}

/* A node's own step where Python may be involved: its closure, or (a custom node) the rule its _op
 * names, or the error naming it when it has neither. */
static int
vg_custom_step(Node *node)
{
    if (vg_has_closure(node)) {
        PyObject *closure = EXT(node)->backward;
        Py_INCREF(closure); /* it may assign the node a new _backward (or re-initialise it) while it runs */
        PyObject *r = PyObject_CallNoArgs(closure);
        Py_DECREF(closure);
        Py_XDECREF(r);
        return r == NULL ? -1 : 0;
    }
    if ((node->flags & F_CUSTOM) && EXT(node)->nlocals != EXT(node)->n)
        return vg_no_derivative((PyObject *)node);
    vg_step(node);
    return 0;
}

static PyObject *
node_backward(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    int create_graph = 0;
    if (nargs != 0) {
        PyErr_SetString(PyExc_TypeError, "backward() takes no positional arguments (create_graph is keyword-only)");
        return NULL;
    }
    if (kwnames != NULL) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(kwnames); i++) {
            PyObject *name = PyTuple_GET_ITEM(kwnames, i);
            if (!PyUnicode_Check(name) || PyUnicode_CompareWithASCIIString(name, "create_graph") != 0) {
                PyErr_Format(PyExc_TypeError, "backward() got an unexpected keyword argument %R", name);
                return NULL;
            }
            create_graph = PyObject_IsTrue(args[i]);
            if (create_graph < 0)
                return NULL;
        }
    }
    if (create_graph)
        return PyObject_CallMethod(self, "_create_graph_backward", NULL);

    NodeVec order;
    vec_borrow(&order);
    int custom = 0;
    if (vg_walk_ex((Node *)self, 0, &order, &custom) < 0) {
        vec_release(&order);
        return NULL;
    }
    /* The walk's epoch E marks the interior nodes it visited; their grads start fresh. */
    uint32_t fresh = vg_epoch - 1;
    int failed = 0;
    if (!custom) {
        /* Leaves accumulate; an interior node's first contribution replaces its old grad (0.0 + c,
         * exactly what zeroing first and adding gives, -0.0 included), which saves a pass that
         * writes every node. */
        vg_accumulate((Node *)self, 1.0, 1, fresh);
        for (Py_ssize_t i = order.len - 1; i >= 0; i--) {
            /* The graph may be bigger than the caches: fetch nodes well ahead (a DRAM load takes
             * some 20 steps), and their parents once the nodes themselves have arrived. */
            if (i >= 32) {
                char *far = (char *)order.items[i - 32];
                __builtin_prefetch(far, 1);
                __builtin_prefetch(far + 64, 1);
            }
            if (i >= 8) {
                Node *ahead = order.items[i - 8];
                __builtin_prefetch(ahead->p0, 1);
                __builtin_prefetch(ahead->p1, 1);
            }
            vg_step_ex(order.items[i], 1, fresh);
        }
        vec_release(&order);
        Py_RETURN_NONE;
    }
    /* Python code runs in the steps: interior grads start at 0.0 and every step adds, as in the
     * pure engine; and the nodes are kept alive whatever a closure does to the graph. */
    for (Py_ssize_t i = 0; i < order.len; i++) {
        order.items[i]->grad = 0.0;
        Py_INCREF(order.items[i]);
    }
    ((Node *)self)->grad += 1.0;
    for (Py_ssize_t i = order.len - 1; i >= 0; i--) {
        if (vg_custom_step(order.items[i]) < 0) {
            failed = 1;
            break;
        }
    }
    for (Py_ssize_t i = 0; i < order.len; i++)
        Py_DECREF(order.items[i]);
    vec_release(&order);
    if (failed)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
node_zero_grad(PyObject *self, PyObject *Py_UNUSED(unused))
{
    NodeVec order;
    vec_borrow(&order);
    if (vg_walk((Node *)self, 1, &order) < 0) {
        vec_release(&order);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < order.len; i++)
        Py_INCREF(order.items[i]);
    for (Py_ssize_t i = 0; i < order.len; i++) {
        Node *node = order.items[i];
        node->grad = 0.0;
        if (node->flags & F_EXT) {
            Ext *ext = EXT(node);
            PyObject *old = ext->grad_value;
            ext->grad_value = NULL;
            /* A leaf holding nothing but floats and a str label cannot be on a cycle: stop
             * tracking it, so graphs built on it after a create_graph backward are untracked again
             * (not a node Python allocated: those stay tracked, see vg_clear_marks). */
            if (node->p0 == NULL && !(node->flags & F_NARY) && ext->backward == NULL &&
                (ext->label == NULL || PyUnicode_CheckExact(ext->label)) && Py_TYPE(node) == NodeType &&
                node->slab != 0 && (node->flags & F_TRACKED)) {
                PyObject_GC_UnTrack((PyObject *)node);
                node->flags &= (uint8_t)~(F_TRACKED | F_CLOSED);
            }
            /* Last: dropping the old gradient can run Python code (a weakref callback, a finalizer)
             * that re-initialises this node and frees ext. The next nodes are owned and re-read. */
            Py_XDECREF(old);
        }
    }
    for (Py_ssize_t i = 0; i < order.len; i++)
        Py_DECREF(order.items[i]);
    vec_release(&order);
    Py_RETURN_NONE;
}

static PyObject *
node_step_call(PyObject *self, PyObject *Py_UNUSED(unused))
{
    Node *node = (Node *)self;
    if ((node->flags & F_CUSTOM) && EXT(node)->nlocals != EXT(node)->n) {
        vg_no_derivative(self);
        return NULL;
    }
    vg_step(node);
    Py_RETURN_NONE;
}

static PyMethodDef vg_step_def = {"_backward", node_step_call, METH_NOARGS,
                                  "This node's own chain-rule step: parent.grad += local derivative * self.grad."};

/* ------------------------------------------------------------------------------------------ */
/* The type                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static void
node_dealloc(PyObject *o)
{
    Node *self = (Node *)o;
    PyTypeObject *tp = Py_TYPE(o);
    __builtin_prefetch(self->p0, 1);
    if (!(self->flags & F_EXT))
        __builtin_prefetch(self->p1, 1);
    if ((self->flags & F_TRACKED) || !self->slab) {
        if (PyObject_GC_IsTracked(o))
            PyObject_GC_UnTrack(o);
    }
    if (self->weakreflist != NULL)
        PyObject_ClearWeakRefs(o);
    Py_CLEAR(self->dict);
    PyObject *p0 = self->p0;
    if (self->flags & F_EXT) {
        Ext *ext = EXT(self);
        Py_XDECREF(ext->parents_tuple); /* first: ext->parents still hold its items, so it frees none */
        if (self->flags & F_NARY)
            for (Py_ssize_t i = 0; i < ext->n; i++)
                vg_release(ext->parents[i]);
        vg_release(ext->p1);
        vg_release(ext->grad_value);
        Py_XDECREF(ext->label);
        Py_XDECREF(ext->backward);
        Py_XDECREF(ext->opname);
        PyMem_Free(ext);
    }
    else {
        vg_release((PyObject *)self->p1);
    }
    vg_release(p0);
    if (self->slab)
        slab_free(self);
    else
        tp->tp_free(o);
    Py_DECREF(tp);
    vg_drain();
}

static int
node_traverse(PyObject *o, visitproc visit, void *arg)
{
    Node *self = (Node *)o;
    Py_VISIT(Py_TYPE(o));
    Py_VISIT(self->dict);
    Py_VISIT(self->p0);
    if (self->flags & F_EXT) {
        Ext *ext = EXT(self);
        if (self->flags & F_NARY)
            for (Py_ssize_t i = 0; i < ext->n; i++)
                Py_VISIT(ext->parents[i]);
        Py_VISIT(ext->parents_tuple);
        Py_VISIT(ext->p1);
        Py_VISIT(ext->label);
        Py_VISIT(ext->grad_value);
        Py_VISIT(ext->backward);
    }
    else {
        Py_VISIT((PyObject *)self->p1);
    }
    return 0;
}

/* Breaking a cycle: every cycle passes through one of these references (parents alone never
 * make one), so the parents stay and the graph keeps its shape until it is freed. */
static int
node_clear(PyObject *o)
{
    Node *self = (Node *)o;
    Py_CLEAR(self->dict);
    if (self->flags & F_EXT) {
        Ext *ext = EXT(self);
        Py_CLEAR(ext->label);
        Py_CLEAR(ext->grad_value);
        Py_CLEAR(ext->backward);
    }
    return 0;
}

static PyObject *
node_alloc(PyTypeObject *type, Py_ssize_t nitems)
{
    PyObject *o = PyType_GenericAlloc(type, nitems);
    if (o != NULL && type != NodeType)
        ((Node *)o)->flags |= F_TRACKED; /* subclass instances can hold anything: always tracked */
    else if (o != NULL)
        PyObject_GC_UnTrack(o);
    return o;
}

static PyObject *
node_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    if (type == NodeType)
        return (PyObject *)vg_new(0.0, VG_OP_LEAF);
    return node_alloc(type, 0);
}

static int
vg_lookup_op(PyObject *name)
{
    PyObject *index = PyDict_GetItemWithError(vg_op_index, name);
    if (index == NULL)
        return PyErr_Occurred() ? -1 : VG_OP_CUSTOM;
    return (int)PyLong_AsLong(index);
}

static void
vg_clear_parents(Node *self)
{
    if (self->flags & F_NARY) {
        Ext *ext = EXT(self);
        Py_CLEAR(ext->parents_tuple); /* first: ext->parents still hold its items, so it frees none */
        for (Py_ssize_t i = 0; i < ext->n; i++)
            vg_release(ext->parents[i]);
        Ext *fresh = (Ext *)PyMem_Calloc(1, sizeof(Ext));
        if (fresh != NULL) { /* keep label etc., drop the arrays */
            fresh->label = ext->label;
            fresh->grad_value = ext->grad_value;
            fresh->backward = ext->backward;
            fresh->opname = ext->opname;
            PyMem_Free(ext);
            self->p1 = fresh;
        }
        self->flags &= (uint8_t)~F_NARY;
    }
    else if (self->flags & F_EXT) {
        vg_release(EXT(self)->p1);
        EXT(self)->p1 = NULL;
    }
    else {
        vg_release((PyObject *)self->p1);
        self->p1 = NULL;
    }
    vg_release(self->p0);
    self->p0 = NULL;
    vg_drain();
}

static int vg_set_label(Node *self, PyObject *label);

static int
vg_check_str(PyObject *text, const char *what)
{
    if (PyUnicode_Check(text))
        return 0;
    PyObject *name = vg_type_name(text);
    if (name != NULL) {
        PyErr_Format(PyExc_TypeError, "Value: %s must be a str, got %U: %R", what, name, text);
        Py_DECREF(name);
    }
    return -1;
}

/* Value(data, _children=(), _op='', label=''): micrograd's constructor. With children it makes a
 * custom op node: its derivative is a _backward closure assigned later, or the rule its _op names. */
static int node_init_checked(PyObject *o, PyObject *args, PyObject *kwds);

/* Value(...) with arguments the constructor refuses raises what the pure engine's constructor
 * raises for them (its exception and message), so the two engines cannot drift apart there. */
static int
node_init(PyObject *o, PyObject *args, PyObject *kwds)
{
    if (node_init_checked(o, args, kwds) == 0)
        return 0;
    if (vg_pure_value == NULL || (!PyErr_ExceptionMatches(PyExc_TypeError) && !PyErr_ExceptionMatches(PyExc_ValueError)))
        return -1;
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyObject *pure = PyObject_Call(vg_pure_value, args, kwds);
    if (pure == NULL) { /* the reference refuses too: its words */
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
        return -1;
    }
    Py_DECREF(pure);
    PyErr_Restore(type, value, tb);
    return -1;
}

static int
node_init_checked(PyObject *o, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"data", "_children", "_op", "label", NULL};
    PyObject *data, *children = NULL, *opname = NULL, *label = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|OOO:Value", kwlist, &data, &children, &opname, &label))
        return -1;
    Node *self = (Node *)o;
    double value;
    if (vg_as_float(data, "Value", &value) < 0)
        return -1;
    PyObject *given_locals = NULL; /* microgpt's Value(data, children, local_grads) */
    if (opname != NULL && (PyTuple_Check(opname) || PyList_Check(opname))) {
        given_locals = opname;
        opname = NULL;
    }
    if (opname != NULL && vg_check_str(opname, "_op") < 0)
        return -1;
    if (label != NULL && label != Py_None && vg_check_str(label, "label") < 0)
        return -1;
    PyObject *parents = NULL;
    if (children != NULL) {
        parents = PySequence_Tuple(children);
        if (parents == NULL)
            return -1;
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(parents); i++) {
            PyObject *child = PyTuple_GET_ITEM(parents, i);
            if (!IS_NODE(child)) {
                PyObject *name = vg_type_name(child);
                if (name != NULL) {
                    PyErr_Format(PyExc_TypeError, "Value: _children[%zd] must be a Value, got %U: %R", i, name, child);
                    Py_DECREF(name);
                }
                Py_DECREF(parents);
                return -1;
            }
        }
    }
    if (self->p0 != NULL || (self->flags & F_NARY))
        vg_clear_parents(self); /* __init__ called again */
    if (self->flags & F_EXT) {
        /* Re-initialised: a node made afresh, as the pure engine's __init__ makes it (its closure and
         * create_graph gradient belonged to the old node; users' attributes stay, as on any object). */
        Py_CLEAR(EXT(self)->backward);
        Py_CLEAR(EXT(self)->grad_value);
    }
    self->data = value;
    self->grad = 0.0;
    self->flags &= (uint8_t)~F_CUSTOM;
    int op = VG_OP_LEAF;
    if (opname != NULL && PyUnicode_GET_LENGTH(opname) > 0) {
        op = vg_lookup_op(opname);
        if (op < 0) {
            Py_XDECREF(parents);
            return -1;
        }
    }
    Py_ssize_t n = parents ? PyTuple_GET_SIZE(parents) : 0;
    if (n > 0) {
        /* A custom node keeps its children in the n-ary arrays (as the pure engine's _parents_n), with
         * the local derivatives of the rule its _op names, when one does and they can be computed. */
        PyObject *locals = Py_None;
        Py_INCREF(locals);
        if (given_locals != NULL) {
            Py_SETREF(locals, PySequence_Tuple(given_locals));
            if (locals == NULL) {
                Py_DECREF(parents);
                return -1;
            }
            if (PyTuple_GET_SIZE(locals) != n) {
                PyErr_Format(PyExc_ValueError, "Value: %zd children but %zd local derivatives", n, PyTuple_GET_SIZE(locals));
                Py_DECREF(parents);
                Py_DECREF(locals);
                return -1;
            }
        }
        else if (opname != NULL && vg_hook_custom_locals != NULL) {
            PyObject *datas = PyTuple_New(n);
            if (datas == NULL) {
                Py_DECREF(parents);
                Py_DECREF(locals);
                return -1;
            }
            for (Py_ssize_t i = 0; i < n; i++) {
                PyObject *d = PyFloat_FromDouble(((Node *)PyTuple_GET_ITEM(parents, i))->data);
                if (d == NULL) {
                    Py_DECREF(datas);
                    Py_DECREF(parents);
                    Py_DECREF(locals);
                    return -1;
                }
                PyTuple_SET_ITEM(datas, i, d);
            }
            Py_SETREF(locals, PyObject_CallFunction(vg_hook_custom_locals, "ONd", opname, datas, value));
            if (locals == NULL) {
                Py_DECREF(parents);
                return -1;
            }
        }
        Py_ssize_t nlocals = locals == Py_None ? 0 : PySequence_Length(locals);
        if (nlocals < 0 || (nlocals != 0 && nlocals != n)) {
            if (!PyErr_Occurred())
                PyErr_Format(PyExc_ValueError, "Value: %zd children but %zd local derivatives", n, nlocals);
            Py_DECREF(parents);
            Py_DECREF(locals);
            return -1;
        }
        Ext *old = (self->flags & F_EXT) ? EXT(self) : NULL;
        Ext *ext = (Ext *)PyMem_Calloc(1, sizeof(Ext) + (size_t)n * (sizeof(PyObject *) + sizeof(double)));
        if (ext == NULL) {
            Py_DECREF(parents);
            Py_DECREF(locals);
            PyErr_NoMemory();
            return -1;
        }
        if (old != NULL) { /* keep what the node holds besides parents */
            ext->label = old->label;
            ext->grad_value = old->grad_value;
            ext->backward = old->backward;
            ext->opname = old->opname;
            PyMem_Free(old);
        }
        ext->parents = (PyObject **)(ext + 1);
        ext->locals = (double *)(ext->parents + n);
        ext->n = n;
        ext->nlocals = nlocals;
        int tracked = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            ext->parents[i] = PyTuple_GET_ITEM(parents, i);
            Py_INCREF(ext->parents[i]);
            tracked |= ((Node *)ext->parents[i])->flags & F_TRACKED;
            if (nlocals) {
                PyObject *item = PySequence_GetItem(locals, i);
                ext->locals[i] = item ? PyFloat_AsDouble(item) : -1.0;
                Py_XDECREF(item);
            }
        }
        Py_DECREF(locals);
        self->p1 = ext;
        self->flags |= F_EXT | F_NARY | F_CUSTOM;
        if (tracked)
            vg_track(self);
        if (PyErr_Occurred()) {
            Py_DECREF(parents);
            return -1;
        }
    }
    Py_XDECREF(parents);
    self->op = (uint8_t)op;
    if (op == VG_OP_CUSTOM) {
        Ext *ext = vg_ext(self);
        if (ext == NULL)
            return -1;
        Py_INCREF(opname);
        Py_XSETREF(ext->opname, opname);
    }
    if (label != NULL && label != Py_None)
        return vg_set_label(self, label);
    if (self->flags & F_EXT)
        Py_CLEAR(EXT(self)->label);
    return 0;
}

/* ---- attributes ---- */

/* Making a tuple can run the cycle collector, and its finalizers can re-initialise this node
 * (freeing its parents and side block): so two parents are owned before the tuple is made, and a
 * wide node's are read after it is made, from the node as it is then. A wide node keeps its tuple,
 * so walkers asking for .parents node by node pay O(1) per access, as in the pure engine. */
static PyObject *
node_get_parents(PyObject *o, void *closure)
{
    Node *self = (Node *)o;
    while (self->flags & F_NARY) {
        if (EXT(self)->parents_tuple != NULL) {
            Py_INCREF(EXT(self)->parents_tuple);
            return EXT(self)->parents_tuple;
        }
        Py_ssize_t n = EXT(self)->n;
        PyObject *t = PyTuple_New(n);
        if (t == NULL)
            return NULL;
        if (!(self->flags & F_NARY) || EXT(self)->n != n || EXT(self)->parents_tuple != NULL) {
            Py_DECREF(t); /* the node changed while the tuple was made: look again */
            continue;
        }
        Ext *ext = EXT(self);
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_INCREF(ext->parents[i]);
            PyTuple_SET_ITEM(t, i, ext->parents[i]);
        }
        Py_INCREF(t);
        ext->parents_tuple = t;
        return t;
    }
    if (self->p0 == NULL)
        return PyTuple_New(0);
    PyObject *first = self->p0, *second = P1(self);
    Py_INCREF(first);
    Py_XINCREF(second);
    PyObject *t = PyTuple_New(second ? 2 : 1);
    if (t == NULL) {
        Py_DECREF(first);
        Py_XDECREF(second);
        return NULL;
    }
    PyTuple_SET_ITEM(t, 0, first);
    if (second)
        PyTuple_SET_ITEM(t, 1, second);
    return t;
}

static PyObject *
node_get_prev(PyObject *o, void *closure)
{
    PyObject *parents = node_get_parents(o, closure);
    if (parents == NULL)
        return NULL;
    PyObject *set = PySet_New(parents);
    Py_DECREF(parents);
    return set;
}

/* '**' + the exponent as autograd.rules.constant_power_name writes it: an integral exponent as an
 * int ('**2', '**-1'), any other as Python's repr of the float ('**0.5', '**inf', '**nan'). */
static PyObject *
vg_power_name(double c)
{
    PyObject *shown;
    if (floor(c) == c && fabs(c) < 1e16) {
        PyObject *as_int = PyLong_FromDouble(c);
        shown = as_int ? PyObject_Str(as_int) : NULL;
        Py_XDECREF(as_int);
    }
    else {
        PyObject *as_float = PyFloat_FromDouble(c);
        shown = as_float ? PyObject_Repr(as_float) : NULL;
        Py_XDECREF(as_float);
    }
    if (shown == NULL)
        return NULL;
    PyObject *name = PyUnicode_FromFormat("**%U", shown);
    Py_DECREF(shown);
    return name;
}

static PyObject *
node_get_op(PyObject *o, void *closure)
{
    Node *self = (Node *)o;
    if (self->op == VG_OP_POWC)
        return vg_power_name(self->l1);
    PyObject *name = self->op == VG_OP_CUSTOM ? EXT(self)->opname : vg_op_strings[self->op];
    Py_INCREF(name);
    return name;
}

/* A wide node's stored local derivatives, read (like its parents) after the tuple is made. */
static PyObject *
vg_locals_tuple(Node *self)
{
    for (;;) {
        if (!(self->flags & F_NARY))
            return PyTuple_New(0);
        Py_ssize_t n = EXT(self)->nlocals;
        PyObject *t = PyTuple_New(n);
        if (t == NULL)
            return NULL;
        if (!(self->flags & F_NARY) || EXT(self)->nlocals != n) {
            Py_DECREF(t); /* re-initialised while the tuple was made */
            continue;
        }
        for (Py_ssize_t i = 0; i < n; i++) { /* floats are not tracked: making one runs no Python code */
            PyObject *f = PyFloat_FromDouble(EXT(self)->locals[i]);
            if (f == NULL) {
                Py_DECREF(t);
                return NULL;
            }
            PyTuple_SET_ITEM(t, i, f);
        }
        return t;
    }
}

/* ``node._op = name``: writable as the pure engine's slot is (it renames the op; derivatives stay). */
static int
node_set_op(PyObject *o, PyObject *value, void *closure)
{
    Node *self = (Node *)o;
    if (value == NULL || !PyUnicode_Check(value)) {
        PyObject *error = value == NULL ? PyObject_CallMethod(vg_errors, "not_deletable", "s", "_op")
                                        : PyObject_CallMethod(vg_errors, "not_a_str", "sO", "_op", value);
        if (error != NULL) {
            PyErr_SetObject((PyObject *)Py_TYPE(error), error);
            Py_DECREF(error);
        }
        return -1;
    }
    int op = PyUnicode_GET_LENGTH(value) == 0 ? VG_OP_LEAF : vg_lookup_op(value);
    if (op < 0)
        return -1;
    if (op == VG_OP_CUSTOM) {
        Ext *ext = vg_ext(self);
        if (ext == NULL)
            return -1;
        Py_INCREF(value);
        Py_XSETREF(ext->opname, value);
    }
    self->op = (uint8_t)op;
    return 0;
}

static PyObject *
node_get_local_grads(PyObject *o, void *closure)
{
    Node *self = (Node *)o;
    if ((self->flags & F_CUSTOM) && vg_has_closure(self)) {
        /* measured by running the closure once with grad 1, as the pure engine does */
        PyObject *measured = PyObject_CallMethod(o, "_closure_local_grads", NULL);
        if (measured == NULL)
            return NULL;
        PyObject *t = PySequence_Tuple(measured);
        Py_DECREF(measured);
        return t;
    }
    if (self->flags & F_NARY)
        return vg_locals_tuple(self);
    if (self->p0 == NULL)
        return PyTuple_New(0);
    if (P1(self) == NULL)
        return Py_BuildValue("(d)", self->l0);
    return Py_BuildValue("(dd)", self->l0, self->l1);
}

/* The pure engine's internal names, read-only, so its module-level helpers (written against them)
 * work on C nodes too: n-ary and custom nodes keep parents and locals in _parents_n/_local_n. */
static PyObject *
node_get_parents_n(PyObject *o, void *closure)
{
    return (((Node *)o)->flags & F_NARY) ? node_get_parents(o, closure) : PyTuple_New(0);
}

static PyObject *
node_get_local_n(PyObject *o, void *closure)
{
    return (((Node *)o)->flags & F_NARY) ? vg_locals_tuple((Node *)o) : PyTuple_New(0);
}

static PyObject *
node_get_closure(PyObject *o, void *closure)
{
    Node *self = (Node *)o;
    PyObject *fn = vg_has_closure(self) ? EXT(self)->backward : Py_None;
    Py_INCREF(fn);
    return fn;
}

static PyObject *
node_get_is_custom(PyObject *o, void *closure)
{
    return PyBool_FromLong(((Node *)o)->flags & F_CUSTOM);
}

static PyObject *
node_get_is_leaf(PyObject *o, void *closure)
{
    Node *self = (Node *)o;
    int leaf = self->p0 == NULL && !((self->flags & F_NARY) && EXT(self)->n > 0);
    return PyBool_FromLong(leaf);
}

static PyObject *
node_get_label(PyObject *o, void *closure)
{
    Node *self = (Node *)o;
    PyObject *label = (self->flags & F_EXT) && EXT(self)->label ? EXT(self)->label : vg_empty_str;
    Py_INCREF(label);
    return label;
}

static int
vg_set_label(Node *self, PyObject *label)
{
    if (label == Py_None || (PyUnicode_CheckExact(label) && PyUnicode_GET_LENGTH(label) == 0)) {
        if (self->flags & F_EXT)
            Py_CLEAR(EXT(self)->label);
        return 0;
    }
    Ext *ext = vg_ext(self);
    if (ext == NULL)
        return -1;
    Py_INCREF(label);
    Py_XSETREF(ext->label, label);
    if (!PyUnicode_CheckExact(label)) {
        vg_track(self);
        if (IS_NODE(label) && vg_close_over(label) < 0)
            return -1;
    }
    return 0;
}

static int
node_set_label(PyObject *o, PyObject *value, void *closure)
{
    if (value == NULL) {
        PyObject *error = PyObject_CallMethod(vg_errors, "not_deletable", "s", "label");
        if (error != NULL) {
            PyErr_SetObject((PyObject *)Py_TYPE(error), error);
            Py_DECREF(error);
        }
        return -1;
    }
    return vg_set_label((Node *)o, value);
}

static PyObject *
node_get_grad_value(PyObject *o, void *closure)
{
    Node *self = (Node *)o;
    if (!(self->flags & F_EXT) || EXT(self)->grad_value == NULL)
        Py_RETURN_NONE;
    double held = ((Node *)EXT(self)->grad_value)->data;
    if (held != self->grad && !(held != held && self->grad != self->grad)) {
        /* grad moved on without it (a plain backward() added into it): grad_value is stale, and a later
           create_graph backward must start from grad, not from the old graph. As the pure engine. */
        Py_CLEAR(EXT(self)->grad_value);
        Py_RETURN_NONE;
    }
    PyObject *value = EXT(self)->grad_value;
    Py_INCREF(value);
    return value;
}

static int
node_set_grad_value(PyObject *o, PyObject *value, void *closure)
{
    Node *self = (Node *)o;
    if (value == NULL || value == Py_None) {
        if (self->flags & F_EXT)
            Py_CLEAR(EXT(self)->grad_value);
        return 0;
    }
    if (!IS_NODE(value)) {
        PyObject *error = PyObject_CallMethod(vg_errors, "grad_value_not_a_value", "O", value);
        if (error != NULL) {
            PyErr_SetObject((PyObject *)Py_TYPE(error), error);
            Py_DECREF(error);
        }
        return -1;
    }
    Ext *ext = vg_ext(self);
    if (ext == NULL)
        return -1;
    Py_INCREF(value);
    Py_XSETREF(ext->grad_value, value);
    self->grad = ((Node *)value)->data; /* grad is grad_value's float */
    vg_track(self);
    return vg_close_over(value);
}

static PyObject *
node_get_backward(PyObject *o, void *closure)
{
    Node *self = (Node *)o;
    if (vg_has_closure(self)) {
        Py_INCREF(EXT(self)->backward);
        return EXT(self)->backward;
    }
    return PyCFunction_New(&vg_step_def, o);
}

static int
node_set_backward(PyObject *o, PyObject *value, void *closure)
{
    Node *self = (Node *)o;
    if (value == NULL) {
        PyObject *error = PyObject_CallMethod(vg_errors, "not_deletable", "s", "_backward");
        if (error != NULL) {
            PyErr_SetObject((PyObject *)Py_TYPE(error), error);
            Py_DECREF(error);
        }
        return -1;
    }
    /* Any node takes a closure (micrograd's habit): it becomes the node's derivative; a leaf's is never run. */
    if (!PyCallable_Check(value)) {
        PyObject *error = PyObject_CallMethod(vg_errors, "not_callable", "OO", o, value);
        if (error != NULL) {
            PyErr_SetObject((PyObject *)Py_TYPE(error), error);
            Py_DECREF(error);
        }
        return -1;
    }
    Ext *ext = vg_ext(self);
    if (ext == NULL)
        return -1;
    Py_INCREF(value);
    Py_XSETREF(ext->backward, value);
    vg_track(self);
    /* A micrograd closure captures its node and operands: close over those it holds. */
    PyObject *cells = PyFunction_Check(value) ? PyFunction_GET_CLOSURE(value) : NULL;
    if (cells != NULL) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(cells); i++) {
            PyObject *content = PyCell_GET(PyTuple_GET_ITEM(cells, i));
            if (content != NULL && vg_close_over(content) < 0)
                return -1;
        }
    }
    if (PyMethod_Check(value) && vg_close_over(PyMethod_GET_SELF(value)) < 0)
        return -1;
    return 0;
}

/* Attribute assignment as for any object; a node that now holds a __dict__ may be on a cycle
 * through it, so it is tracked by the cycle collector from then on (with what a Value value reaches). */
static int
node_setattro(PyObject *o, PyObject *name, PyObject *value)
{
    if (PyObject_GenericSetAttr(o, name, value) < 0)
        return -1;
    Node *self = (Node *)o;
    if (self->dict != NULL) {
        vg_track(self);
        if (value != NULL && IS_NODE(value) && vg_close_over(value) < 0)
            return -1;
    }
    return 0;
}

/* data and grad take a real number and store float(x), as the pure engine's setters do; anything
 * else (a Value, complex, None, a str) raises autograd.errors.not_a_real, with the same words. */
static int
vg_assigned_float(PyObject *value, const char *what, double *out)
{
    if (value == NULL) {
        PyObject *error = PyObject_CallMethod(vg_errors, "not_deletable", "s", what);
        if (error != NULL) {
            PyErr_SetObject((PyObject *)Py_TYPE(error), error);
            Py_DECREF(error);
        }
        return -1;
    }
    if (PyFloat_CheckExact(value)) {
        *out = PyFloat_AS_DOUBLE(value);
        return 0;
    }
    int real = IS_NODE(value) ? 0 : PyObject_IsInstance(value, vg_real_abc);
    if (real < 0)
        return -1;
    if (!real) {
        PyObject *error = PyObject_CallMethod(vg_errors, "not_a_real", "sO", what, value);
        if (error != NULL) {
            PyErr_SetObject((PyObject *)Py_TYPE(error), error);
            Py_DECREF(error);
        }
        return -1;
    }
    *out = PyFloat_AsDouble(value);
    return (*out == -1.0 && PyErr_Occurred()) ? -1 : 0;
}

static PyObject *
node_get_data(PyObject *o, void *closure)
{
    return PyFloat_FromDouble(((Node *)o)->data);
}

static int
node_set_data(PyObject *o, PyObject *value, void *closure)
{
    return vg_assigned_float(value, "data", &((Node *)o)->data);
}

static PyObject *
node_get_grad(PyObject *o, void *closure)
{
    return PyFloat_FromDouble(((Node *)o)->grad);
}

/* Assigning grad (any value, 0.0 included) drops a grad_value from backward(create_graph=True):
 * the two never disagree, and the old gradient graph is freed (issue 20.3). */
static int
node_set_grad(PyObject *o, PyObject *value, void *closure)
{
    Node *self = (Node *)o;
    if (vg_assigned_float(value, "grad", &self->grad) < 0)
        return -1;
    if (self->flags & F_EXT)
        Py_CLEAR(EXT(self)->grad_value);
    return 0;
}

static PyObject *
node_get_tracked(PyObject *o, void *closure)
{
    return PyBool_FromLong(PyObject_GC_IsTracked(o));
}

static PyGetSetDef node_getset[] = {
    {"data", node_get_data, node_set_data, "The value (a float; assigning takes any real number, as float(x)).", NULL},
    {"grad", node_get_grad, node_set_grad, "d root / d self after backward() (a float; assigning drops grad_value).", NULL},
    {"parents", node_get_parents, NULL, "The inputs this node was computed from, in argument order (empty for a leaf).", NULL},
    {"_prev", node_get_prev, NULL, "The parents as a set, as in micrograd.", NULL},
    {"op", node_get_op, NULL, "The name of the rule that made this node ('' for a leaf, 'const' for a wrapped number).", NULL},
    {"_opname", node_get_op, node_set_op, "The op's name, writable (the base class's _op renames through it).", NULL},
    {"local_grads", node_get_local_grads, NULL, "d self / d parent for each parent, as computed at forward time.", NULL},
    {"is_leaf", node_get_is_leaf, NULL, "True for nodes with no parents: inputs, parameters and constants.", NULL},
    {"label", node_get_label, node_set_label, "A name for drawings and listings ('' when unnamed).", NULL},
    {"grad_value", node_get_grad_value, node_set_grad_value,
     "The gradient as a differentiable Value after backward(create_graph=True), else None.", NULL},
    {"_backward", node_get_backward, node_set_backward,
     "This node's chain-rule step; assign a zero-argument closure to make a custom op.", NULL},
    {"_gc_tracked", node_get_tracked, NULL, "Whether the cycle collector tracks this node (for tests).", NULL},
    {"_grad_value", node_get_grad_value, node_set_grad_value, "grad_value, under the pure engine's slot name.", NULL},
    {"_parents_n", node_get_parents_n, NULL, "Parents of an n-ary or custom node (else ()), as in the pure engine.", NULL},
    {"_local_n", node_get_local_n, NULL, "Stored local derivatives of an n-ary or custom node (else ()).", NULL},
    {"_closure", node_get_closure, NULL, "The _backward closure of a custom node, or None.", NULL},
    {"_is_custom", node_get_is_custom, NULL, "True for a node made by Value(data, _children, _op).", NULL},
    {"__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict, "Users' own attributes (never read by the engine).", NULL},
    {NULL},
};

static PyMemberDef node_members[] = {
    {"__weaklistoffset__", T_PYSSIZET, offsetof(Node, weakreflist), READONLY, NULL},
    {"__dictoffset__", T_PYSSIZET, offsetof(Node, dict), READONLY, NULL},
    {NULL},
};

static Py_hash_t
node_hash(PyObject *o)
{
    size_t y = (size_t)o;
    y = (y >> 4) | (y << (8 * sizeof(void *) - 4));
    Py_hash_t h = (Py_hash_t)y;
    return h == -1 ? -2 : h;
}

static PyObject *
node_sizeof(PyObject *o, PyObject *Py_UNUSED(unused))
{
    Node *self = (Node *)o;
    Py_ssize_t size = Py_TYPE(o)->tp_basicsize;
    if (self->flags & F_EXT) {
        size += sizeof(Ext);
        if (self->flags & F_NARY)
            size += EXT(self)->n * (Py_ssize_t)(sizeof(PyObject *) + sizeof(double));
    }
    return PyLong_FromSsize_t(size);
}

static PyObject *vg_make_node(PyObject *module, PyObject *args);

static PyMethodDef node_methods[] = {
    {"backward", (PyCFunction)(void (*)(void))node_backward, METH_FASTCALL | METH_KEYWORDS,
     "Set grad of every node reachable from this one to d self / d node (create_graph=True: also grad_value)."},
    {"zero_grad", node_zero_grad, METH_NOARGS, "Reset grad (and grad_value) on this node and every node it was computed from."},
    {"_chain_rule_step", node_step_call, METH_NOARGS, "This node's own chain-rule step from its stored local derivatives."},
    {"__sizeof__", node_sizeof, METH_NOARGS, "Bytes of this node (without its GC header)."},
    {"_from_parts", vg_make_node, METH_VARARGS | METH_STATIC, "A node of rule op with these parents and local derivatives: (op, parents, data, locals)."},
    VG_GENERATED_METHODS
    {NULL},
};

static PyType_Slot node_slots[] = {
    {Py_tp_doc, "A scalar node in a computation graph: data, grad and how it was made (C engine)."},
    {Py_tp_dealloc, node_dealloc},
    {Py_tp_traverse, node_traverse},
    {Py_tp_clear, node_clear},
    {Py_tp_alloc, node_alloc},
    {Py_tp_new, node_new},
    {Py_tp_init, node_init},
    {Py_tp_hash, node_hash},
    {Py_tp_setattro, node_setattro},
    {Py_tp_getset, node_getset},
    {Py_tp_members, node_members},
    {Py_tp_methods, node_methods},
    VG_GENERATED_SLOTS
    {0, NULL},
};

static PyType_Spec node_spec = {
    "autograd.value.Value", /* its __module__ is autograd.value, where it replaces the pure class */
    sizeof(Node),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    node_slots,
};

/* ------------------------------------------------------------------------------------------ */
/* Module functions                                                                              */
/* ------------------------------------------------------------------------------------------ */

/* Lift, in place, items[] (references owned by the caller) into nodes. Converting a number can run
 * Python code (a __class__ property, __float__, __index__) that edits whatever list the items came
 * from, so callers snapshot sequences first (vg_snapshot) and nothing here reads anyone else's
 * memory. On failure every reference in items[] is dropped. */
static int
vg_lift_all(PyObject **items, Py_ssize_t n, int op)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        if (IS_NODE(items[i]))
            continue;
        PyObject *node = vg_lift(items[i], op);
        PyObject *item = items[i];
        items[i] = node;
        Py_DECREF(item);
        if (node == NULL) {
            for (Py_ssize_t j = 0; j < n; j++)
                Py_XDECREF(items[j]);
            return -1;
        }
    }
    return 0;
}

/* Own references to an iterable's items, in a new PyMem array with room for ``extra`` more: a
 * snapshot, so converting them later cannot be disturbed by code that edits the original. */
static PyObject **
vg_snapshot(PyObject *iterable, const char *message, Py_ssize_t extra, Py_ssize_t *n)
{
    PyObject *seq = PySequence_Fast(iterable, message);
    if (seq == NULL)
        return NULL;
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = (PyObject **)PyMem_Malloc((size_t)(len + extra > 0 ? len + extra : 1) * sizeof(PyObject *));
    if (items == NULL) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return NULL;
    }
    PyObject **from = PySequence_Fast_ITEMS(seq);
    for (Py_ssize_t i = 0; i < len; i++) {
        items[i] = from[i];
        Py_INCREF(items[i]);
    }
    Py_DECREF(seq);
    *n = len;
    return items;
}

static PyObject *
vg_call_python_apply(PyObject *const *args, Py_ssize_t nargs)
{
    if (vg_hook_apply == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "valuegrad native engine used before autograd.value configured it");
        return NULL;
    }
    return PyObject_Vectorcall(vg_hook_apply, args, (size_t)nargs, NULL);
}

/* apply(op, *inputs): built-in rules here, everything else (custom ops, errors) in Python. */
static PyObject *
vg_apply(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 1 || !PyUnicode_Check(args[0]))
        return vg_call_python_apply(args, nargs);
    PyObject *index = PyDict_GetItemWithError(vg_op_index, args[0]);
    if (index == NULL)
        return PyErr_Occurred() ? NULL : vg_call_python_apply(args, nargs);
    int op = (int)PyLong_AsLong(index);
    Py_ssize_t n = nargs - 1;
    if (op < 2)
        return vg_call_python_apply(args, nargs);
    if (vg_op_arity[op] >= 0) {
        if (n != vg_op_arity[op])
            return vg_call_python_apply(args, nargs);
        return n == 1 ? (IS_NODE(args[1]) ? vg_unary(args[1], op) : vg_call_python_apply(args, nargs))
                      : vg_binary(args[1], args[2], op);
    }
    int k = vg_nary_k[op], extra = vg_nary_extra[op];
    if (n < extra || (n - extra) % k != 0)
        return vg_call_python_apply(args, nargs);
    PyObject **parents = (PyObject **)PyMem_Malloc((size_t)(n ? n : 1) * sizeof(PyObject *));
    if (parents == NULL)
        return PyErr_NoMemory();
    PyObject *result = NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        parents[i] = args[i + 1];
        Py_INCREF(parents[i]);
    }
    if (vg_lift_all(parents, n, op) == 0)
        result = vg_apply_nary(op, parents, n);
    PyMem_Free(parents);
    return result;
}

static PyObject *
vg_vsum(PyObject *module, PyObject *values)
{
    Py_ssize_t n = 0;
    PyObject **parents = vg_snapshot(values, "vsum: expected an iterable of Values or numbers", 0, &n);
    if (parents == NULL)
        return NULL;
    PyObject *result = NULL;
    if (vg_lift_all(parents, n, VG_OP_SUM) == 0)
        result = vg_apply_nary(VG_OP_SUM, parents, n);
    PyMem_Free(parents);
    return result;
}

static PyObject *
vg_dot(PyObject *module, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"weights", "inputs", "bias", NULL};
    PyObject *weights, *inputs, *bias = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO|O:dot", kwlist, &weights, &inputs, &bias))
        return NULL;
    /* One array (*ws, *xs, bias) of owned references, each list copied as soon as it is read (as the
     * pure engine's list(weights), list(inputs)), then lifted in that order. */
    PyObject *seq = PySequence_Fast(weights, "dot: weights must be iterable");
    if (seq == NULL)
        return NULL;
    Py_ssize_t nw = PySequence_Fast_GET_SIZE(seq), n = 2 * nw + 1, have = 0;
    PyObject **parents = (PyObject **)PyMem_Malloc((size_t)n * sizeof(PyObject *));
    PyObject *result = NULL;
    if (parents == NULL) {
        Py_DECREF(seq);
        return PyErr_NoMemory();
    }
    for (; have < nw; have++) {
        parents[have] = PySequence_Fast_ITEMS(seq)[have];
        Py_INCREF(parents[have]);
    }
    Py_SETREF(seq, PySequence_Fast(inputs, "dot: inputs must be iterable"));
    if (seq != NULL && PySequence_Fast_GET_SIZE(seq) != nw)
        PyErr_Format(PyExc_ValueError, "dot: %zd weights but %zd inputs", nw, PySequence_Fast_GET_SIZE(seq));
    else if (seq != NULL) {
        for (Py_ssize_t i = 0; i < nw; i++, have++) {
            parents[have] = PySequence_Fast_ITEMS(seq)[i];
            Py_INCREF(parents[have]);
        }
        parents[have] = bias ? bias : PyFloat_FromDouble(0.0);
        if (bias)
            Py_INCREF(bias);
        if (parents[have] != NULL)
            have++;
    }
    Py_XDECREF(seq);
    if (have == n) {
        if (vg_lift_all(parents, n, VG_OP_DOT) == 0)
            result = vg_apply_nary(VG_OP_DOT, parents, n);
    }
    else {
        for (Py_ssize_t i = 0; i < have; i++)
            Py_DECREF(parents[i]);
    }
    PyMem_Free(parents);
    return result;
}

/* _make_node(op, parents, data, locals): a node for a rule C does not know (custom ops). */
static PyObject *
vg_make_node(PyObject *module, PyObject *args)
{
    PyObject *opname, *parents_in, *locals_in;
    double data;
    if (!PyArg_ParseTuple(args, "UOdO:_make_node", &opname, &parents_in, &data, &locals_in))
        return NULL;
    PyObject *ps = PySequence_Tuple(parents_in);
    if (ps == NULL)
        return NULL;
    PyObject *ls = PySequence_Tuple(locals_in);
    if (ls == NULL) {
        Py_DECREF(ps);
        return NULL;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(ps);
    PyObject *result = NULL;
    PyObject **parents = NULL;
    double *locals = NULL;
    if (PyTuple_GET_SIZE(ls) != n) {
        PyErr_Format(PyExc_ValueError, "%U: %zd parents but %zd local derivatives", opname, n, PyTuple_GET_SIZE(ls));
        goto done;
    }
    int op = vg_lookup_op(opname);
    if (op < 0)
        goto done;
    parents = (PyObject **)PyMem_Malloc((size_t)(n ? n : 1) * sizeof(PyObject *));
    locals = (double *)PyMem_Malloc((size_t)(n ? n : 1) * sizeof(double));
    if (parents == NULL || locals == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *p = PyTuple_GET_ITEM(ps, i);
        if (!IS_NODE(p)) {
            PyErr_Format(PyExc_TypeError, "%U: parent %R is not a Value", opname, p);
            goto done;
        }
        locals[i] = PyFloat_AsDouble(PyTuple_GET_ITEM(ls, i));
        if (locals[i] == -1.0 && PyErr_Occurred())
            goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        parents[i] = PyTuple_GET_ITEM(ps, i);
        Py_INCREF(parents[i]);
    }
    Node *node = vg_new_nary(data, op, op == VG_OP_CUSTOM ? opname : NULL, parents, n, locals);
    result = (PyObject *)node;
done:
    PyMem_Free(parents);
    PyMem_Free(locals);
    Py_DECREF(ps);
    Py_DECREF(ls);
    return result;
}

static PyObject *
vg_configure(PyObject *module, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"grad_enabled", "float_helpers", "real", "base", "errors", "apply", "custom_locals",
                             "pure_value", NULL};
    PyObject *a, *b, *c, *base, *errors, *e, *g, *i;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOOOOOO:_configure", kwlist, &a, &b, &c, &base, &errors, &e, &g, &i))
        return NULL;
    if (!PyContextVar_CheckExact(a)) {
        PyErr_SetString(PyExc_TypeError, "_configure: grad_enabled must be a ContextVar");
        return NULL;
    }
    if (NodeType == NULL) {
        /* The type inherits the shared, slot-less base (autograd/base.py): repr, comparisons, copies. */
        PyObject *bases = PyTuple_Pack(1, base);
        if (bases == NULL)
            return NULL;
        NodeType = (PyTypeObject *)PyType_FromSpecWithBases(&node_spec, bases);
        Py_DECREF(bases);
        if (NodeType == NULL)
            return NULL;
        /* Error messages use tp_name: "'Value' object is not subscriptable", as the pure engine says. */
        NodeType->tp_name = "Value";
        /* CPython inherits tp_richcompare only with tp_hash, and ours hashes by address: take the
         * base's comparisons (<, <=, >, >= on data; == by identity) explicitly. */
        NodeType->tp_richcompare = ((PyTypeObject *)base)->tp_richcompare;
        PyType_Modified(NodeType);
        Py_INCREF(NodeType);
        if (PyModule_AddObject(module, "Value", (PyObject *)NodeType) < 0) {
            Py_DECREF(NodeType);
            return NULL;
        }
    }
    Py_INCREF(i);
    Py_XSETREF(vg_pure_value, i);
    Py_INCREF(g);
    Py_XSETREF(vg_hook_custom_locals, g);
    Py_INCREF(errors);
    Py_XSETREF(vg_errors, errors);
    Py_INCREF(a);
    Py_XSETREF(vg_grad_enabled_var, a);
    vg_grad_version++;
    Py_INCREF(b);
    Py_XSETREF(vg_float_helpers, b);
    Py_INCREF(c);
    Py_XSETREF(vg_real_abc, c);
    Py_INCREF(e);
    Py_XSETREF(vg_hook_apply, e);
    Py_RETURN_NONE;
}

static PyObject *
vg_memory_stats(PyObject *module, PyObject *Py_UNUSED(unused))
{
    return Py_BuildValue("{s:L,s:n,s:n,s:n,s:n,s:n,s:n,s:n}", "live_nodes", vg_live_nodes, "slabs", vg_live_slabs,
                         "empty_slabs", vg_empty, "slab_bytes", (Py_ssize_t)SLAB_BYTES, "node_bytes", (Py_ssize_t)SLOT_SIZE,
                         "keep_empty", (Py_ssize_t)VG_KEEP_EMPTY, "walk_buffer_bytes",
                         vg_spare_order_cap * (Py_ssize_t)sizeof(Node *), "keep_walk_buffer_bytes",
                         VG_KEEP_WALK * (Py_ssize_t)sizeof(Node *));
}

static PyObject *
vg_release_memory(PyObject *module, PyObject *Py_UNUSED(unused))
{
    Py_ssize_t released = 0;
    for (Py_ssize_t s = vg_nslabs - 1; s >= 0; s--) {
        if (vg_slabs[s] != NULL && vg_slabs[s]->nfree == SLAB_SLOTS) {
            slab_release(s);
            released++;
        }
    }
    if (vg_cursor > vg_nslabs)
        vg_cursor = vg_nslabs;
    vg_free_walk_buffers();
    return PyLong_FromSsize_t(released * (Py_ssize_t)SLAB_BYTES);
}

static PyMethodDef module_methods[] = {
    {"topological_order", vg_topological_order, METH_O,
     "Every node root depends on, parents before children, ending with root."},
    {"apply", (PyCFunction)(void (*)(void))vg_apply, METH_FASTCALL, "Apply the rule named op to any number of inputs."},
    {"vsum", vg_vsum, METH_O, "The sum of many values as one node."},
    {"dot", (PyCFunction)(void (*)(void))vg_dot, METH_VARARGS | METH_KEYWORDS, "w0*x0 + w1*x1 + ... + bias as one node."},
    {"_make_node", vg_make_node, METH_VARARGS, "A node for a rule the C engine does not know: (op, parents, data, locals)."},
    {"_configure", (PyCFunction)(void (*)(void))vg_configure, METH_VARARGS | METH_KEYWORDS,
     "Connect the engine to autograd.value's context variables and hooks."},
    {"memory_stats", vg_memory_stats, METH_NOARGS, "Live nodes, slabs and the walk buffer held by the allocator."},
    {"grad_mode_changed", vg_grad_mode_changed, METH_NOARGS,
     "Tell the C engine no_grad's ContextVar was set or reset (it caches the flag per thread and context)."},
    {"release_memory", vg_release_memory, METH_NOARGS, "Return every empty slab to the OS now; returns the bytes freed."},
    {NULL},
};

/* The C tape (compile's replay on this engine): its own file, sharing this one's helpers and Node. */
#include "_tape.c"

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "autograd._native._core", "valuegrad's C engine (see autograd/_native/__init__.py).", -1,
    module_methods,
};

PyMODINIT_FUNC
PyInit__core(void)
{
#ifdef Py_GIL_DISABLED
    PyErr_SetString(PyExc_ImportError,
                    "valuegrad's C engine needs the GIL; this is a free-threaded build, so the pure engine is used");
    return NULL;
#endif
    {
        /* sys.getsizeof adds the GC header to __sizeof__: check our idea of its size. */
        PyObject *list = PyList_New(0), *sys = PyImport_ImportModule("sys");
        PyObject *size = (list && sys) ? PyObject_CallMethod(sys, "getsizeof", "O", list) : NULL;
        Py_ssize_t header = size ? PyLong_AsSsize_t(size) - (Py_ssize_t)PyList_Type.tp_basicsize : -1;
        Py_XDECREF(list);
        Py_XDECREF(sys);
        Py_XDECREF(size);
        if (header != (Py_ssize_t)VG_GC_HEAD) {
            PyErr_Format(PyExc_ImportError, "valuegrad's C engine: unexpected GC header size %zd on this CPython", header);
            return NULL;
        }
    }
    PyObject *module = PyModule_Create(&module_def);
    if (module == NULL)
        return NULL;
    vg_empty_str = PyUnicode_InternFromString("");
    vg_op_index = PyDict_New();
    if (vg_empty_str == NULL || vg_op_index == NULL)
        goto fail;
    for (int i = 0; i < VG_N_OPS; i++) {
        PyObject *name = PyUnicode_InternFromString(vg_op_names[i]);
        PyObject *index = PyLong_FromLong(i);
        if (name == NULL || index == NULL || PyDict_SetItem(vg_op_index, name, index) < 0) {
            Py_XDECREF(name);
            Py_XDECREF(index);
            goto fail;
        }
        Py_DECREF(index);
        vg_op_strings[i] = name;
    }
    /* The Value type is made by _configure, once the shared base class it inherits exists. */
    if (PyModule_AddIntConstant(module, "NODE_BYTES", (long)SLOT_SIZE) < 0)
        goto fail;
    if (PyModule_AddStringConstant(module, "RULES_DIGEST", VG_RULES_DIGEST) < 0)
        goto fail;
    if (PyModule_AddObject(module, "EPOCH_LIMIT", PyLong_FromUnsignedLong(VG_EPOCH_LIMIT)) < 0)
        goto fail;
    if (vg_tape_init(module) < 0)
        goto fail;
    return module;
fail:
    Py_DECREF(module);
    return NULL;
}
