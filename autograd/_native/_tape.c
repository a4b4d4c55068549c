/* The C tape: a traced graph (autograd/replay.py) run as flat arrays, with no Python per operation.
 *
 * Included by _core.c after _ops.h, so the opcode bodies (_tape_ops.h, generated from
 * autograd/rules.py) use the very formula helpers the C engine's operators use: the tape computes
 * the same IEEE operations in the same order as eager mode and as the Python replay.
 *
 * Layout. Every value of a program lives in one array v of doubles, indexed by slot: the
 * parameters first (slots 0..nparams), then each traced variant's constants, inputs and nodes.
 * An instruction is (op, dst, flag, its operand slots args[argstart .. argstart + nargs)). For a
 * node, op is its rule's VG_OP_* index; negative ops are guards (-1: a comparison, -2: "this slot
 * still holds the traced number"), whose dst is the guard's number. The backward pass walks a
 * variant's instructions in reverse; for a node with flag 1 (a gradient reaches it) each operand
 * has an action: 0 none (a constant), 1 assign its gradient, 2 add to it, decided when lowering
 * exactly as the Python replay writes `g = ...` or `g += ...`, so even the sign of a zero agrees.
 * Parameters' gradients accumulate in g from their .grad and are written back only when a call
 * succeeds: a replay that raises writes no gradient. Nothing is allocated per call but results.
 *
 * Built and driven by autograd/tape.py; the Python side raises StructureChanged for a failed guard
 * through the `changed(k, now, sample)` callable given at construction. */

#include "_tape_ops.h"

typedef struct {
    int32_t begin, end;        /* its instructions */
    int32_t output;            /* the output's slot */
    int32_t ninputs, naux;
    int32_t *inputs;           /* input k's slot */
    int32_t *input_grads;      /* input k's gradient slot, or -1 when no gradient reaches it */
    int32_t *aux;              /* auxiliary outputs' slots */
} TapeVariant;

typedef struct {
    PyObject_HEAD
    Py_ssize_t nslots, nparams, ninstr, nargs;
    int with_grad;
    double *v, *g;
    int32_t *op, *dst, *flag, *argstart, *nargv, *args;
    int8_t *action;
    Py_ssize_t nvariants;
    TapeVariant *variants;
    PyObject **params;         /* strong references */
    int8_t *param_grad;        /* 1: the program writes this parameter's gradient */
    PyObject *changed;
} TapeObject;

static PyTypeObject *TapeType = NULL;

static void
tape_dealloc(TapeObject *t)
{
    if (t->params != NULL) {
        for (Py_ssize_t j = 0; j < t->nparams; j++)
            Py_XDECREF(t->params[j]);
    }
    if (t->variants != NULL) {
        for (Py_ssize_t k = 0; k < t->nvariants; k++) {
            PyMem_Free(t->variants[k].inputs);
            PyMem_Free(t->variants[k].input_grads);
            PyMem_Free(t->variants[k].aux);
        }
    }
    PyMem_Free(t->variants);
    PyMem_Free(t->params);
    PyMem_Free(t->param_grad);
    PyMem_Free(t->v);
    PyMem_Free(t->g);
    PyMem_Free(t->op);
    PyMem_Free(t->dst);
    PyMem_Free(t->flag);
    PyMem_Free(t->argstart);
    PyMem_Free(t->nargv);
    PyMem_Free(t->args);
    PyMem_Free(t->action);
    Py_XDECREF(t->changed);
    PyTypeObject *type = Py_TYPE(t);
    type->tp_free((PyObject *)t);
    Py_DECREF(type);
}

