"""Optimizers against numbers worked out by hand from torch.optim's documented update rules.

Every hand check starts from p0 = [1, -2, 0.5] and feeds the gradients G[0], G[1], G[2]
below, and runs through both code paths: one free-standing Parameter (per-parameter
update) and two Parameters tiling one flat buffer (the vector update MLPs use).
Where eps would blur a hand number it is set to 0; separate tests pin where eps goes.
"""

import numpy as np
import pytest

from gradtui.engine import MLP, SGD, Adam, Parameter, RMSprop, make_optimizer
from gradtui.engine.nn.parameter import flat_buffers

P0 = [1.0, -2.0, 0.5]
G = [[0.5, -1.0, 2.0], [0.1, 0.2, -0.4], [-1.0, 0.5, 0.0]]


def free(values):
    return [Parameter("p", np.array(values, dtype=float))]


def tiled(values):
    value, grad = np.array(values, dtype=float), np.zeros(len(values))
    return [Parameter("a", value[:2], grad[:2]), Parameter("b", value[2:], grad[2:])]


LAYOUTS = {"free": free, "tiled": tiled}


@pytest.fixture(params=LAYOUTS)
def layout(request):
    return request.param


def trajectory(layout, make_opt, grads=G, lrs=None, start=P0):
    """Parameter vector after each step, feeding ``grads`` (and setting ``opt.lr`` from ``lrs``)."""
    params = LAYOUTS[layout](start)
    assert (flat_buffers(params) is not None) == (layout == "tiled")
    opt = make_opt(params)
    out = []
    for i, g in enumerate(grads):
        flat = np.array(g, dtype=float)
        offset = 0
        for p in params:
            p.grad = flat[offset:offset + p.value.size]
            offset += p.value.size
        if lrs:
            opt.lr = lrs[i]
        opt.step()
        out.append(np.concatenate([p.value.ravel() for p in params]))
    return out


def check(got, expected):
    for step, (g, e) in enumerate(zip(got, expected), 1):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-15, err_msg=f"step {step}")


# --- SGD ---------------------------------------------------------------------------------


def test_plain_sgd(layout):
    # p <- p - 0.1 g:  [1, -2, .5] - .1*[.5, -1, 2] = [.95, -1.9, .3]
    #                  - .1*[.1, .2, -.4] = [.94, -1.92, .34];  - .1*[-1, .5, 0] = [1.04, -1.97, .34]
    check(trajectory(layout, lambda ps: SGD(ps, lr=0.1)),
          [[0.95, -1.9, 0.3], [0.94, -1.92, 0.34], [1.04, -1.97, 0.34]])


def test_momentum_buffer_starts_at_first_gradient(layout):
    # b1 = g1 = [.5, -1, 2];                    p1 = p0 - .1 b1 = [.95, -1.9, .3]
    # b2 = .9 b1 + g2 = [.55, -.7, 1.4];        p2 = [.895, -1.83, .16]
    # b3 = .9 b2 + g3 = [-.505, -.13, 1.26];    p3 = [.9455, -1.817, .034]
    check(trajectory(layout, lambda ps: SGD(ps, lr=0.1, momentum=0.9)),
          [[0.95, -1.9, 0.3], [0.895, -1.83, 0.16], [0.9455, -1.817, 0.034]])


def test_nesterov(layout):
    # same buffers as above; the step uses d = g + .9 b
    # d1 = 1.9 g1 = [.95, -1.9, 3.8];                          p1 = [.905, -1.81, .12]
    # d2 = g2 + .9 [.55, -.7, 1.4] = [.595, -.43, .86];         p2 = [.8455, -1.767, .034]
    # d3 = g3 + .9 [-.505, -.13, 1.26] = [-1.4545, .383, 1.134]; p3 = [.99095, -1.8053, -.0794]
    check(trajectory(layout, lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True)),
          [[0.905, -1.81, 0.12], [0.8455, -1.767, 0.034], [0.99095, -1.8053, -0.0794]])


