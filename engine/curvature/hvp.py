"""Exact Hessian-vector products of an MLP's training loss: Pearlmutter's R-operator.

``HessianOperator(model, loss, X, T, weight_decay)`` runs the forward and backward pass
once at the current weights and keeps what they computed; ``matvec(v)`` then pushes the
directional derivative R{.} = d/dt (.)(w + t v) at t = 0 through that same forward pass
and through the backward pass (forward-over-reverse differentiation), which gives
R{grad} = H v exactly, for about the cost of two more passes. Nothing is approximated
by finite differences, and the model is never touched: the operator copies the weights,
so a worker thread may use it while training goes on.

The function differentiated is the one the engine trains on, in training mode:

    L(w) = loss(model(X; w), T) + weight_decay / 2 * |w|^2

batch norm normalising with the statistics of the batch ``X`` itself (which makes the
samples interact; the R-operator follows the mean and the variance too). The optimizers
add ``weight_decay * w`` to the gradient (coupled L2, as torch.optim does, for Adam as
well), which is the gradient of that penalty, so H = H_data + weight_decay * I: every
eigenvalue is shifted by the decay. Gradient clipping rescales a step but is not part
of the loss and is left out. All arithmetic is float64, whatever the model's dtype.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradtui.engine.nn.losses import Loss
from gradtui.engine.nn.mlp import BN_EPS, MLP, Dense


def layer_blocks(model: MLP, flat: np.ndarray) -> list[dict[str, np.ndarray]]:
    """Views of ``flat`` (laid out like ``model.flat_value``) per layer, keyed W, b
    [, gamma, beta] and shaped as the parameters are."""
    blocks = []
    for layer, start in zip(model.layers, model.layer_starts):
        views, offset = {}, int(start)
        for name, shape in layer.param_shapes():
            size = int(np.prod(shape))
            views[name] = flat[offset:offset + size].reshape(shape)
            offset += size
        blocks.append(views)
    return blocks


@dataclass
class LayerPass:
    """What one layer's forward and backward pass computed (the tangents need all of it)."""

    dense: Dense
    p: dict[str, np.ndarray]
    x: np.ndarray
    a: np.ndarray
    f1: np.ndarray | None  # f'(z); None for the linear output layer
    f2: np.ndarray | None  # f''(z); None where it is 0 everywhere
    xhat: np.ndarray | None = None  # batch norm: the normalised pre-activation
    invstd: np.ndarray | None = None
    da: np.ndarray | None = None  # dL/da
    dy: np.ndarray | None = None  # dL/dz, z the activation's input (batch norm's output)
    du: np.ndarray | None = None  # dL/du, u = x W + b
    sum_dxhat: np.ndarray | None = None
    sum_dxhat_xhat: np.ndarray | None = None


def forward_layers(model: MLP, weights: np.ndarray, X: np.ndarray) -> tuple[list[LayerPass], np.ndarray]:
    """``model``'s training-mode forward pass with ``weights`` (laid out like ``flat_value``),
    keeping per layer what differentiating it needs, and the output. The model is not touched
    (its cached activations and batch-norm running statistics stay as they are)."""
    layers: list[LayerPass] = []
    x = X
    last = len(model.layers) - 1
    for i, (dense, p) in enumerate(zip(model.layers, layer_blocks(model, weights))):
        u = x @ p["W"] + p["b"]
        xhat = invstd = None
        if dense.batchnorm:
            centred = u - u.mean(axis=0)
            invstd = 1.0 / np.sqrt((centred * centred).mean(axis=0) + BN_EPS)
            xhat = centred * invstd
            z = xhat * p["gamma"] + p["beta"]
        else:
            z = u
        a = dense.activation.forward(z)
        f1 = None if i == last else dense.activation.local_grad(z, a)
        f2 = None if i == last else dense.activation.second_grad(z, a)
        layers.append(LayerPass(dense, p, x, a, f1, f2, xhat, invstd))
        x = a
    return layers, x


