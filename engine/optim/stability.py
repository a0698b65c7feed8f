"""How large a step each optimizer can take on a curvature before it stops converging.

On a quadratic whose Hessian has largest eigenvalue λ (the sharpness), gradient descent
with learning rate lr multiplies the error along that eigenvector by (1 - lr·λ) each
step: it converges exactly when lr·λ < 2. Heavy-ball momentum β (torch's SGD momentum,
``b = β b + g; p -= lr b``) widens that to lr·λ < 2(1 + β), and torch's Nesterov form
(``p -= lr (g + β b)``) to lr·λ < 2(1 + β)/(1 + 2β). RMSprop and Adam divide each
coordinate's step by a running root mean square of its gradients, so their step is
not lr times the gradient and no such line on lr·λ applies to them: ``stability_bound``
is None for them. One rule, used by calculus mode's lr ladder and the training
screen's sharpness pane.
"""

from __future__ import annotations

from gradtui.engine.optim.optimizers import check_optimizer


def stability_bound(optimizer: str, momentum: float = 0.9) -> float | None:
    """The c with "converges on a quadratic of sharpness λ exactly when lr·λ < c" for
    ``optimizer`` (with momentum ``momentum`` where it uses one); None for the adaptive
    optimizers (rmsprop, adam), where no bound on lr·λ alone says it."""
    check_optimizer(optimizer)
    if optimizer == "sgd":
        return 2.0
    if optimizer == "momentum":
        return 2.0 * (1.0 + momentum)
    if optimizer == "nesterov":
        return 2.0 * (1.0 + momentum) / (1.0 + 2.0 * momentum)
    return None


def lr_limit(sharpness: float, optimizer: str, momentum: float = 0.9) -> float | None:
    """The largest lr that still converges on curvature ``sharpness`` (λmax): c/λmax, inf
    when nothing curves upward (λmax <= 0), None when the optimizer has no such bound."""
    bound = stability_bound(optimizer, momentum)
    if bound is None:
        return None
    return bound / sharpness if sharpness > 0 else float("inf")


def sharpness_limit(lr: float, optimizer: str, momentum: float = 0.9) -> float | None:
    """The stability line for the sharpness at learning rate ``lr``: c/lr (2/lr for sgd),
    None when the optimizer has no such bound."""
    bound = stability_bound(optimizer, momentum)
    return None if bound is None else bound / lr