def test_sgd_weight_decay_adds_wd_times_p_to_the_gradient(layout):
    # g' = g + .5 p
    # g1' = [1, -2, 2.25];             p1 = [.9, -1.8, .275]
    # g2' = [.55, -.7, -.2625];        p2 = [.845, -1.73, .30125]
    # g3' = [-.5775, -.365, .150625];  p3 = [.90275, -1.6935, .2861875]
    check(trajectory(layout, lambda ps: SGD(ps, lr=0.1, weight_decay=0.5)),
          [[0.9, -1.8, 0.275], [0.845, -1.73, 0.30125], [0.90275, -1.6935, 0.2861875]])


def test_momentum_with_weight_decay_decays_before_the_buffer(layout):
    # b1 = g1' = [1, -2, 2.25];                                  p1 = [.9, -1.8, .275]
    # g2' = [.55, -.7, -.2625];  b2 = .9 b1 + g2' = [1.45, -2.5, 1.7625];        p2 = [.755, -1.55, .09875]
    # g3' = g3 + .5 p2 = [-.6225, -.275, .049375];  b3 = [.6825, -2.525, 1.635625];  p3 = [.68675, -1.2975, -.0648125]
    check(trajectory(layout, lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.5)),
          [[0.9, -1.8, 0.275], [0.755, -1.55, 0.09875], [0.68675, -1.2975, -0.0648125]])


def test_changing_lr_keeps_the_momentum_buffer(layout):
    # p1 = [.95, -1.9, .3] at lr .1; then lr .2 with b2 = [.55, -.7, 1.4]: p2 = [.84, -1.76, .02]
    check(trajectory(layout, lambda ps: SGD(ps, lr=0.1, momentum=0.9), G[:2], lrs=[0.1, 0.2]),
          [[0.95, -1.9, 0.3], [0.84, -1.76, 0.02]])


# --- RMSprop -------------------------------------------------------------------------------


def test_rmsprop(layout):
    # v <- .99 v + .01 g^2;  p <- p - .01 g / sqrt(v)   (eps = 0)
    # v1 = [.0025, .01, .04], sqrt = [.05, .1, .2]: step = .01 * [10, -10, 10]    -> p1 = [.9, -1.9, .4]
    # v2 = .99 v1 + .01 [.01, .04, .16] = [.002575, .0103, .0412]
    #      sqrt = [.0507444578254611, .1014889156509222, .2029778313018444]
    #      step = .01 * [.1, .2, -.4] / sqrt = [.0197065855632858, .0197065855632858, -.0197065855632858]
    #      -> p2 = [.8802934144367142, -1.9197065855632858, .4197065855632859]
    # v3 = .99 v2 + .01 [1, .25, 0] = [.01254925, .012697, .040788]
    #      sqrt = [.1120234350482077, .1126809655620682, .201960392156482]
    #      step = .01 * [-1, .5, 0] / sqrt = [-.0892670359170529, .0443730666937341, 0]
    #      -> p3 = [.9695604503537671, -1.9640796522570199, .4197065855632859]
    check(trajectory(layout, lambda ps: RMSprop(ps, lr=0.01, alpha=0.99, eps=0.0)),
          [[0.9, -1.9, 0.4],
           [0.8802934144367142, -1.9197065855632858, 0.4197065855632859],
           [0.9695604503537671, -1.9640796522570199, 0.4197065855632859]])


def test_rmsprop_eps_is_added_outside_the_square_root():
    # g = 1e-8: v = .01 * 1e-16 = 1e-18, sqrt(v) = 1e-9; step = 1e-8 / (1e-9 + 1e-8) = 1/1.1
    # (inside the root it would be 1e-8 / sqrt(1e-18 + 1e-8) ~ 1e-4)
    check(trajectory("free", lambda ps: RMSprop(ps, lr=1.0), [[1e-8]], start=[0.0]), [[-1 / 1.1]])