/* A list of ints into a new int32 array of exactly `n` items (n < 0: any length, stored in *out_n). */
static int32_t *
tape_ints(PyObject *list, Py_ssize_t n, Py_ssize_t *out_n, const char *what)
{
    if (!PyList_Check(list)) {
        PyErr_Format(PyExc_TypeError, "tape: %s must be a list", what);
        return NULL;
    }
    Py_ssize_t len = PyList_GET_SIZE(list);
    if (n >= 0 && len != n) {
        PyErr_Format(PyExc_ValueError, "tape: %s has %zd items, expected %zd", what, len, n);
        return NULL;
    }
    int32_t *out = PyMem_Malloc(sizeof(int32_t) * (size_t)(len > 0 ? len : 1));
    if (out == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        long x = PyLong_AsLong(PyList_GET_ITEM(list, i));
        if (x == -1 && PyErr_Occurred()) {
            PyMem_Free(out);
            return NULL;
        }
        out[i] = (int32_t)x;
    }
    if (out_n != NULL)
        *out_n = len;
    return out;
}

static int
tape_check_slots(TapeObject *t, const int32_t *slots, Py_ssize_t n, int allow_missing)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        if (slots[i] >= t->nslots || slots[i] < (allow_missing ? -1 : 0)) {
            PyErr_Format(PyExc_ValueError, "tape: slot %d out of range", (int)slots[i]);
            return -1;
        }
    }
    return 0;
}

/* Tape(params, param_grad, nslots, const_slots, const_values, op, dst, flag, argstart, nargs, args, action,
 *      variants, changed, with_grad); a variant is (begin, end, output, inputs, input_grads, aux). */
