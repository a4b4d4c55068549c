# mypy: ignore-errors
"""A correct engine in another style: nodes store local derivatives (no closures), Kahn's algorithm, odd names.

Its data lives in ``.value`` and its tanh is called ``tan_h``: the checker finds both by behaviour.

PLANTED: none
"""

import math

PLANTED = ""
BLAMED = ""


class Node:
    def __init__(self, value, parents=(), locals_=()):
        self.value = float(value)
        self.grad = 0.0
        self.parents = tuple(parents)
        self.locals = tuple(locals_)

    @staticmethod
    def lift(x):
        return x if isinstance(x, Node) else Node(x)

    def __add__(self, other):
        other = Node.lift(other)
        return Node(self.value + other.value, (self, other), (1.0, 1.0))

    __radd__ = __add__

    def __mul__(self, other):
        other = Node.lift(other)
        return Node(self.value * other.value, (self, other), (other.value, self.value))

    __rmul__ = __mul__

    def __sub__(self, other):
        other = Node.lift(other)
        return Node(self.value - other.value, (self, other), (1.0, -1.0))

    def __rsub__(self, other):
        return Node.lift(other) - self

    def __truediv__(self, other):
        other = Node.lift(other)
        q = self.value / other.value
        return Node(q, (self, other), (1.0 / other.value, -q / other.value))

    def __rtruediv__(self, other):
        return Node.lift(other) / self

    def __pow__(self, other):
        if isinstance(other, Node):
            out = self.value**other.value
            return Node(out, (self, other), (other.value * self.value ** (other.value - 1), out * math.log(self.value)))
        return Node(self.value**other, (self,), (other * self.value ** (other - 1),))

    def __rpow__(self, other):
        return Node.lift(other) ** self

    def __neg__(self):
        return Node(-self.value, (self,), (-1.0,))

    def exp(self):
        e = math.exp(self.value)
        return Node(e, (self,), (e,))

    def tan_h(self):
        t = math.tanh(self.value)
        return Node(t, (self,), (1.0 - t * t,))

    def backward(self):
        # Kahn's algorithm: count each node's consumers, release a node once all of them are done.
        consumers, seen, stack = {}, {id(self)}, [self]
        while stack:
            node = stack.pop()
            for parent in node.parents:
                consumers[id(parent)] = consumers.get(id(parent), 0) + 1
                if id(parent) not in seen:
                    seen.add(id(parent))
                    stack.append(parent)
        if self.parents:
            self.grad = 0.0
        self.grad += 1.0
        ready, fresh = [self], set()
        while ready:
            node = ready.pop()
            for parent, local in zip(node.parents, node.locals):
                if parent.parents and id(parent) not in fresh:
                    fresh.add(id(parent))
                    parent.grad = 0.0
                parent.grad += local * node.grad
                consumers[id(parent)] -= 1
                if consumers[id(parent)] == 0:
                    ready.append(parent)