def test_rmsprop_weight_decay(layout):
    # g' = g + p with g = [-.5, 1, 2]: [.5, -1, 2.5]; first step = .01 * g'/|.1 g'| = .1 sign(g')
    check(trajectory(layout, lambda ps: RMSprop(ps, lr=0.01, eps=0.0, weight_decay=1.0), [[-0.5, 1.0, 2.0]]),
          [[0.9, -1.9, 0.4]])


# --- Adam ----------------------------------------------------------------------------------


def test_adam(layout):
    # m <- .9 m + .1 g;  v <- .999 v + .001 g^2;  p <- p - .1 m/(1-.9^t) / sqrt(v/(1-.999^t))   (eps = 0)
    # t=1: m_hat = g, v_hat = g^2: each element moves by exactly lr * sign(g) -> p1 = [.9, -1.9, .4]
    # t=2: m = .09 g1 + .1 g2 = [.055, -.07, .14];  m_hat = m/.19 = [.2894736842105264, -.3684210526315790, .7368421052631579]
    #      v = .000999 g1^2 + .001 g2^2 = [.00025975, .001039, .004156];  v_hat = v/.001999
    #        = [.1299399699849925, .5197598799399700, 2.0790395197598799]
    #      step = .1 m_hat/sqrt(v_hat) = [.0803040978430975, -.0511026077183348, .0511026077183348]
    #      -> p2 = [.8196959021569024, -1.8488973922816652, .3488973922816651]
    # t=3: m = .9 m + .1 g3 = [-.0505, -.013, .126];  m_hat = m/.271 = [-.1863468634686347, -.0479704797047971, .4649446494464945]
    #      v = .999 v + .001 g3^2 = [.00125949025, .001287961, .004151844];  v_hat = v/.002997001
    #        = [.4202501934433790, .4297499400233768, 1.3853328710934705]
    #      step = [-.0287453847690161, -.0073175575898769, .0395024638775633]
    #      -> p3 = [.8484412869259185, -1.8415798346917882, .3093949284041018]
    check(trajectory(layout, lambda ps: Adam(ps, lr=0.1, eps=0.0)),
          [[0.9, -1.9, 0.4],
           [0.8196959021569024, -1.8488973922816652, 0.3488973922816651],
           [0.8484412869259185, -1.8415798346917882, 0.3093949284041018]])


def test_adam_first_step_is_lr_times_sign_with_default_eps(layout):
    got = trajectory(layout, lambda ps: Adam(ps, lr=0.1), G[:1])[0]
    np.testing.assert_allclose(got, [0.9, -1.9, 0.4], rtol=1e-7)


def test_adam_eps_is_added_outside_the_square_root():
    # t=1, g = 1e-8: m_hat = 1e-8, sqrt(v_hat) = 1e-8; step = 1e-8 / (1e-8 + 1e-8) = .5
    check(trajectory("free", lambda ps: Adam(ps, lr=1.0, eps=1e-8), [[1e-8]], start=[0.0]), [[-0.5]])


def test_adam_changing_lr_keeps_moments_and_bias_correction(layout):
    # p1 = [.9, -1.9, .4]; at t=2 with lr .05 the step is half the lr-.1 step above:
    # p2 = p1 - [.0401520489215488, -.0255513038591674, .0255513038591674]
    check(trajectory(layout, lambda ps: Adam(ps, lr=0.1, eps=0.0), G[:2], lrs=[0.1, 0.05]),
          [[0.9, -1.9, 0.4], [0.8598479510784512, -1.8744486961408326, 0.3744486961408326]])


def test_adam_weight_decay_is_l2_on_the_gradient(layout):
    # g' = g + p with g = [-.5, 1, 2]: [.5, -1, 2.5]; first step = .1 sign(g')
    check(trajectory(layout, lambda ps: Adam(ps, lr=0.1, weight_decay=1.0, eps=0.0), [[-0.5, 1.0, 2.0]]),
          [[0.9, -1.9, 0.4]])


# --- defaults, factory, state -----------------------------------------------------------