class HessianOperator:
    """H v for the training loss of ``model`` on the batch (``X``, ``T``) at the current weights.

    ``loss_value`` and ``gradient`` (flat, weight decay included) come with it, from the
    same pass. ``n`` is the number of parameters; vectors are laid out like ``flat_value``.
    """

    def __init__(self, model: MLP, loss: Loss, X: np.ndarray, T: np.ndarray,
                 weight_decay: float = 0.0) -> None:
        self.model, self.loss, self.weight_decay = model, loss, float(weight_decay)
        self.weights = model.flat_value.astype(np.float64)  # a copy: the run may move on
        self.n = self.weights.size
        self.X = np.asarray(X, dtype=np.float64)
        self.T = T if T.dtype.kind not in "f" else np.asarray(T, dtype=np.float64)
        with np.errstate(all="ignore"):
            self._forward()
            self._backward()

    def _forward(self) -> None:
        self.layers, self.output = forward_layers(self.model, self.weights, self.X)
        self.loss_value, self.dout = self.loss.value_and_grad(self.output, self.T)

    def _backward(self) -> None:
        grads = np.zeros(self.n)
        blocks = layer_blocks(self.model, grads)
        g = self.dout
        for layer, out in zip(reversed(self.layers), reversed(blocks)):
            layer.da = g
            dy = g if layer.f1 is None else g * layer.f1
            layer.dy = dy
            if layer.xhat is not None and layer.invstd is not None:
                xhat, n = layer.xhat, len(dy)
                out["gamma"][...] = (dy * xhat).sum(axis=0)
                out["beta"][...] = dy.sum(axis=0)
                dxhat = dy * layer.p["gamma"]
                layer.sum_dxhat = dxhat.sum(axis=0)
                layer.sum_dxhat_xhat = (dxhat * xhat).sum(axis=0)
                du = (layer.invstd / n) * (n * dxhat - layer.sum_dxhat - xhat * layer.sum_dxhat_xhat)
            else:
                du = dy
            layer.du = du
            out["W"][...] = layer.x.T @ du
            out["b"][...] = du.sum(axis=0)
            if layer is not self.layers[0]:  # no one needs dL/dX
                g = du @ layer.p["W"].T
        if self.weight_decay:
            grads += self.weight_decay * self.weights
        self.gradient = grads

    def matvec(self, v: np.ndarray) -> np.ndarray:
        """H v, exactly (to rounding), for ``v`` shaped like the flat parameter vector."""
        v = np.asarray(v, dtype=np.float64)
        if v.shape != (self.n,):
            raise ValueError(f"v must be a vector of the network's {self.n} parameters, got shape {v.shape}")
        with np.errstate(all="ignore"):
            return self._matvec(v)

    __call__ = matvec

    def _matvec(self, v: np.ndarray) -> np.ndarray:
        dirs = layer_blocks(self.model, v)
        # Forward: R{u}, R{xhat}, R{invstd}, R{z} of every layer, and R{output}.
        tangents = []
        rx: np.ndarray | None = None
        for layer, d in zip(self.layers, dirs):
            ru = layer.x @ d["W"] + d["b"]
            if rx is not None:
                ru += rx @ layer.p["W"]
            rxhat = rinvstd = None
            if layer.xhat is not None and layer.invstd is not None:
                rc = ru - ru.mean(axis=0)
                m = (layer.xhat * rc).mean(axis=0)  # R{var} = 2 m / invstd
                rxhat = layer.invstd * (rc - layer.xhat * m)
                rinvstd = -layer.invstd * layer.invstd * m
                rz = rxhat * layer.p["gamma"] + layer.xhat * d["gamma"] + d["beta"]
            else:
                rz = ru
            tangents.append((rx, rz, rxhat, rinvstd))
            rx = rz if layer.f1 is None else layer.f1 * rz
        assert rx is not None
        # Backward: R{dL/da}, R{dL/dz}, R{dL/du}, and from them R{grad} = H v.
        hv = np.zeros(self.n)
        out_blocks = layer_blocks(self.model, hv)
        rg = self.loss.grad_jvp(self.output, self.T, rx)
        for layer, d, out, (rx_in, rz, rxhat, rinvstd) in zip(
                reversed(self.layers), reversed(dirs), reversed(out_blocks), reversed(tangents)):
            assert layer.da is not None and layer.dy is not None and layer.du is not None
            rdy = rg if layer.f1 is None else rg * layer.f1
            if layer.f2 is not None:
                rdy += layer.da * layer.f2 * rz
            if layer.xhat is not None:
                rdu = self._batchnorm_tangent(layer, d, out, rdy, rxhat, rinvstd)
            else:
                rdu = rdy
            out["W"][...] = layer.x.T @ rdu
            if rx_in is not None:
                out["W"] += rx_in.T @ layer.du
            out["b"][...] = rdu.sum(axis=0)
            if rx_in is not None:  # the first layer passes nothing back
                rg = rdu @ layer.p["W"].T + layer.du @ d["W"].T
        if self.weight_decay:
            hv += self.weight_decay * v
        return hv

    @staticmethod
    def _batchnorm_tangent(layer: LayerPass, d: dict[str, np.ndarray], out: dict[str, np.ndarray],
                           rdy: np.ndarray, rxhat: np.ndarray | None,
                           rinvstd: np.ndarray | None) -> np.ndarray:
        """R{} of batch norm's backward pass: fills R{dgamma}, R{dbeta}; returns R{dL/du}."""
        assert (layer.xhat is not None and layer.invstd is not None and layer.dy is not None
                and layer.du is not None and rxhat is not None and rinvstd is not None
                and layer.sum_dxhat_xhat is not None)
        xhat, invstd, dy, n = layer.xhat, layer.invstd, layer.dy, len(rdy)
        out["gamma"][...] = (rdy * xhat + dy * rxhat).sum(axis=0)
        out["beta"][...] = rdy.sum(axis=0)
        dxhat = dy * layer.p["gamma"]
        rdxhat = rdy * layer.p["gamma"] + dy * d["gamma"]
        inner = (n * rdxhat - rdxhat.sum(axis=0) - rxhat * layer.sum_dxhat_xhat
                 - xhat * (rdxhat * xhat + dxhat * rxhat).sum(axis=0))
        return (rinvstd / invstd) * layer.du + (invstd / n) * inner
