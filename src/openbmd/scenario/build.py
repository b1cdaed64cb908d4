"""Loading a scenario: :func:`load` (a file or a bundled name) and
:func:`loads` (TOML text) read the ``extends`` chain
(:mod:`openbmd.scenario.chain`) and :func:`build` turns its tables, one
builder a table, into a :class:`~openbmd.scenario.model.Scenario`. The
tables are read in a fixed order, so that a file with several mistakes
always reports the same first one."""

from __future__ import annotations

from pathlib import Path

from ..catalog import default_catalog
from ..earth import EarthModel
from ..flight import FlightOptions
from ..tomlsource import suggest
from .chain import load_chain, resolve
from .cueing import build_sensors
from .fields import ScenarioError, as_list, fail, num, positive
from .model import Scenario
from .schema import SIGNATURE_MODELS, TAIL_CHASE_RULES
from .tables import (build_analyses, build_balance, build_batteries, build_interceptors, build_raids,
                     build_target_sets, build_threats)


def load(ref, catalog=None) -> Scenario:
    """Load and validate a scenario file (a path or a bundled name)."""
    path = resolve(str(ref)) if not isinstance(ref, Path) else ref
    if isinstance(ref, Path) and not ref.is_file():
        raise ScenarioError(f"no such scenario file: {ref}")
    return build(path, catalog or default_catalog(), ())


def loads(text: str, name: str = "scenario text", catalog=None) -> Scenario:
    """Load and validate a scenario from its TOML text (no file is written);
    errors name ``name`` with the line. It may extend bundled scenarios (and
    files by absolute path)."""
    if not isinstance(text, str):
        fail(name, (), f"expected TOML text, got {type(text).__name__}")
    return build(Path(name), catalog or default_catalog(), (), text=text)


def build(path: Path, cat, stack: tuple, text: str | None = None) -> Scenario:
    """The scenario of the file ``path`` (of ``text``, given); ``stack``: the
    comparisons that contain it (a comparison may not contain itself)."""
    tables, entries, files, top_src = load_chain(path, text=text)

    def tab(k):
        return tables.get(k, ({}, top_src))

    sc, _ = tab("scenario")
    name = sc.get("name") or path.stem
    options, threat_step, coarse_step = build_model(*tab("model"))
    dd, dsrc = tab("doctrine")
    doctrine_fields = build_doctrine(dd, dsrc)
    interceptors = build_interceptors(cat, entries["interceptor"])
    radars, satellites, networks = build_sensors(cat, entries)
    rule_fields = build_rules(dd, dsrc, radars)
    batteries = build_batteries(entries["battery"], cat, interceptors, (radars, satellites, networks),
                                rule_fields["default_cue"], rule_fields["launch_delay"])
    target_sets = build_target_sets(entries["target_set"], cat)
    threats = build_threats(entries["threat"], cat, target_sets)
    raids, notes = build_raids(entries["raid"], threats, path)
    bd, bsrc = tab("balance")
    balance = build_balance(bd, bsrc) if bd else None
    run_list, fp = build_analyses(*tab("analyses"), cat, path, raids, balance)
    members = build_phases(*tab("phases"), path, cat, stack)
    if not members and not threats:
        fail(path, (), "no [[threat]]: nothing to assess")
    return Scenario(
        name=name, description=sc.get("description", ""), path=str(path), files=files, options=options,
        threat_step=threat_step, coarse_step=coarse_step, **doctrine_fields, **rule_fields,
        interceptors=interceptors, radars=radars, batteries=batteries, target_sets=target_sets, threats=threats,
        analyses=run_list, footprint=fp, phases=members, year=sc.get("year"), sources=as_list(sc.get("sources", [])),
        raids=raids, balance=balance, notes=notes, satellites=satellites, networks=networks,
        signatures=signatures(doctrine_fields["rcs"]) if rule_fields["signature_model"] == "by-phase" else None,
    )


def build_model(md, msrc) -> tuple[FlightOptions, float, float]:
    """[model]: (flight options, threat time step, window search coarse step)."""
    try:
        earth = EarthModel(shape=md.get("earth", "wgs84"), rotation=md.get("rotation", True), gravity=md.get("gravity", "j2"))
    except ValueError as exc:
        fail(msrc, ("model", "earth" if "shape" in str(exc) else "gravity"), str(exc))
    options = FlightOptions(earth=earth, drag=md.get("drag", True))
    threat_step = positive(float(md.get("threat_step_s", 2.0)), msrc, ("model", "threat_step_s"))
    coarse_step = positive(float(md.get("coarse_step_s", 24.0)), msrc, ("model", "coarse_step_s"), allow_zero=True)
    return options, threat_step, coarse_step


def build_doctrine(dd, dsrc) -> dict:
    """[doctrine], its timing, RCS, trajectory profiles and shot doctrine (the
    Scenario fields)."""
    for k in ("decision_time_s", "track_time_s", "assessment_time_s", "launch_delay_s"):
        if k in dd:
            positive(float(dd[k]), dsrc, ("doctrine", k), allow_zero=True)
    rcs = positive(float(dd.get("rcs_m2", 0.1)), dsrc, ("doctrine", "rcs_m2"))
    lf = positive(float(dd.get("lofted_apogee_factor", 1.4)), dsrc, ("doctrine", "lofted_apogee_factor"))
    df = positive(float(dd.get("depressed_apogee_factor", 0.6)), dsrc, ("doctrine", "depressed_apogee_factor"))
    if lf <= 1.0:
        fail(dsrc, ("doctrine", "lofted_apogee_factor"),
             f"expected > 1 (a lofted shot flies higher than minimum energy), got {lf:g}")
    if df >= 1.0:
        fail(dsrc, ("doctrine", "depressed_apogee_factor"), f"expected < 1, got {df:g}")
    return dict(decision_time=float(dd.get("decision_time_s", 30.0)), track_time=num(dd, "track_time_s"), rcs=rcs,
                assessment_time=float(dd.get("assessment_time_s", 60.0)), lofted_factor=lf, depressed_factor=df,
                doctrine=shot_doctrine(dd, dsrc))