static PyObject *
tape_new(PyTypeObject *type, PyObject *a, PyObject *kw)
{
    PyObject *params, *param_grad, *const_slots, *const_values, *op, *dst, *flag, *argstart, *nargs, *args, *action,
        *variants, *changed;
    Py_ssize_t nslots;
    int with_grad;
    if (kw != NULL && PyDict_GET_SIZE(kw)) {
        PyErr_SetString(PyExc_TypeError, "Tape takes no keyword arguments");
        return NULL;
    }
    if (!PyArg_ParseTuple(a, "O!O!nO!O!O!O!O!O!O!O!O!O!Op", &PyList_Type, &params, &PyList_Type, &param_grad, &nslots,
                          &PyList_Type, &const_slots, &PyList_Type, &const_values, &PyList_Type, &op, &PyList_Type, &dst,
                          &PyList_Type, &flag, &PyList_Type, &argstart, &PyList_Type, &nargs, &PyList_Type, &args,
                          &PyList_Type, &action, &PyList_Type, &variants, &changed, &with_grad))
        return NULL;
    TapeObject *t = (TapeObject *)type->tp_alloc(type, 0);
    if (t == NULL)
        return NULL;
    t->with_grad = with_grad;
    t->nslots = nslots;
    t->nparams = PyList_GET_SIZE(params);
    Py_INCREF(changed);
    t->changed = changed;
    if (nslots < t->nparams || nslots > INT32_MAX)
        goto bad;
    t->params = PyMem_Calloc((size_t)(t->nparams + 1), sizeof(PyObject *));
    t->v = PyMem_Calloc((size_t)(nslots + 1), sizeof(double));
    t->g = PyMem_Calloc((size_t)(nslots + 1), sizeof(double));
    if (t->params == NULL || t->v == NULL || t->g == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t j = 0; j < t->nparams; j++) {
        PyObject *p = PyList_GET_ITEM(params, j);
        Py_INCREF(p);
        t->params[j] = p;
    }
    int32_t *pg = tape_ints(param_grad, t->nparams, NULL, "param_grad");
    if (pg == NULL)
        goto fail;
    t->param_grad = PyMem_Malloc((size_t)(t->nparams + 1));
    if (t->param_grad == NULL) {
        PyMem_Free(pg);
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t j = 0; j < t->nparams; j++)
        t->param_grad[j] = (int8_t)(pg[j] != 0);
    PyMem_Free(pg);
    {
        Py_ssize_t nconst = PyList_GET_SIZE(const_slots);
        int32_t *cs = tape_ints(const_slots, -1, NULL, "const_slots");
        if (cs == NULL)
            goto fail;
        if (PyList_GET_SIZE(const_values) != nconst || tape_check_slots(t, cs, nconst, 0) < 0) {
            PyMem_Free(cs);
            goto bad;
        }
        for (Py_ssize_t i = 0; i < nconst; i++) {
            double x = PyFloat_AsDouble(PyList_GET_ITEM(const_values, i));
            if (x == -1.0 && PyErr_Occurred()) {
                PyMem_Free(cs);
                goto fail;
            }
            t->v[cs[i]] = x;
        }
        PyMem_Free(cs);
    }
    if ((t->op = tape_ints(op, -1, &t->ninstr, "op")) == NULL || (t->dst = tape_ints(dst, t->ninstr, NULL, "dst")) == NULL ||
        (t->flag = tape_ints(flag, t->ninstr, NULL, "flag")) == NULL ||
        (t->argstart = tape_ints(argstart, t->ninstr, NULL, "argstart")) == NULL ||
        (t->nargv = tape_ints(nargs, t->ninstr, NULL, "nargs")) == NULL ||
        (t->args = tape_ints(args, -1, &t->nargs, "args")) == NULL)
        goto fail;
    if (tape_check_slots(t, t->args, t->nargs, 0) < 0)
        goto fail;
    for (Py_ssize_t i = 0; i < t->ninstr; i++) {
        if (t->argstart[i] < 0 || t->nargv[i] < 0 || (Py_ssize_t)t->argstart[i] + t->nargv[i] > t->nargs)
            goto bad;
        if (t->op[i] >= 0 && (t->dst[i] < t->nparams || t->dst[i] >= nslots))
            goto bad;
        if (t->op[i] < 0 && t->nargv[i] != 2)
            goto bad;
    }
    {
        int32_t *act = tape_ints(action, t->nargs, NULL, "action");
        if (act == NULL)
            goto fail;
        t->action = PyMem_Malloc((size_t)(t->nargs + 1));
        if (t->action == NULL) {
            PyMem_Free(act);
            PyErr_NoMemory();
            goto fail;
        }
        for (Py_ssize_t i = 0; i < t->nargs; i++)
            t->action[i] = (int8_t)act[i];
        PyMem_Free(act);
    }
    t->nvariants = PyList_GET_SIZE(variants);
    t->variants = PyMem_Calloc((size_t)(t->nvariants + 1), sizeof(TapeVariant));
    if (t->variants == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t k = 0; k < t->nvariants; k++) {
        TapeVariant *var = &t->variants[k];
        PyObject *inputs, *input_grads, *aux;
        int begin, end, output;
        if (!PyArg_ParseTuple(PyList_GET_ITEM(variants, k), "iiiO!O!O!", &begin, &end, &output, &PyList_Type, &inputs,
                              &PyList_Type, &input_grads, &PyList_Type, &aux))
            goto fail;
        var->begin = begin;
        var->end = end;
        var->output = output;
        Py_ssize_t ni, na;
        if ((var->inputs = tape_ints(inputs, -1, &ni, "inputs")) == NULL ||
            (var->input_grads = tape_ints(input_grads, ni, NULL, "input_grads")) == NULL ||
            (var->aux = tape_ints(aux, -1, &na, "aux")) == NULL)
            goto fail;
        var->ninputs = (int32_t)ni;
        var->naux = (int32_t)na;
        if (begin < 0 || end < begin || end > t->ninstr || output < t->nparams || output >= nslots ||
            tape_check_slots(t, var->inputs, ni, 0) < 0 || tape_check_slots(t, var->input_grads, ni, 1) < 0 ||
            tape_check_slots(t, var->aux, na, 0) < 0)
            goto bad;
    }
    return (PyObject *)t;
bad:
    if (!PyErr_Occurred())
        PyErr_SetString(PyExc_ValueError, "tape: inconsistent arrays");
fail:
    Py_DECREF(t);
    return NULL;
}

static int
tape_read(PyObject *p, const char *name, double *out)
{
    if (IS_NODE(p)) {
        *out = name[0] == 'd' ? ((Node *)p)->data : ((Node *)p)->grad;
        return 0;
    }
    PyObject *x = PyObject_GetAttrString(p, name);
    if (x == NULL)
        return -1;
    *out = PyFloat_AsDouble(x);
    Py_DECREF(x);
    return (*out == -1.0 && PyErr_Occurred()) ? -1 : 0;
}

