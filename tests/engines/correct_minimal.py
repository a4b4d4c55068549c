# mypy: ignore-errors
"""A correct engine with only +, * and relu (everything else is reported missing, not failed).

PLANTED: none
"""

PLANTED = ""
BLAMED = ""


class Value:
    def __init__(self, data, _children=(), _op=""):
        self.data = float(data)
        self.grad = 0.0
        self._prev = _children
        self._locals = ()

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))
        out._locals = (1.0, 1.0)
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))
        out._locals = (other.data, self.data)
        return out

    def relu(self):
        out = Value(max(self.data, 0.0), (self,))
        out._locals = (1.0 if self.data > 0 else 0.0,)
        return out

    def backward(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((p, False) for p in node._prev)
        for node in order:
            node.grad = 0.0 if node._prev else node.grad
        self.grad += 1.0
        for node in reversed(order):
            for parent, local in zip(node._prev, node._locals):
                parent.grad += local * node.grad