def shot_doctrine(dd, src):
    """The [doctrine] shot doctrine and kill probability (a wta.Doctrine)."""
    from ..wta import PK_DEFAULT, PK_RANGE, PK_SOURCE, SHOT_DOCTRINES, Doctrine, WTAError

    shot = dd.get("shot_doctrine", "shoot-look-shoot")
    if shot not in SHOT_DOCTRINES:
        fail(src, ("doctrine", "shot_doctrine"), f"expected one of {SHOT_DOCTRINES}, got {shot!r}"
                                                 f"{suggest(shot, SHOT_DOCTRINES)}")
    look = shot == "shoot-look-shoot"
    salvo = dd.get("salvo", 1 if look else 2)
    kmax = dd.get("max_engagements", 2 if look else 1)
    for k, v in (("salvo", salvo), ("max_engagements", kmax)):
        if v < 1:
            fail(src, ("doctrine", k), f"expected an integer >= 1, got {v}")
    pk = float(dd.get("kill_probability", PK_DEFAULT))
    if not 0.0 <= pk <= 1.0:
        fail(src, ("doctrine", "kill_probability"), f"expected a probability in [0, 1], got {pk:g}")
    rng = dd.get("kill_probability_range", list(PK_RANGE) if "kill_probability" not in dd else [pk, pk])
    if not (isinstance(rng, list) and len(rng) == 2 and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in rng)
            and 0.0 <= rng[0] <= pk <= rng[1] <= 1.0):
        fail(src, ("doctrine", "kill_probability_range"),
             f"expected [low, high] with 0 <= low <= kill_probability ({pk:g}) <= high <= 1, got {rng!r}")
    psrc = dd.get("kill_probability_source", PK_SOURCE if "kill_probability" not in dd else "given in the scenario")
    try:
        return Doctrine(shot=shot, salvo=int(salvo), max_engagements=int(kmax), pk=pk,
                        pk_range=(float(rng[0]), float(rng[1])), pk_source=psrc)
    except WTAError as exc:
        fail(src, ("doctrine",), str(exc))


def build_rules(dd, dsrc, radars) -> dict:
    """[doctrine], its engagement rules: tail chase, guidance handover,
    signatures, the default cue (a [[radar]]) and the launch delay (the
    Scenario fields)."""
    tail_rule = dd.get("tail_chase", "low-closing-speed")
    if tail_rule not in TAIL_CHASE_RULES:
        fail(dsrc, ("doctrine", "tail_chase"), f"expected one of {', '.join(TAIL_CHASE_RULES)}, got {tail_rule!r}"
                                               f"{suggest(tail_rule, TAIL_CHASE_RULES)}")
    tail_speed = 1e3 * positive(float(dd.get("tail_chase_closing_speed_km_s", 3.0)), dsrc,
                                ("doctrine", "tail_chase_closing_speed_km_s"), allow_zero=True)
    handover = positive(float(dd.get("handover_time_s", 10.0)), dsrc, ("doctrine", "handover_time_s"), allow_zero=True)
    sig_model = dd.get("signatures", "by-phase")
    if sig_model not in SIGNATURE_MODELS:
        fail(dsrc, ("doctrine", "signatures"), f"expected one of {', '.join(SIGNATURE_MODELS)}, got {sig_model!r}"
                                               f"{suggest(sig_model, SIGNATURE_MODELS)}")
    cue = dd.get("cue")
    if cue is not None and cue not in radars:
        fail(dsrc, ("doctrine", "cue"), f"no [[radar]] named {cue!r} in the scenario{suggest(cue, radars)}")
    return dict(tail_chase=tail_rule, tail_chase_closing_speed=tail_speed, handover_time=handover,
                signature_model=sig_model, default_cue=cue, launch_delay=num(dd, "launch_delay_s"))


def build_phases(ph, psrc, path: Path, cat, stack: tuple) -> list:
    """[phases]: the member scenarios of a comparison."""
    members = []
    for ref in as_list(ph.get("members", [])):
        try:
            mp = resolve(ref, Path(psrc.path))
        except ScenarioError as exc:
            fail(psrc, ("phases", "members"), str(exc))
        if mp.resolve() == path.resolve() or mp.resolve() in stack:
            fail(psrc, ("phases", "members"), f"{ref!r} is this comparison itself")
        members.append(build(mp, cat, stack + (path.resolve(),)))
    return members


def signatures(rcs: float):
    """Radar signatures by flight phase for every catalog missile class; a
    missile outside the classes keeps the doctrine's constant RCS."""
    from ..catalog.sensors import default_sensors
    from ..sensors import Signature, Signatures

    return Signatures(default_sensors().by_missile().by_missile, default=Signature.constant(rcs))