static int
tape_write_grad(PyObject *p, double x)
{
    if (IS_NODE(p)) {
        ((Node *)p)->grad = x;
        return 0;
    }
    PyObject *f = PyFloat_FromDouble(x);
    if (f == NULL)
        return -1;
    int r = PyObject_SetAttrString(p, "grad", f);
    Py_DECREF(f);
    return r;
}

/* Read the parameters' data (and, with gradients, their .grad into the accumulators). */
static int
tape_load(TapeObject *t)
{
    for (Py_ssize_t j = 0; j < t->nparams; j++) {
        if (tape_read(t->params[j], "data", &t->v[j]) < 0)
            return -1;
        if (t->with_grad && t->param_grad[j] && tape_read(t->params[j], "grad", &t->g[j]) < 0)
            return -1;
    }
    return 0;
}

static int
tape_store(TapeObject *t)
{
    if (!t->with_grad)
        return 0;
    for (Py_ssize_t j = 0; j < t->nparams; j++) {
        if (t->param_grad[j] && tape_write_grad(t->params[j], t->g[j]) < 0)
            return -1;
    }
    return 0;
}

static void
tape_changed(TapeObject *t, int32_t k, double now, Py_ssize_t sample)
{
    PyObject *s = sample < 0 ? Py_NewRef(Py_None) : PyLong_FromSsize_t(sample);
    PyObject *r = s ? PyObject_CallFunction(t->changed, "idO", (int)k, now, s) : NULL;
    Py_XDECREF(s);
    if (r != NULL) {
        Py_DECREF(r);
        PyErr_Format(PyExc_RuntimeError, "tape: guard %d failed but changed() did not raise", (int)k);
    }
}

/* Forward (and backward) of one variant on the inputs already in v. Returns 0, or -1 with an error set. */
static int
tape_variant(TapeObject *t, const TapeVariant *var, double seed, Py_ssize_t sample)
{
    double *v = t->v, *g = t->g;
    const int32_t *args = t->args;
    for (int32_t i = var->begin; i < var->end; i++) {
        const int op = t->op[i];
        const int32_t *arg = args + t->argstart[i];
        if (op >= 0) {
            int r = vg_tape_forward(op, t->nargv[i], arg, t->dst[i], v);
            if (r == 0)
                continue;
            if (r == -2)
                PyErr_Format(PyExc_RuntimeError, "tape: op %d has no opcode in this build", op);
            return -1;
        }
        const double left = v[arg[0]], right = v[arg[1]];
        int holds;
        if (op == -1) { /* comparison: flag = kind * 2 + traced result; kinds <, <=, >, >= */
            const int kind = t->flag[i] >> 1, traced = t->flag[i] & 1;
            const int now = kind == 0 ? left < right : kind == 1 ? left <= right : kind == 2 ? left > right : left >= right;
            holds = now == traced;
        }
        else { /* the traced number: flag 1 when it was nan, which any nan matches */
            holds = t->flag[i] ? left != left : left == right;
        }
        if (!holds) {
            tape_changed(t, t->dst[i], left, sample);
            return -1;
        }
    }
    if (!t->with_grad)
        return 0;
    g[var->output] = seed;
    for (int32_t i = var->end - 1; i >= var->begin; i--) {
        if (t->op[i] < 0 || !t->flag[i])
            continue;
        const int32_t start = t->argstart[i];
        if (vg_tape_backward(t->op[i], t->nargv[i], args + start, t->action + start, t->dst[i], v, g, g[t->dst[i]]) < 0)
            return -1;
    }
    return 0;
}

