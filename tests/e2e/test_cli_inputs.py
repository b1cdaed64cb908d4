"""Every absurd input is refused before anything is computed: exit 2, one
line naming the option (or the file and field) and what was expected, no
traceback. Run in process (the refusals come before any flight), with one
subprocess case to show the real exit status."""

import subprocess
import sys

import pytest

from openbmd.cli import main
from openbmd.cli.common import MAX_BURNOUT_SPEED_KM_S
from openbmd.scenario import MAX_BURNOUT_SPEED_KM_S as SCENARIO_MAX_SPEED

FLY = ["fly", "--missile", "Scud-B", "--from", "40,40", "--to", "41,41"]
IMP = ["fly", "--impulsive", "--from", "0,0", "--azimuth-deg", "90"]
ENG = ["engage", "--missile", "Yars", "--from", "Teykovo", "--to", "Washington", "--site", "68,5",
       "--interceptor-burnout-speed-km-s", "5.5"]
GV = ["guarantee", "verify", "north-speed-limit", "epaa-phase3"]
SM = ["guarantee", "synthesize", "speed-map", "north-speed-limit", "epaa-phase3"]

# (arguments, words the one line must hold)
CASES = [
    (IMP + ["--burnout-speed-km-s", "1e9", "--elevation-deg", "20"], ["--burnout-speed-km-s", "< 11", "1e9"]),
    (IMP + ["--burnout-speed-km-s", "0", "--elevation-deg", "20"], ["--burnout-speed-km-s", "> 0"]),
    (IMP + ["--burnout-speed-km-s", "nan", "--elevation-deg", "20"], ["--burnout-speed-km-s", "nan"]),
    (IMP + ["--burnout-speed-km-s", "7", "--elevation-deg", "91"], ["--elevation-deg", "<= 90"]),
    (IMP + ["--burnout-speed-km-s", "7", "--elevation-deg", "-inf"], ["--elevation-deg"]),
    (["fly", "--impulsive", "--from", "0,0", "--azimuth-deg", "1e300"], ["--azimuth-deg", "<= 360"]),
    (FLY + ["--apogee-km", "nan"], ["--apogee-km", "nan"]),
    (FLY + ["--apogee-km", "1e7"], ["--apogee-km", "<= 10,000 km"]),
    (FLY + ["--flight-time-s", "-1"], ["--flight-time-s", "> 0"]),
    (FLY + ["--flight-time-s", "inf"], ["--flight-time-s"]),
    (FLY + ["--output-step-s", "0"], ["--output-step-s", "> 0"]),
    (FLY + ["--plot", "out.xyz"], ["--plot", "out.xyz", ".png"]),
    (FLY + ["--plot", "noextension"], ["--plot", ".svg"]),
    (FLY + ["--csv", "{dir}"], ["--csv", "is a directory"]),
    (FLY + ["--parquet", "{dir}"], ["--parquet", "is a directory"]),
    (FLY + ["--samples", "{dir}/none/s.csv"], ["--samples", "does not exist"]),
    (["fly", "--batch", "{dir}"], ["--batch", "is a directory"]),
    (["fly", "--batch", "{dir}/apogee.toml"], ["shot #1", "apogee_km", "<= 10,000"]),
    (ENG + ["--launch-delay-s", "1e308"], ["--launch-delay-s", "<= 86,400 s", "1e308"]),
    (ENG + ["--launch-delay-s", "-10"], ["--launch-delay-s", ">= 0"]),
    (ENG + ["--launch-delay-s", "nan"], ["--launch-delay-s"]),
    (ENG + ["--launch-delay-s", "100", "--decision-time-s", "inf"], ["--decision-time-s"]),
    (ENG + ["--launch-delay-s", "100", "--rcs-m2", "0"], ["--rcs-m2", "> 0"]),
    (ENG + ["--launch-delay-s", "100", "--threat-step-s", "1e9"], ["--threat-step-s", "<= 600"]),
    (ENG + ["--launch-delay-s", "100", "--coarse-step-s", "-1"], ["--coarse-step-s"]),
    (ENG + ["--launch-delay-s", "100", "--min-intercept-altitude-km", "1e6"], ["--min-intercept-altitude-km"]),
    (ENG + ["--launch-delay-s", "100", "--tail-chase-closing-speed-km-s", "100"], ["--tail-chase-closing-speed-km-s"]),
    (ENG[:-1] + ["20", "--launch-delay-s", "100"], ["--interceptor-burnout-speed-km-s", "< 11"]),
    (["radar", "--missile", "Yars", "--from", "Teykovo", "--to", "Washington", "--radar", "Don-2N", "--rcs-m2", "-1"],
     ["--rcs-m2"]),
    (["balance", "--samples", "-5"], ["--samples", ">= 0"]),
    (["balance", "--samples", "1e12"], ["--samples", "integer"]),
    (["balance", "--seed", "-1"], ["--seed"]),
    (["balance", "--pk", "1.5"], ["--pk", "<= 1"]),
    (["balance", "--salvo", "0"], ["--salvo", ">= 1"]),
    (["balance", "--csv", "{dir}"], ["--csv", "is a directory"]),
    (["raid", "epaa-phase3", "--missiles", "1000000000000"], ["--missiles", "<= 1,000,000"]),
    (["raid", "epaa-phase3", "--warheads-per-missile", "0"], ["--warheads-per-missile"]),
    (["raid", "epaa-phase3", "--decoys-per-missile", "-1"], ["--decoys-per-missile"]),
    (["raid", "epaa-phase3", "--spacing-s", "inf"], ["--spacing-s"]),
    (["raid", "epaa-phase3", "--inventory-factor", "nan"], ["--inventory-factor"]),
    (["track", "epaa-phase3", "--pip-accuracy-m", "0"], ["--pip-accuracy-m", "> 0"]),
    (["footprint", "epaa-phase3", "--step-deg", "0.001"], ["--step-deg", ">= 0.05"]),
    (["footprint", "epaa-phase3", "--plot", "fp.xyz"], ["--plot", ".png"]),
    (["assess", "{dir}"], ["scenario", "is a directory"]),
    (["validate", "{dir}"], ["is a directory"]),
    (["phases", "--csv", "{dir}"], ["--csv", "is a directory"]),
    (["report", "default", "-o", "{dir}/apogee.toml"], ["--output", "is a file"]),
    (["serve", "--port", "70000"], ["--port", "<= 65,535"]),
    (GV[:2] + ["{dir}", "epaa-phase3"], ["guarantee", "is a directory"]),
    (GV + ["--runs", "0"], ["--runs", ">= 1"]),
    (SM + ["--step-deg", "0"], ["--step-deg", ">= 0.1"]),
    (SM + ["--launch-delay-s", "1e308"], ["--launch-delay-s"]),
    (SM + ["--workers", "-2"], ["--workers"]),
    (SM + ["--plot", "map.txt"], ["--plot", ".png"]),
    (["guarantee", "synthesize", "keep-out", "north-speed-limit", "epaa-phase3", "--speed-km-s", "1e9"],
     ["--speed-km-s", "< 11"]),
    (["guarantee", "synthesize", "radar-sector", "north-speed-limit", "epaa-phase3", "--radar", "x",
      "--guard-deg", "-1"], ["--guard-deg"]),
    (["guarantee", "uncertainty", "north-speed-limit", "epaa-phase3", "--samples", "0"], ["--samples", ">= 1"]),
    (["guarantee", "observe", "north-speed-limit", "{dir}"], ["test", "is a directory"]),
    (["validate", "{dir}/big.toml"], ["big.toml:5", "battery[1].count", "<= 100,000", "1,000,000,000,000"]),
    (["validate", "{dir}/delay.toml"], ["delay.toml:4", "doctrine.launch_delay_s", "<= 86,400", "1e+308"]),
    (["validate", "{dir}/raid.toml"], ["raid.toml", "warheads_per_missile", "<= 1,000"]),
    (["validate", "{dir}/radar.toml"], ["radar.toml", "max_range_km", "<= 50,000"]),
]


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "apogee.toml").write_text('[[shot]]\nmissile = "Scud-B"\nfrom = "40,40"\nto = "41,41"\napogee_km = 1e9\n')
    (tmp_path / "big.toml").write_text('[scenario]\nextends = "epaa-phase3"\n[[battery]]\n'
                                       'name = "Aegis Ashore Redzikowo"\ncount = 1000000000000\n')
    (tmp_path / "delay.toml").write_text('[scenario]\nextends = "epaa-phase3"\n[doctrine]\nlaunch_delay_s = 1e308\n')
    (tmp_path / "raid.toml").write_text('[scenario]\nextends = "epaa-phase3"\n[[raid]]\nname = "r"\nthreat = "x"\n'
                                        'missiles = 10\nwarheads_per_missile = 5000\n')
    (tmp_path / "radar.toml").write_text('[scenario]\nextends = "epaa-phase3"\n[[radar]]\nname = "r"\ntype = "TPY-2"\n'
                                         'at = "Kurecik"\nmax_range_km = 1e9\n')
    return tmp_path


@pytest.mark.parametrize("argv,words", CASES, ids=[" ".join(c[0][:1] + c[0][-2:]) for c in CASES])
def test_absurd_input_is_refused(argv, words, folder, capsys, monkeypatch):
    monkeypatch.chdir(folder)
    argv = [a.replace("{dir}", str(folder)) for a in argv]
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse refuses at parse time
        rc = exc.code
    err = capsys.readouterr().err
    assert rc == 2, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("openbmd: error:") and "Traceback" not in err
    for w in words:
        assert w in lines[0], (w, lines[0])


def test_at_least_40_absurd_inputs():
    assert len(CASES) >= 40


def test_one_escape_speed_limit():
    assert MAX_BURNOUT_SPEED_KM_S == SCENARIO_MAX_SPEED


def test_refusal_as_a_process_comes_before_computing():
    p = subprocess.run([sys.executable, "-m", "openbmd", "balance", "--samples", "-5"], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "--samples" in p.stderr
