"""The neuron inspector: one neuron's equations with the real numbers of one training sample.

Forward: z = sum_i w_i x_i + b (then batch norm when it is on), a = f(z), f'(z). Backward,
the chain rule: dL/dz = f'(z) x sum_k W_jk dL/dz_k over the next layer's neurons (times
gamma_k / sigma_k with batch norm), its largest terms listed; for an output neuron dL/dz
comes straight from the loss. Then dL/dw_i = x_i dL/dz for the incoming weights and dL/db.
After a manual step it shows what happened to those weights: the change against -lr times
the step's minibatch gradient (equal for plain SGD; momentum, RMSprop and Adam differ).
Every number is the trace's (``Trainer.trace``), so the inspector shows exactly what the
engine computed.
"""

from __future__ import annotations

import numpy as np
from rich.text import Text

from gradtui.engine.inspect.trace import LayerTrace, chain_terms

from gradtui.tui.network.diagram import DEAD, SATURATED
from gradtui.tui.network.picture import NetworkPicture

HEAD, FORWARD, BACKWARD, NOTE = "bold", "bold #5fd7ff", "bold #ffaf00", "dim"
LOSS_GRADIENT = {
    "cross_entropy": "softmax(out) - target",
    "bce": "sigmoid(out) - target",
    "mse": "2 (out - target) / n_out",
    "mae": "sign(out - target) / n_out",
    "hinge": "-target inside the margin, else 0",
}


def num(value: float) -> str:
    """A number in 4 significant digits, wrapped in parentheses when negative (for products)."""
    value = float(value) + 0.0  # no -0
    text = f"{value:.4g}"
    return f"({text})" if value < 0 else text


def plain(value: float) -> str:
    return f"{float(value) + 0.0:.4g}"