static int
tape_set_inputs(TapeObject *t, const TapeVariant *var, PyObject *inputs)
{
    PyObject *seq = PySequence_Fast(inputs, "tape: inputs must be a sequence of floats");
    if (seq == NULL)
        return -1;
    if (PySequence_Fast_GET_SIZE(seq) != var->ninputs) {
        PyErr_Format(PyExc_ValueError, "tape: %zd inputs for a trace of %d", PySequence_Fast_GET_SIZE(seq), (int)var->ninputs);
        Py_DECREF(seq);
        return -1;
    }
    PyObject **items = PySequence_Fast_ITEMS(seq);
    for (int32_t k = 0; k < var->ninputs; k++) {
        double x = PyFloat_AsDouble(items[k]);
        if (x == -1.0 && PyErr_Occurred()) {
            Py_DECREF(seq);
            return -1;
        }
        t->v[var->inputs[k]] = x;
    }
    Py_DECREF(seq);
    return 0;
}

/* tape.run(inputs, seed): one call of variant 0. Returns the output, or (output, [d output / d input]). */
static PyObject *
tape_run(TapeObject *t, PyObject *a)
{
    PyObject *inputs;
    double seed = 1.0;
    if (!PyArg_ParseTuple(a, "O|d", &inputs, &seed))
        return NULL;
    if (t->nvariants != 1) {
        PyErr_SetString(PyExc_ValueError, "tape.run: a tape of one trace only (use run_rows)");
        return NULL;
    }
    const TapeVariant *var = &t->variants[0];
    if (tape_set_inputs(t, var, inputs) < 0 || tape_load(t) < 0 || tape_variant(t, var, seed, -1) < 0 || tape_store(t) < 0)
        return NULL;
    PyObject *value = PyFloat_FromDouble(t->v[var->output]);
    if (value == NULL || !t->with_grad)
        return value;
    PyObject *grads = PyList_New(var->ninputs);
    if (grads == NULL) {
        Py_DECREF(value);
        return NULL;
    }
    for (int32_t k = 0; k < var->ninputs; k++) {
        int32_t s = var->input_grads[k];
        PyObject *x = PyFloat_FromDouble(s < 0 ? 0.0 : t->g[s]);
        if (x == NULL) {
            Py_DECREF(value);
            Py_DECREF(grads);
            return NULL;
        }
        PyList_SET_ITEM(grads, k, x);
    }
    return Py_BuildValue("(NN)", value, grads);
}

/* tape.run_rows(rows, seed): rows are (variant, inputs) per sample, run last to first (backward()'s order on
 * a batch mean). Returns one (loss, aux floats tuple) per sample, in the batch's order. */
static PyObject *
tape_run_rows(TapeObject *t, PyObject *a)
{
    PyObject *rows;
    double seed;
    if (!PyArg_ParseTuple(a, "O!d", &PyList_Type, &rows, &seed))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(rows);
    PyObject *results = PyList_New(n);
    if (results == NULL)
        return NULL;
    if (tape_load(t) < 0)
        goto fail;
    for (Py_ssize_t i = n - 1; i >= 0; i--) {
        PyObject *row = PyList_GET_ITEM(rows, i);
        if (!PyTuple_Check(row) || PyTuple_GET_SIZE(row) != 2) {
            PyErr_SetString(PyExc_TypeError, "tape.run_rows: each row must be (variant, inputs)");
            goto fail;
        }
        Py_ssize_t k = PyLong_AsSsize_t(PyTuple_GET_ITEM(row, 0));
        if (k == -1 && PyErr_Occurred())
            goto fail;
        if (k < 0 || k >= t->nvariants) {
            PyErr_Format(PyExc_ValueError, "tape.run_rows: no variant %zd", k);
            goto fail;
        }
        const TapeVariant *var = &t->variants[k];
        if (tape_set_inputs(t, var, PyTuple_GET_ITEM(row, 1)) < 0 || tape_variant(t, var, seed, i) < 0)
            goto fail;
        PyObject *aux = PyTuple_New(var->naux);
        PyObject *loss = PyFloat_FromDouble(t->v[var->output]);
        if (aux == NULL || loss == NULL) {
            Py_XDECREF(aux);
            Py_XDECREF(loss);
            goto fail;
        }
        for (int32_t j = 0; j < var->naux; j++) {
            PyObject *x = PyFloat_FromDouble(t->v[var->aux[j]]);
            if (x == NULL) {
                Py_DECREF(aux);
                Py_DECREF(loss);
                goto fail;
            }
            PyTuple_SET_ITEM(aux, j, x);
        }
        PyObject *pair = PyTuple_Pack(2, loss, aux);
        Py_DECREF(loss);
        Py_DECREF(aux);
        if (pair == NULL)
            goto fail;
        PyList_SET_ITEM(results, i, pair);
    }
    if (tape_store(t) < 0)
        goto fail;
    return results;
fail:
    Py_DECREF(results);
    return NULL;
}

