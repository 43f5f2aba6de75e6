"""``workbench design sequential``: group-sequential boundaries and design characteristics.

Example::

    workbench design sequential --kmax 3 --alpha 0.025 --sided 1 --beta 0.2 \\
        --info 0.25,0.6,1 --design asOF --futility bsOF --json

With ``--json`` one JSON object is printed: ``critical_values``, ``stage_levels``, ``alpha_spent``
(cumulative), ``futility_bounds`` and ``beta_spent`` (null without futility), ``inflation_factor``,
``power`` (cumulative), ``rejection_probabilities``, ``futility_probabilities``, ``asn``
{h1, h01, h0} (expected information as a ratio to the fixed design), ``information_rates``,
``n_fixed``, ``shift`` and ``settings``. Lists run over the looks (futility over the looks
before the last). Bad input prints one line on stderr naming the option and exits with code 2.
"""

from __future__ import annotations

import argparse
import re

#: library parameter -> command-line option, for error messages
_OPTIONS = {
    "kmax": "--kmax", "alpha": "--alpha", "beta": "--beta", "sided": "--sided",
    "information_rates": "--info", "type_of_design": "--design", "delta_wt": "--delta-wt",
    "gamma": "--gamma", "rho": "--rho", "futility": "--futility", "binding": "--binding",
    "futility_gamma": "--futility-gamma", "futility_rho": "--futility-rho",
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "design",
        help="trial designs: group-sequential boundaries and characteristics",
        description="Design calculations. `workbench design sequential --help` for details.",
    )
    verbs = p.add_subparsers(dest="design_verb", metavar="WHAT", required=True)
    s = verbs.add_parser(
        "sequential",
        help="group-sequential boundaries, alpha/beta spending and design characteristics",
        description=(
            "Boundaries of a group-sequential design (O'Brien-Fleming, Pocock, Wang-Tsiatis, "
            "Lan-DeMets alpha spending, Hwang-Shih-DeCani, Kim-DeMets), optional beta-spending "
            "futility bounds, and the design characteristics (inflation factor, power by look, "
            "expected information). Numbers match rpact's getDesignGroupSequential and "
            "getDesignCharacteristics."
        ),
        epilog=(
            "Defaults: equally spaced looks; --design asOF. ASN values are expected information "
            "as a ratio to the fixed-sample design under H1, halfway (h01) and H0."
        ),
    )
    s.add_argument("--kmax", type=int, default=None,
                   help="number of looks (default 3, or the number of --info rates)")
    s.add_argument("--alpha", type=float, default=0.025,
                   help="type I error, both tails together when two-sided (default 0.025)")
    s.add_argument("--beta", type=float, default=0.2, help="type II error (default 0.2)")
    s.add_argument("--sided", type=int, default=1, help="1 or 2 (default 1)")
    s.add_argument("--info", metavar="T1,T2,...", default=None,
                   help="information rates, strictly increasing, ending at 1")
    s.add_argument("--design", default="asOF", metavar="TYPE",
                   help="OF, P, WT, asOF, asP, asHSD or asKD (default asOF)")
    s.add_argument("--delta-wt", type=float, default=None, help="Wang-Tsiatis Delta (WT)")
    s.add_argument("--gamma", type=float, default=None,
                   help="Hwang-Shih-DeCani parameter (asHSD), in [-10, 5]")
    s.add_argument("--rho", type=float, default=None,
                   help="Kim-DeMets exponent (asKD), in [0.4, 8]")
    s.add_argument("--futility", default=None, metavar="TYPE|Z1,Z2,...",
                   help="beta spending bsOF, bsP, bsHSD or bsKD, or fixed z futility bounds")
    s.add_argument("--futility-gamma", type=float, default=None, help="parameter of bsHSD")
    s.add_argument("--futility-rho", type=float, default=None, help="parameter of bsKD")
    s.add_argument("--binding", action="store_true", help="binding futility bounds")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.set_defaults(func=_sequential)


def _flagged(exc: Exception) -> str:
    """The library's message with parameter names replaced by the command-line options."""
    return re.sub(r"`([a-z_]+)`", lambda m: f"`{_OPTIONS.get(m.group(1), m.group(1))}`",
                  str(exc))


def _sequential(args: argparse.Namespace) -> int:
    from ..exceptions import InvalidParameterError
    from ..power.sequential import group_sequential_design
    from ._common import print_json, split_list

    try:
        info = split_list(args.info, "information_rates") if args.info is not None else None
        kmax = args.kmax
        if kmax is None:
            kmax = len(info) if info is not None else 3
        futility = args.futility
        if futility is not None and not futility.startswith("bs"):
            futility = split_list(futility, "futility")
        design = group_sequential_design(
            kmax=kmax, alpha=args.alpha, beta=args.beta, sided=args.sided,
            information_rates=info, type_of_design=args.design, delta_wt=args.delta_wt,
            gamma=args.gamma, rho=args.rho, futility=futility, binding=args.binding,
            futility_gamma=args.futility_gamma, futility_rho=args.futility_rho,
        )
    except InvalidParameterError as exc:
        raise InvalidParameterError(_flagged(exc)) from None
    if args.json:
        out = design.to_cli_dict()
        out.update({
            "futility_probabilities": list(design.futility_probabilities),
            "information_rates": list(design.information_rates),
            "n_fixed": design.n_fixed,
            "shift": design.shift,
            "settings": {
                "kmax": design.kmax, "alpha": design.alpha, "beta": design.beta,
                "sided": design.sided, "design": design.type_of_design,
                "delta_wt": design.delta_wt, "gamma": design.gamma, "rho": design.rho,
                "futility": design.futility, "binding": design.binding,
                "futility_gamma": design.futility_gamma, "futility_rho": design.futility_rho,
            },
        })
        print_json(out)
    else:
        print(design)
    return 0