def largest_first(terms: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` terms of largest magnitude, largest first (NaN first of all)."""
    key = np.nan_to_num(np.abs(terms), nan=np.inf)
    return np.argsort(-key, kind="stable")[:count]


def _sum_line(text: Text, lhs: str, factors: list[tuple[float, float]], extra: str, total: float,
              shown: int, n: int) -> None:
    products = " + ".join(f"{num(a)}×{num(b)}" for a, b in factors[:shown])
    more = f" + … ({n - shown} more)" if n > shown else ""
    text.append(f"  {lhs} = {products}{more}{extra} = ")
    text.append(plain(total) + "\n", style="bold")


def inspector_text(picture: NetworkPicture, layer_index: int, unit: int, terms: int = 4,
                   previous: NetworkPicture | None = None) -> Text:
    """The inspector for neuron ``unit`` of dense layer ``layer_index``; ``terms`` caps each
    listed sum; ``previous`` (the picture one manual step earlier) adds what the step did."""
    trace = picture.trace
    lt = trace.layers[layer_index]
    layer = picture.layers[layer_index]
    last = layer_index == len(trace.layers) - 1
    text = Text(no_wrap=True, overflow="ellipsis")
    role = "output" if last else "hidden"
    text.append(f"{lt.name} unit {unit}", style=HEAD)
    text.append(f" · {role} · {lt.activation}\n")
    label = "" if trace.label is None else f" · label {trace.label}"
    text.append(f"sample {trace.index}{label} · loss {plain(trace.loss)} · step {picture.step}\n", style=NOTE)
    _forward(text, lt, unit, terms)
    _backward(text, picture, layer_index, unit, terms, last)
    _incoming(text, lt, unit, terms)
    _health(text, picture, layer_index, unit)
    if previous is not None and previous.step == picture.step - 1:
        _step(text, previous, picture, layer_index, unit, terms)
    return text


def _forward(text: Text, lt: LayerTrace, j: int, terms: int) -> None:
    text.append("forward\n", style=FORWARD)
    w, x = lt.W[:, j], lt.x
    order = largest_first(w * x, terms)
    _sum_line(text, "z = Σ w·x + b" if lt.mean is None else "h = Σ w·x + b",
              [(w[i], x[i]) for i in order], f" + {num(lt.b[j])}", lt.h[j], len(order), len(w))
    if lt.mean is not None:
        text.append(f"  z = γ(h-μ)/σ+β = {num(lt.gamma[j])}×({plain(lt.h[j])}-{num(lt.mean[j])})"
                    f"/{plain(lt.std[j])}+{num(lt.beta[j])} = ")
        text.append(plain(lt.z[j]) + "\n", style="bold")
    text.append(f"  a = {lt.activation}(z) = ")
    text.append(plain(lt.a[j]), style="bold")
    text.append(f"   f'(z) = {plain(lt.fprime[j])}\n")


def _backward(text: Text, picture: NetworkPicture, l: int, j: int, terms: int, last: bool) -> None:
    trace = picture.trace
    lt = trace.layers[l]
    text.append("backward: the chain rule\n", style=BACKWARD)
    if last:
        rule = LOSS_GRADIENT.get(picture.loss, "dloss/dout")
        text.append(f"  dL/da = {rule}\n  out {plain(trace.output[j])}, target {plain(trace.target[j])}: dL/da = ")
        text.append(plain(lt.da[j]) + "\n", style="bold")
    else:
        contributions = chain_terms(trace, l, j)
        after = trace.layers[l + 1]
        order = largest_first(contributions, terms)
        scale = "" if after.mean is None else "·γ/σ"
        _sum_line(text, f"dL/da = Σk W{scale}·dL/dz", [(after.W[j, k] * after.scale[k], after.dz[k]) for k in order],
                  "", lt.da[j], len(order), len(contributions))
        if len(order):
            top = order[0]
            text.append(f"  largest: k={top} contributes {plain(contributions[top])}\n", style=NOTE)
    text.append(f"  dL/dz = f'(z)×dL/da = {num(lt.fprime[j])}×{num(lt.da[j])} = ")
    text.append(plain(lt.dz[j]) + "\n", style="bold")


def _incoming(text: Text, lt: LayerTrace, j: int, terms: int) -> None:
    scale = "" if lt.mean is None else "·γ/σ"
    text.append(f"  dL/db = dL/dz{scale} = {plain(lt.db[j])}\n")
    text.append(f"  dL/dw_i = x_i·dL/db, largest first:\n", style=NOTE)
    text.append(f"  {'i':>3} {'w_i':>9} {'x_i':>9} {'dL/dw_i':>9}\n", style=NOTE)
    grads = lt.dW[:, j]
    for i in largest_first(grads, terms):
        text.append(f"  {i:>3} {plain(lt.W[i, j]):>9} {plain(lt.x[i]):>9} {plain(grads[i]):>9}\n")
    if len(grads) > terms:
        text.append(f"  … {len(grads) - terms} more\n", style=NOTE)


def _health(text: Text, picture: NetworkPicture, l: int, j: int) -> None:
    layer = picture.layers[l]
    state = int(layer.state[j])
    if state == DEAD:
        text.append(f"dead since step {layer.since[j]}: 0 on every probe sample\n", style="bold #a0a0a0")
    elif state == SATURATED:
        text.append(f"saturated since step {layer.since[j]}: f'(z) tiny on every probe sample\n",
                    style="bold #ff8c00")


def _step(text: Text, before: NetworkPicture, after: NetworkPicture, l: int, j: int, terms: int) -> None:
    """What the last manual step did to this neuron's incoming weights."""
    old, new, grad = before.layers[l].W[:, j], after.layers[l].W[:, j], after.layers[l].dW[:, j]
    lr = after.lr
    text.append(f"step {before.step}→{after.step} ({after.optimizer}, lr {lr:g}, minibatch grad g)\n",
                style=FORWARD)
    text.append(f"  {'i':>3} {'w before':>9} {'Δw':>9} {'-lr·g':>9}\n", style=NOTE)
    delta = new - old
    for i in largest_first(delta, terms):
        text.append(f"  {i:>3} {plain(old[i]):>9} {plain(delta[i]):>9} {plain(-lr * grad[i]):>9}\n")
    if after.optimizer == "sgd":
        text.append("  plain SGD: Δw = -lr·g\n", style=NOTE)
    else:
        text.append(f"  {after.optimizer}: Δw is not -lr·g (state from past steps)\n", style=NOTE)