/* tape.sgd(lr): p.data -= lr * p.grad for every parameter the tape reads, in order (an optimizer step in C). */
static PyObject *
tape_sgd(TapeObject *t, PyObject *arg)
{
    double lr = PyFloat_AsDouble(arg);
    if (lr == -1.0 && PyErr_Occurred())
        return NULL;
    for (Py_ssize_t j = 0; j < t->nparams; j++) {
        PyObject *p = t->params[j];
        if (IS_NODE(p)) {
            Node *node = (Node *)p;
            node->data -= lr * node->grad;
            continue;
        }
        double data, grad;
        if (tape_read(p, "data", &data) < 0 || tape_read(p, "grad", &grad) < 0)
            return NULL;
        PyObject *f = PyFloat_FromDouble(data - lr * grad);
        if (f == NULL || PyObject_SetAttrString(p, "data", f) < 0) {
            Py_XDECREF(f);
            return NULL;
        }
        Py_DECREF(f);
    }
    Py_RETURN_NONE;
}

/* tape.zero_grad(): every parameter's .grad = 0.0. */
static PyObject *
tape_zero_grad(TapeObject *t, PyObject *Py_UNUSED(unused))
{
    for (Py_ssize_t j = 0; j < t->nparams; j++) {
        if (tape_write_grad(t->params[j], 0.0) < 0)
            return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
tape_get_size(TapeObject *t, void *Py_UNUSED(closure))
{
    return Py_BuildValue("{snsnsnsn}", "slots", t->nslots, "instructions", t->ninstr, "operands", t->nargs, "parameters",
                         t->nparams);
}

static PyMethodDef tape_methods[] = {
    {"run", (PyCFunction)tape_run, METH_VARARGS, "run(inputs, seed=1.0): one call of a single-trace tape."},
    {"run_rows", (PyCFunction)tape_run_rows, METH_VARARGS, "run_rows(rows, seed): a per-sample tape over a batch."},
    {"sgd", (PyCFunction)tape_sgd, METH_O, "sgd(lr): p.data -= lr * p.grad for every parameter the tape reads."},
    {"zero_grad", (PyCFunction)tape_zero_grad, METH_NOARGS, "Set every parameter's grad to 0.0."},
    {NULL},
};

static PyGetSetDef tape_getset[] = {
    {"size", (getter)tape_get_size, NULL, "slots, instructions, operands and parameters of the tape", NULL},
    {NULL},
};

static PyType_Slot tape_slots[] = {
    {Py_tp_new, tape_new},
    {Py_tp_dealloc, tape_dealloc},
    {Py_tp_methods, tape_methods},
    {Py_tp_getset, tape_getset},
    {Py_tp_doc, "A traced graph as flat arrays, run in C (built by autograd/tape.py)."},
    {0, NULL},
};

static PyType_Spec tape_spec = {"autograd._native._core.Tape", sizeof(TapeObject), 0, Py_TPFLAGS_DEFAULT, tape_slots};

/* Called from PyInit__core: adds the Tape type to the module. */
static int
vg_tape_init(PyObject *module)
{
    TapeType = (PyTypeObject *)PyType_FromSpec(&tape_spec);
    if (TapeType == NULL)
        return -1;
    Py_INCREF(TapeType);
    if (PyModule_AddObject(module, "Tape", (PyObject *)TapeType) < 0) {
        Py_DECREF(TapeType);
        return -1;
    }
    return 0;
}