def test_documented_defaults():
    params = free(P0)
    rms, adam, sgd = RMSprop(params), Adam(params), SGD(params, lr=0.1)
    assert (rms.lr, rms.alpha, rms.eps, rms.weight_decay) == (0.01, 0.99, 1e-8, 0.0)
    assert (adam.lr, adam.betas, adam.eps, adam.weight_decay) == (0.001, (0.9, 0.999), 1e-8, 0.0)
    assert (sgd.momentum, sgd.nesterov, sgd.weight_decay) == (0.0, False, 0.0)


@pytest.mark.parametrize("name, cls, momentum, nesterov", [
    ("sgd", SGD, 0.0, False), ("momentum", SGD, 0.8, False), ("nesterov", SGD, 0.8, True),
    ("rmsprop", RMSprop, None, None), ("adam", Adam, None, None)])
def test_make_optimizer(name, cls, momentum, nesterov):
    opt = make_optimizer(name, free(P0), lr=0.3, momentum=0.8, weight_decay=0.01)
    assert type(opt) is cls and opt.lr == 0.3 and opt.weight_decay == 0.01
    if cls is SGD:
        assert (opt.momentum, opt.nesterov) == (momentum, nesterov)


def test_make_optimizer_rejects_unknown_names():
    with pytest.raises(ValueError, match="adam"):
        make_optimizer("adagrad", free(P0), lr=0.1)


OPTIMIZERS = {
    "momentum": lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
    "nesterov": lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    "rmsprop": lambda ps: RMSprop(ps, lr=0.01, weight_decay=0.01),
    "adam": lambda ps: Adam(ps, lr=0.01, weight_decay=0.01),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_state_dict_round_trip_continues_identically(name, layout):
    rng = np.random.default_rng(0)
    grads = rng.normal(size=(5, 3))
    params_a, params_b = LAYOUTS[layout](P0), LAYOUTS[layout](P0)
    a = OPTIMIZERS[name](params_a)
    for g in grads[:2]:
        for p, gi in zip(params_a, np.split(g, [params_a[0].value.size])):
            p.grad = gi
        a.step()
    sd = a.state_dict()
    assert sd["t"] == 2 and sd["arrays"]
    b = OPTIMIZERS[name](params_b)
    b.load_state_dict(sd)
    for pa, pb in zip(params_a, params_b):
        pb.value = pa.value
    for arr in sd["arrays"].values():
        arr[...] = 1e9  # the optimizer must hold its own copies
    for g in grads[2:]:
        for params, opt in ((params_a, a), (params_b, b)):
            for p, gi in zip(params, np.split(g, [params[0].value.size])):
                p.grad = gi
            opt.step()
    for pa, pb in zip(params_a, params_b):
        np.testing.assert_array_equal(pa.value, pb.value)
    assert a.t == b.t == 5


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_flat_and_per_parameter_paths_give_identical_numbers(name):
    model = MLP([3, 5, 4, 2], "tanh", batchnorm=True, seed=1)
    mparams = model.parameters()
    assert flat_buffers(mparams) is not None
    loose = [Parameter(p.name, p.value.copy()) for p in mparams]
    assert flat_buffers(loose) is None
    opt_flat, opt_loose = OPTIMIZERS[name](mparams), OPTIMIZERS[name](loose)
    rng = np.random.default_rng(2)
    for _ in range(4):
        for mp, lp in zip(mparams, loose):
            mp.grad = lp.grad = rng.normal(size=mp.value.shape)
        opt_flat.step()
        opt_loose.step()
    for mp, lp in zip(mparams, loose):
        np.testing.assert_array_equal(mp.value, lp.value, err_msg=mp.name)
    assert not np.array_equal(model.flat_value, MLP([3, 5, 4, 2], "tanh", batchnorm=True, seed=1).flat_value)


def test_a_subset_or_reordering_of_model_parameters_takes_the_safe_path():
    params = MLP([3, 4, 2]).parameters()
    assert flat_buffers(params[:2]) is None
    assert flat_buffers(params[::-1]) is None
